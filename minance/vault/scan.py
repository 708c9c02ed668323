"""``minance vault scan PATH``: API keys and secrets left in plain text, and where.

It reads every text file under PATH (config files, ``.env``, shell history, source) and, when PATH is in
a git repository, every line ever added in its history (a secret deleted in a later commit is still in
the repository). Three detectors:

* a private key in PEM (a ``BEGIN … PRIVATE KEY`` header followed by key material);
* a secret-like name (api key/secret, private key, token, password, passphrase) given a random-looking
  value, in assignments, JSON/YAML, ``export`` lines and ``--flag value`` command lines;
* a bare Binance-style key: 64 random-looking letters and digits;
* minance's own secrets: ``MINANCE_MASTER_KEY``, ``MINANCE_ADMIN_TOKEN``, ``MINANCE_VAULT_PASSPHRASE`` and
  ``MINANCE_API_SECRET`` given a value (any value but a placeholder: a passphrase is words), a data dir's
  ``master.key`` and ``admin.token`` files, and ``Authorization: Bearer <token>`` (the admin API's header).

"Random-looking" means long, of mixed character classes and of high Shannon entropy, which keeps
identifiers, hashes of words, placeholders and file paths out. Lines marked ``minance: allow-secret``
(or ``pragma: allowlist secret``) and Binance's own published documentation examples are not reported.
Findings show a masked preview, never the value.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Finding", "scan", "scan_git_history", "scan_secret_file", "scan_text", "shell_history_files"]

SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox",
                       ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", ".eggs"})
MAX_FILE_BYTES = 2 * 1024 * 1024
ALLOW_MARKERS = ("minance: allow-secret", "pragma: allowlist secret")

# Values Binance prints in its public API documentation (REFERENCE §2): examples, not anyone's secret.
DOC_EXAMPLES = frozenset({
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
    "CAvIjXy3F44yW6Pou5k8Dy1swsYDWJZLeoK2r8G4cFDnE9nosRppc2eKc1T8TRTQ",
    "4yNzx3yWC5bS6YTwEkSRaC0nRmSQIIStAUOh1b6kqaBrTLIhjCpI5lJH8q8R8WNO",
    "Fhs4lGae2qAi6VNjbJjebUAwXrIChb7mlf372UOICMwdKaNdNBGKtfdeUff2TTTT",
    "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1",
    "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u",  # the illustrative Ed25519 key (FIX API docs)
})

_PEM = re.compile(r"-----BEGIN ((?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----")
_PEM_BODY = re.compile(r"^(?:\\n|\s)*([A-Za-z0-9+/=]{40,})")
_NAME = r"[A-Za-z0-9_.-]*(?:api[_.-]?key|apikey|api[_.-]?secret|secret[_.-]?key|secret|private[_.-]?key|" \
        r"access[_.-]?key|token|passphrase|password|passwd)[A-Za-z0-9_-]*"
_ASSIGN = re.compile(
    rf"""(?ix)(?P<name>{_NAME})["']?\s*(?::=|=|:|\s)\s*(?:[br]?["'])?(?P<value>[A-Za-z0-9+/=_\-]{{16,}})""")
_FLAG = re.compile(rf"""(?ix)--(?P<name>{_NAME})(?:=|\s+)["']?(?P<value>[A-Za-z0-9+/=_\-]{{16,}})""")
_HEADER = re.compile(r"(?i)X-MBX-APIKEY\s*[:=]\s*[\"']?(?P<value>[A-Za-z0-9]{16,})")
_BARE = re.compile(r"(?<![A-Za-z0-9+/=_\-])(?P<value>[A-Za-z0-9]{64})(?![A-Za-z0-9+/=_\-])")
_BEARER = re.compile(r"(?i)\bBearer\s+(?P<value>[A-Za-z0-9._~+/=\-]{16,})")
# minance's own secrets by name: the master key (it unseals every stored HMAC secret), the admin token, the vault
# passphrase and an API secret. Reported whatever the value looks like: a passphrase is words, not noise.
_MINANCE_ENV = re.compile(r"""(?x)\b(?P<name>MINANCE_(?:MASTER_KEY|ADMIN_TOKEN|VAULT_PASSPHRASE|API_SECRET))["']?
    \s*(?::=|=|:)\s*(?:"(?P<dq>[^"\n]+)"|'(?P<sq>[^'\n]+)'|(?P<bare>[^\s"'#;,()\[\]{}]+))""")
_PLACEHOLDER = re.compile(
    r"(?i)^(?:[$<{%*]|.*(?:\.\.\.|…|xxxx|changeme|your[_ -]|example|redacted|placeholder|passphrase|password))")
_IDENTIFIER = re.compile(r"[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_.]*")  # a constant or attribute in code
# Files minance writes into a data dir that hold a secret as their whole content.
SECRET_FILES = {"master.key": "minance-master-key", "admin.token": "minance-admin-token"}


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    kind: str  # private-key | secret-assignment | api-key | bearer-token | minance-* (master key, admin token...)
    preview: str  # masked
    commit: str | None = None  # set for a line found in git history

    def where(self) -> str:
        return f"{self.path}:{self.line}" + (f" (commit {self.commit[:12]})" if self.commit else "")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_random(value: str, *, hex_ok: bool = True) -> bool:
    """A generated secret, not a word, identifier, path, version or placeholder. ``hex_ok``: a long hex string
    counts (next to a secret-like name it is a token; alone it is more likely a hash)."""
    stripped = value.strip("=")
    if len(stripped) < 16 or value in DOC_EXAMPLES:
        return False
    if re.fullmatch(r"[0-9a-fA-F]+", stripped):
        return hex_ok and len(stripped) >= 32 and entropy(stripped) >= 3.0 and not stripped.isdigit()
    if len(stripped) < 20:
        return False
    counts = [len(re.findall(p, stripped)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]")]
    if min(counts) < 2:
        return False
    if re.search(r"[a-z]{2,}_[a-z]{2,}", stripped) or stripped.count("_") + stripped.count("-") > 3:
        return False  # snake_case / kebab-case identifiers and placeholders
    return entropy(stripped) >= 3.5


def _mask(value: str) -> str:
    return f"{value[:4]}…({len(value)} chars)"


def _hidden(value: str) -> str:
    """A preview of a human-chosen secret (a passphrase): its length only, no characters."""
    return f"…({len(value)} chars)"


def _minance_secret(match: re.Match[str]) -> str | None:
    """The value given to one of minance's secret variables, unless it is a placeholder or a name in code."""
    value = match.group("dq") or match.group("sq") or match.group("bare") or ""
    value = value.strip()
    if not value or _PLACEHOLDER.match(value) or value in DOC_EXAMPLES:
        return None
    if match.group("bare") is not None and _IDENTIFIER.fullmatch(value):
        return None  # a constant or an attribute named in code: a reference, not the value
    name = match.group("name")
    if name == "MINANCE_MASTER_KEY":  # only what minance would load: 32 bytes as hex or base64
        return value if re.fullmatch(r"[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=", value) else None
    return value if len(value) >= (8 if name == "MINANCE_VAULT_PASSPHRASE" else 16) else None


def scan_secret_file(path: Path, text: str) -> list[Finding]:
    """A minance data dir's ``master.key`` / ``admin.token``: the whole file is the secret."""
    kind = SECRET_FILES.get(path.name)
    value = text.strip()
    if kind is None or not re.fullmatch(r"[0-9a-fA-F]{32,}", value):
        return []
    return [Finding(str(path), 1, kind, _mask(value))]


def scan_text(text: str, path: str, *, commit: str | None = None,
              line_numbers: Iterable[int] | None = None) -> list[Finding]:
    """Findings in ``text``; ``line_numbers`` gives each line's number when the lines are not contiguous."""
    lines = text.splitlines()
    numbers = list(line_numbers) if line_numbers is not None else list(range(1, len(lines) + 1))
    found: list[Finding] = []
    in_pem = False
    for index, (number, line) in enumerate(zip(numbers, lines, strict=False)):
        if in_pem:  # the key material of a block already reported
            in_pem = "-----END" not in line
            continue
        if any(marker in line for marker in ALLOW_MARKERS):
            continue
        pem = _PEM.search(line)
        if pem:
            rest = line[pem.end():] + "\n" + "\n".join(lines[index + 1:index + 3])
            body = _PEM_BODY.match(rest)
            if body and body.group(1) not in "".join(DOC_EXAMPLES):
                found.append(Finding(path, number, "private-key", _mask(body.group(1)), commit))
                in_pem = "-----END" not in line
                continue
        seen: set[str] = set()
        for match in _MINANCE_ENV.finditer(line):
            value = _minance_secret(match)
            if value is not None and value not in seen:
                seen.add(value)
                passphrase = match.group("name") == "MINANCE_VAULT_PASSPHRASE"
                found.append(Finding(path, number, match.group("name").lower().replace("_", "-"),
                                     _hidden(value) if passphrase else _mask(value), commit))
        for pattern, kind in ((_ASSIGN, "secret-assignment"), (_FLAG, "secret-assignment"), (_HEADER, "api-key"),
                              (_BEARER, "bearer-token"), (_BARE, "api-key")):
            for match in pattern.finditer(line):
                value = match.group("value")
                if value in seen or not looks_random(value, hex_ok=pattern is not _BARE):
                    continue
                if pattern is _BARE and any(value in s or s in value for s in seen):
                    continue
                seen.add(value)
                found.append(Finding(path, number, kind, _mask(value), commit))
    return found


def _text_of(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.iterdir()):
        if path.is_symlink():
            continue
        if path.is_dir():
            if path.name not in SKIP_DIRS and not path.name.endswith(".egg-info"):
                yield from _files(path)
        elif path.is_file():
            yield path


def _git(root: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    cwd = root if root.is_dir() else root.parent
    proc = subprocess.run([git, "-C", str(cwd), *args], capture_output=True, text=True, errors="replace",  # noqa: S603
                          timeout=300)
    return proc.stdout if proc.returncode == 0 else None


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def scan_git_history(root: Path) -> list[Finding]:
    """Every line added in any commit of the repository holding ``root`` (all branches and tags)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return []
    log = _git(root, "log", "--all", "-p", "--no-color", "--no-ext-diff", "--unified=0", "--no-renames",
               "--format=commit %H")
    if not log:
        return []
    found: list[Finding] = []
    commit: str | None = None
    path: str | None = None
    added: list[str] = []
    numbers: list[int] = []
    next_line = 0

    def flush() -> None:
        if path and added:
            found.extend(scan_text("\n".join(added), path, commit=commit, line_numbers=numbers))
        added.clear()
        numbers.clear()

    for line in log.splitlines():
        if line.startswith("commit ") and len(line) == 47:
            flush()
            commit, path = line[7:], None
        elif line.startswith("+++ "):
            flush()
            path = None if line == "+++ /dev/null" else line[6:] if line.startswith("+++ b/") else line[4:]
        elif line.startswith("@@"):
            hunk = _HUNK.match(line)
            next_line = int(hunk.group(1)) if hunk else 0
        elif line.startswith("+") and path is not None:
            added.append(line[1:])
            numbers.append(next_line)
            next_line += 1
    flush()
    top_path = Path(top.strip())
    return [Finding(str(top_path / f.path), f.line, f.kind, f.preview, f.commit) for f in found]


def shell_history_files(home: Path | None = None) -> list[Path]:
    home = home or Path.home()
    names = (".bash_history", ".zsh_history", ".history", ".sh_history", ".python_history",
             ".local/share/fish/fish_history", ".psql_history", ".mysql_history")
    return [home / n for n in names if (home / n).is_file()]


def scan(root: Path, *, history: bool = True, extra_files: Iterable[Path] = ()) -> list[Finding]:
    """Findings in the files under ``root`` (and ``extra_files``), then in its git history."""
    found: list[Finding] = []
    for path in [*_files(root), *extra_files]:
        text = _text_of(path)
        if text is not None:
            found.extend(scan_secret_file(path, text) or scan_text(text, str(path)))
    if history:
        found.extend(scan_git_history(root))
    return found
