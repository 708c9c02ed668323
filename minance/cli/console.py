"""``minance console link``: a one-time sign-in URL for the running server's web console."""

from __future__ import annotations

import argparse

import httpx

from minance.cli.common import CliError, add_common, emit
from minance.server.admin import TOKEN_FILE, load_admin_token
from minance.server.runtime import STARTING, running_server_url
from minance.settings import data_dir_from


def cmd_link(args: argparse.Namespace) -> None:
    data = data_dir_from(args.data)
    url = running_server_url(data)
    if url is None:
        raise CliError(f"no server runs on {data}: start it with 'minance serve --data {data}' first")
    if url == STARTING:
        raise CliError(f"the server on {data} is still starting: try again in a moment")
    if not (data / TOKEN_FILE).exists():
        raise CliError(f"no admin token in {data}: is this the server's data dir?")
    token = load_admin_token(data)
    try:  # the token goes in a header, never in the URL we print
        resp = httpx.post(f"{url}/admin/console/link", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    except httpx.HTTPError as exc:
        raise CliError(f"the server at {url} did not answer ({type(exc).__name__})") from None
    if resp.status_code != 200:
        raise CliError(f"the server refused: {resp.json().get('msg', resp.status_code)}")
    info = resp.json()
    link = url + info["path"]
    minutes = max(1, info["expiresInSeconds"] // 60)
    emit(args, {"url": link, "expiresInSeconds": info["expiresInSeconds"]},
         f"{link}\n(open it within {minutes} min; it signs one browser in and is then used up)")


def register(sub) -> None:
    p = sub.add_parser("console", help="the web console of the running server")
    commands = p.add_subparsers(dest="console_command", required=True, metavar="COMMAND")
    link = commands.add_parser("link", help="print a one-time sign-in URL for the web console")
    add_common(link)
    link.set_defaults(run=cmd_link)
