"""The FAQ and the fixed replies as a spreadsheet staff edit in Excel or WPS.

``python -m bot kb export --out faq.xlsx`` writes every FAQ entry and every message of
messages.yml (``bot.kb.sheet_layout``); ``python -m bot kb import faq.xlsx [--apply]`` reads it
back (``bot.kb.sheet_import``), changes the round-trip YAML documents only where a cell differs
(``bot.kb.entries``: comments, order and styles survive), checks the result on a scratch copy
(``bot.kb.edit.check_and_write``, the same checks as ``kb check``), prints what would change and
writes only with ``--apply``.
"""

from bot.kb.entries import NO, WHEN_KINDS, YES, Changes, faq_row
from bot.kb.sheet_import import ImportResult, Sheets, apply_sheets, import_workbook, read_workbook
from bot.kb.sheet_layout import (
    FAQ_COLUMNS,
    FAQ_SHEET,
    HELP_SHEET,
    LISTS_SHEET,
    MESSAGE_COLUMNS,
    MESSAGES_FILE,
    MESSAGES_SHEET,
    export_workbook,
)

__all__ = [
    "FAQ_COLUMNS",
    "FAQ_SHEET",
    "HELP_SHEET",
    "LISTS_SHEET",
    "MESSAGE_COLUMNS",
    "MESSAGES_FILE",
    "MESSAGES_SHEET",
    "NO",
    "WHEN_KINDS",
    "YES",
    "Changes",
    "ImportResult",
    "Sheets",
    "apply_sheets",
    "export_workbook",
    "faq_row",
    "import_workbook",
    "read_workbook",
]
