"""Moved to :mod:`minance.domain.symbols` (symbol specs are domain values); kept so older imports still resolve."""

from minance.domain.symbols import DEFAULT_SYMBOLS, ORDER_TYPES, STP_MODES, SymbolSpec, symbol_info

__all__ = ["DEFAULT_SYMBOLS", "ORDER_TYPES", "STP_MODES", "SymbolSpec", "symbol_info"]
