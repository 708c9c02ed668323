"""What the console's Bots page shows of backtests: the reports recorded in the backtests index
(:mod:`minance.backtest_registry`, written by ``minance backtest run ... --report DIR``) and the files of a report
it opens. A report is named by its id in the index, never by a path from the request.

A report page is served under its own Content-Security-Policy, not the console's: it is a self-contained document
(inline ``<style>`` and SVG, no script), so it may use inline styles, and nothing else — no script, no network,
no forms — and runs sandboxed (an opaque origin: it cannot read the console's cookies or call the admin API).
Only the console (same origin) may frame it.
"""

from __future__ import annotations

from typing import Any

from minance import backtest_registry as registry

__all__ = ["REPORT_CSP", "find", "list_backtests", "report_file"]

REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
              "frame-ancestors 'self'; sandbox")
_FILE_CSP = "default-src 'none'; frame-ancestors 'self'; sandbox"
_KINDS = {"report.html": "text/html;charset=utf-8", "equity.png": "image/png"}


def _describe(entry: dict[str, Any]) -> dict[str, Any]:
    report_id = str(entry["id"])
    return {**entry, "available": registry.report_file(report_id, "report.html") is not None,
            "reportUrl": f"/admin/backtests/{report_id}/report"}


def list_backtests() -> list[dict[str, Any]]:
    """The recorded reports, newest first, each with where to open it and whether its files are still there."""
    return [_describe(e) for e in registry.entries()]


def find(report_id: str) -> dict[str, Any] | None:
    entry = registry.find(report_id)
    return _describe(entry) if entry is not None else None


def report_file(report_id: str, name: str) -> tuple[bytes, str, list[tuple[bytes, bytes]]] | None:
    """(body, content type, headers) of one file of a recorded report; None when the id is not in the index, the
    name is not a served file, or the file is gone."""
    path = registry.report_file(report_id, name)
    if path is None:
        return None
    try:
        body = path.read_bytes()
    except OSError:
        return None
    csp = REPORT_CSP if name.endswith(".html") else _FILE_CSP
    headers = [(b"content-security-policy", csp.encode()), (b"x-content-type-options", b"nosniff"),
               (b"x-frame-options", b"SAMEORIGIN"), (b"referrer-policy", b"no-referrer"),
               (b"cross-origin-resource-policy", b"same-origin"), (b"cache-control", b"no-store")]
    return body, _KINDS[name], headers
