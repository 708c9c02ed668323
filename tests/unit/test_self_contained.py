"""A clone alone runs the tests and benches (issue 9): nothing reads the reference folder beside the clone; the
public data the tests need (Binance's signature vectors) is kept under tests/golden/."""

from __future__ import annotations

import json
import re

from tests.support import REPO, SIGNATURE_VECTORS

OUTSIDE = re.compile(r"""\.\./shared|parents?\b[^\n]*/\s*["']shared["']|["']shared["']\s*/""")


def test_no_test_or_bench_reads_outside_the_repository():
    files = [path for folder in ("tests", "bench") for path in (REPO / folder).rglob("*.py")]
    offenders = [f"{path.relative_to(REPO)}:{n}" for path in files
                 for n, line in enumerate(path.read_text().splitlines(), 1) if OUTSIDE.search(line)]
    assert offenders == []


def test_the_signature_vectors_are_in_the_repository():
    assert SIGNATURE_VECTORS.is_relative_to(REPO)
    vectors = json.loads(SIGNATURE_VECTORS.read_text())
    assert vectors["hmac_sha256"]["vectors"] and vectors["ed25519"]
