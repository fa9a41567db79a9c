"""Text from the question log made safe to put in a spreadsheet or a page. Pure functions.

Applicants' text ends up in cells that staff open in Excel or WPS. A cell whose text begins
with ``= + - @`` (or a tab / carriage return, which some programs skip before looking) would
be read as a formula — ``=HYPERLINK(…)``, ``+1+cmd|…`` — so it gets a leading ``'`` and is
stored as plain text. Control, format (zero-width, bidi) and surrogate characters are dropped:
openpyxl refuses most of them and they can hide or reorder what staff read. Cells are also
kept within Excel's 32,767-character limit.
"""

from __future__ import annotations

import unicodedata
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
QUOTE = "'"
MAX_CELL_CHARS = 32_000
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co"})
_NONCHARACTERS = frozenset({"\ufffe", "\uffff"})


def clean_text(value: str) -> str:
    """``value`` without control/format/surrogate characters; newlines kept, tab → space."""
    out = []
    for ch in value:
        if ch == "\n":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch in _NONCHARACTERS or unicodedata.category(ch) in _DROPPED:
            continue
        else:
            out.append(ch)
    return "".join(out)


def is_formula_like(text: str) -> bool:
    stripped = text.lstrip(" \u3000")
    return stripped.startswith(FORMULA_START)


def _protected(text: str) -> bool:
    """Formula-like, perhaps behind quotes: gets one more quote, so ``unquote`` is exact."""
    return is_formula_like(text.lstrip(QUOTE))


def safe_cell(value: Any) -> Any:
    """A value fit for a CSV/XLSX cell: numbers as they are, text cleaned and neutralised."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    text = clean_text(text)[:MAX_CELL_CHARS]  # "\t=1" → " =1", "\r=1" → "=1": judged after
    return QUOTE + text if _protected(text) else text


def unquote(value: str) -> str:
    """The text as staff typed it back: the ``'`` added by ``safe_cell`` removed."""
    if value.startswith(QUOTE) and _protected(value[1:]):
        return value[1:]
    return value
