"""Issue 9 item 4: every Binance code, message and status lives in ``domain/errors.py``'s one table.

The scan fails on any error code written as a literal elsewhere in the package: a call given a negative integer
literal of four or more digits (``BinanceError(-2010, ...)``, ``_enum(..., -1117)``, ``AdminError(400, -1100, ...)``)
or a ``{"code": -NNNN}`` body. Call sites name the table's entries instead (``Err.INSUFFICIENT_BALANCE()``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import minance
from minance.client import errors as sdk
from minance.domain.errors import ERRORS, SPECS, Action, BinanceError, Err

PACKAGE = Path(minance.__file__).parent
TABLE = PACKAGE / "domain" / "errors.py"


def _code_literal(node: ast.AST) -> int | None:
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) is int and node.operand.value >= 1000):
        return -node.operand.value
    return None


def _is_code(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "code") or (isinstance(node, ast.Name)
                                                                         and node.id == "code")


def inline_codes(source: str) -> list[tuple[int, int]]:
    """(line, code) of every error code written as a literal argument, comparison operand or ``"code"`` value."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            values = [*node.args, *(k.value for k in node.keywords)]
        elif isinstance(node, ast.Compare):  # error.code == -2011 (not other numbers, e.g. bps >= -5000)
            operands = [node.left, *node.comparators]
            values = operands if any(_is_code(x) for x in operands) else []
        elif isinstance(node, ast.Dict):
            values = [v for k, v in zip(node.keys, node.values, strict=True)
                      if isinstance(k, ast.Constant) and k.value == "code"]
        else:
            continue
        found += [(node.lineno, code) for v in values if (code := _code_literal(v)) is not None]
    return found


def test_the_scan_sees_every_inline_form():
    source = ('BinanceError(-2010, "x")\nRejected(BinanceError.format(-1102, T, "a"))\nraise E(400, -1100, "m")\n'
              'body = {"code": -1000, "msg": "m"}\nx = f(-5)\nErr.BAD_SYMBOL()\nif e.code == -2011: pass\n')
    assert sorted(code for _, code in inline_codes(source)) == [-2011, -2010, -1102, -1100, -1000]


def test_no_error_code_is_written_outside_the_table():
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{line}: {code}"
                 for path in sorted(PACKAGE.rglob("*.py")) if path != TABLE
                 for line, code in inline_codes(path.read_text())]
    assert not offenders, "use minance.domain.errors.Err instead of inline codes:\n" + "\n".join(offenders)


def test_no_table_code_appears_as_a_literal_anywhere_else():
    """Wherever it stands (a tuple, a default, a constant), a number that is one of the table's codes is spelled
    ``Err.NAME.code``."""
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {code}"
                 for path in sorted(PACKAGE.rglob("*.py")) if path != TABLE
                 for node in ast.walk(ast.parse(path.read_text()))
                 if (code := _code_literal(node)) is not None and code in ERRORS]
    assert not offenders, "use minance.domain.errors.Err instead of inline codes:\n" + "\n".join(offenders)


def test_names_are_unique_and_each_code_has_one_meaning():
    assert len({s.name for s in SPECS}) == len(SPECS) == len([v for v in vars(Err).values() if v in SPECS])
    for spec in SPECS:
        canonical = ERRORS[spec.code]
        # A variant may differ in status only where the SDK decides by status (418 ban, 404 unknown path).
        if spec.http_status not in (418, 404):
            assert spec.action is canonical.action, spec.name


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_entry_maps_to_its_sdk_class(spec):
    fields = {name: "x" for name in _placeholders(spec.message)}
    error = spec(**fields)
    assert isinstance(error, BinanceError) and (error.code, error.http_status) == (spec.code, spec.http_status)
    raised = sdk.error_from_response(error.http_status, error.to_wire(), {})
    assert isinstance(raised, sdk.ACTION_CLASSES[spec.action]), (spec.name, type(raised))
    assert raised.msg == error.msg


def test_wallet_and_engine_declines_are_business_errors():
    cases = [(Err.WITHDRAW_INSUFFICIENT_BALANCE, sdk.BusinessError), (Err.INSUFFICIENT_BALANCE, sdk.OrderRejected),
             (Err.NO_SUCH_ORDER_LIST, sdk.CancelRejected), (Err.ADDRESS_INVALID, sdk.RequestError),
             (Err.CANCEL_REPLACE_PARTIALLY_FAILED, sdk.BusinessError)]
    for spec, cls in cases:
        raised = sdk.error_from_response(spec.http_status, spec().to_wire(), {})
        assert isinstance(raised, cls) and raised.action is Action(cls.action), spec.name
    assert sdk.error_from_response(400, {"code": -4026, "msg": "m"}, {}).action is Action.BUSINESS


def test_templates_fill_and_refuse_missing_fields():
    assert Err.FILTER_FAILURE(filter="LOT_SIZE").msg == "Filter failure: LOT_SIZE"
    assert Err.INVALID_REQUEST_ID().msg.endswith("'^[a-zA-Z0-9-_]{1,36}$', or null.")
    assert BinanceError.of(-1121).to_wire() == {"code": -1121, "msg": "Invalid symbol."}
    with pytest.raises(KeyError):
        Err.MANDATORY_PARAM()


def _placeholders(template: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(template) if name]
