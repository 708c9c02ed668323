"""What the user-side commands share: finding a profile in the vault, reading secrets safely, and turning
SDK and vault errors into one clear line."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from collections.abc import Iterator
from pathlib import Path

from minance.cli.common import CliError
from minance.client import ApiError, ClientError, CredentialsError, IpBannedError, RateLimitError, TransportError
from minance.client.signer import SignerError
from minance.client.targets import LOCAL_URL, LOCAL_URL_ENV, TargetError
from minance.vault import Profile, VaultError, open_backend, split_ref
from minance.vault.profile import Backend

__all__ = ["add_vault_option", "backend_for", "cli_errors", "load_profile", "read_secret_line"]

_ADVICE = {
    "retry": "try again shortly",
    "fix_request": "check the command's values",
    "reauthenticate": "check the profile's key and secret, the key's permissions and IP list, and the clock",
    "stop": "stop: the exchange will not accept this",
    "business": "the exchange declined it",
}


def add_vault_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", metavar="FILE", help="vault file (default: $MINANCE_VAULT, then the user's "
                                                        "config dir)")


def backend_for(kind: str, args: argparse.Namespace) -> Backend:
    path = Path(args.vault).expanduser() if getattr(args, "vault", None) else None
    return open_backend(kind, vault_path=path)


def load_profile(args: argparse.Namespace, ref: str | None = None) -> tuple[Profile, Backend]:
    """The profile named by ``--profile`` (``NAME``, ``keyring:NAME``, ``hashicorp:NAME`` or ``env``)."""
    ref = ref or getattr(args, "profile", None)
    if not ref:
        raise CliError("which key? give --profile NAME (see 'minance vault list')")
    kind, name = split_ref(ref)
    backend = backend_for(kind, args)
    return backend.get(name), backend


def read_secret_line(prompt: str) -> str:
    """A secret from the terminal (not echoed), or the first line of stdin when it is not a terminal:
    never from the command line, where other users' ``ps`` and the shell history would see it."""
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return getpass.getpass(prompt)
        except (EOFError, KeyboardInterrupt):
            raise CliError("no secret given: nothing was changed") from None
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """SDK, vault and target errors as one line each, with what to do about them."""
    try:
        yield
    except (VaultError, TargetError, SignerError, CredentialsError) as exc:
        raise CliError(str(exc)) from None
    except IpBannedError as exc:
        wait = f" for {exc.retry_after_s:.0f}s" if exc.retry_after_s else ""
        raise CliError(f"this IP is banned by the exchange{wait} ({exc.code}: {exc.msg}): stop sending") from None
    except RateLimitError as exc:
        raise CliError(f"rate limited ({exc.code}: {exc.msg}): try again later") from None
    except ApiError as exc:
        raise CliError(f"the exchange refused: {exc.code} {exc.msg} — {_ADVICE.get(exc.action.value, '')}") from None
    except TransportError as exc:
        raise CliError(f"cannot reach the exchange: {exc}: is it running there? (target 'local' is "
                       f"{LOCAL_URL} unless {LOCAL_URL_ENV} says otherwise, e.g. export "
                       f"{LOCAL_URL_ENV}=http://127.0.0.1:PORT)") from None
    except ClientError as exc:
        raise CliError(str(exc)) from None
