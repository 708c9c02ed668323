"""vault scan: planted secrets are found where they are (files, shell history, git history); the project's
own tree (files and history) has none; previews never show a value."""

from __future__ import annotations

import json
import random
import secrets
import shutil
import string
import subprocess

import pytest

from minance.vault.scan import looks_random, scan, scan_text
from tests.support import REPO, generate_key_pair
from tests.unit.vault.conftest import random_secret

# random-looking but the same in every pytest-xdist worker (parameters must collect identically)
SEEDED = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=64))
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


def test_detectors_on_lines():
    key, secret = random_secret(), random_secret()
    lines = [
        f"MINANCE_API_SECRET={secret}",
        f'export BINANCE_API_KEY="{key}"',
        f'  "apiSecret": "{secret}",',
        f"api_secret: {secret}",
        f"curl -H 'X-MBX-APIKEY: {key}' https://api.binance.com/api/v3/account",
        f"bot --api-secret {secret} --symbol BTCUSDT",
        f"{key}",  # a bare key pasted into a notes file
    ]
    found = scan_text("\n".join(lines), "notes.txt")
    assert sorted({f.line for f in found}) == list(range(1, len(lines) + 1))
    assert all(secret not in f.preview and key not in f.preview for f in found)
    pem, _ = generate_key_pair("ed25519")
    (hit,) = scan_text(f"# deploy key\n{pem}", "id_ed25519")
    assert (hit.kind, hit.line) == ("private-key", 2)


@pytest.mark.parametrize("line", [
    "api_key = os.environ['MINANCE_API_KEY']",
    "secret = profile.secret.reveal()",
    'API_SECRET = "your_api_secret_here"',
    'password = "correct-horse-battery-staple"',
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "sha = 'da39a3ee5e6b4b0d3255bfef95601890afd80709'",
    "api_key_from_env_or_prompt_value = load()",
    '"signature": "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"',
    "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----",
    "apiKey vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",  # Binance's documented example
    f"secret = '{SEEDED}'  # minance: allow-secret",
])
def test_no_false_positives_on_lookalikes(line):
    assert scan_text(line, "x.py") == []


def test_looks_random():
    assert looks_random(random_secret()) and looks_random(SEEDED)
    assert scan_text(f"secret = '{SEEDED}'", "x.py")  # flagged without the marker
    assert looks_random("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")  # a hex token
    assert not looks_random("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert not looks_random("ThisIsNotASecret1")


@needs_git
def test_planted_secrets_in_a_git_history_are_found(tmp_path):
    repo = tmp_path / "bot"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    secret, key = random_secret(), random_secret()
    pem, _ = generate_key_pair("rsa")
    (repo / "bot.py").write_text("import os\nAPI_KEY = os.environ['MINANCE_API_KEY']\n")
    (repo / ".env").write_text(f"MINANCE_API_KEY={key}\nMINANCE_API_SECRET={secret}\n")
    (repo / "config.json").write_text(json.dumps({"exchange": {"apiKey": key, "secret": secret}}, indent=2))
    (repo / "deploy.pem").write_text(pem)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first version")
    for name in (".env", "config.json", "deploy.pem"):
        (repo / name).unlink()
    (repo / ".gitignore").write_text(".env\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "remove secrets")
    (repo / ".bash_history").write_text(f"ls\nexport BINANCE_SECRET={secret}\npython bot.py\n")

    findings = scan(repo)
    where = {(f.path.rsplit("/", 1)[-1], f.line, f.commit is not None) for f in findings}
    assert (".bash_history", 2, False) in where  # in the working tree
    assert {(".env", 1, True), (".env", 2, True), ("config.json", 3, True), ("config.json", 4, True),
            ("deploy.pem", 1, True)} <= where  # only in history now
    assert all(f.path.startswith(str(repo)) for f in findings)
    commits = {f.commit for f in findings if f.commit}
    assert len(commits) == 1 and len(commits.pop()) == 40
    text = json.dumps([f.to_json() for f in findings])
    assert secret not in text and key not in text and "PRIVATE KEY" not in text
    assert scan(repo, history=False) and all(f.commit is None for f in scan(repo, history=False))


def test_no_false_positives_on_the_projects_own_tree_and_history():
    findings = scan(REPO)
    assert findings == [], [f.where() for f in findings]


def test_minances_own_secrets_are_found_masked(tmp_path):
    """The master key unseals every stored HMAC secret; the admin token manages every key (issue 9)."""
    master, token = secrets.token_hex(32), secrets.token_hex(32)
    passphrase = "correct horse battery staple " + secrets.token_hex(4)
    project = tmp_path / "bot"
    (project / "minance-data").mkdir(parents=True)
    (project / ".env").write_text(f"MINANCE_MASTER_KEY={master}\nMINANCE_VAULT_PASSPHRASE='{passphrase}'\n")
    (project / "minance-data" / "master.key").write_text(master)
    (project / "minance-data" / "admin.token").write_text(token + "\n")
    (project / "notes.sh").write_text(f'curl -H "Authorization: Bearer {token}" http://127.0.0.1:8080/admin/keys\n'
                                      f"export MINANCE_ADMIN_TOKEN={token}\n")
    found = {(f.path.rsplit("/", 1)[-1], f.line, f.kind) for f in scan(project, history=False)}
    assert found == {(".env", 1, "minance-master-key"), (".env", 2, "minance-vault-passphrase"),
                     ("master.key", 1, "minance-master-key"), ("admin.token", 1, "minance-admin-token"),
                     ("notes.sh", 1, "bearer-token"), ("notes.sh", 2, "minance-admin-token")}
    text = json.dumps([f.to_json() for f in scan(project, history=False)])
    assert master not in text and token not in text and passphrase not in text and "horse" not in text


@pytest.mark.parametrize("line", [
    'env = {"MINANCE_VAULT_PASSPHRASE": PASSPHRASE}',  # a reference in code
    "MINANCE_MASTER_KEY=$(cat minance-data/master.key)",
    "export MINANCE_VAULT_PASSPHRASE=...",
    "MINANCE_ADMIN_TOKEN: <your admin token>",
    'load_master_key(tmp, env={"MINANCE_MASTER_KEY": "short"})',  # not a key minance would load
    'headers = {"Authorization": f"Bearer {token}"}',
    "token = os.environ['MINANCE_ADMIN_TOKEN']",
])
def test_minance_secret_lookalikes_are_not_reported(line):
    assert scan_text(line, "x.py") == []
