"""Reading a spreadsheet back (``python -m bot kb import``): every row checked, the YAML
documents changed only where a cell differs (``bot.kb.entries``), the result checked on a
scratch copy and written only with ``--apply`` (``bot.kb.edit.check_and_write``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from openpyxl import load_workbook

from bot.kb.edit import FAQ_FILE, check_and_write, check_changes, dump, load
from bot.kb.entries import (
    NO,
    YES,
    Changes,
    lines_of,
    new_entry,
    set_text,
    template_text,
    update_entry,
)
from bot.kb.sheet_layout import (
    FAQ_COLUMNS,
    FAQ_SHEET,
    MESSAGE_COLUMNS,
    MESSAGES_FILE,
    MESSAGES_SHEET,
)


@dataclass
class Sheets:
    faq: List[Dict[str, str]] = field(default_factory=list)
    messages: List[Tuple[str, str]] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)


def _text(value: object) -> str:
    """A cell as the text staff typed: CR LF → LF, no trailing blanks at the end."""
    return "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _rows(workbook, title: str, columns, problems: List[str]) -> List[Tuple[int, Dict[str, str]]]:
    if title not in workbook.sheetnames:
        problems.append(f"表格里没有“{title}”工作表（请使用 kb export 导出的表格）")
        return []
    rows = list(workbook[title].iter_rows(values_only=True))
    header = {_text(name): index for index, name in enumerate(rows[0] if rows else ()) if name}
    missing = [name for name, _, _ in columns if name not in header]
    if missing:
        problems.append(f"“{title}”表缺少列：{'、'.join(missing)}（请不要改第一行的列名）")
        return []
    result = []
    for number, row in enumerate(rows[1:], 2):
        cells = {
            key: _text(row[header[name]] if header[name] < len(row) else None)
            for name, key, _ in columns
        }
        if any(cells.values()):
            result.append((number, cells))
    return result


def read_workbook(path: Path) -> Sheets:
    sheets = Sheets()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook, damaged, wrong extension: say so, no traceback
        sheets.problems.append(
            f"打不开表格 {path}：{exc.__class__.__name__}（请用 Excel/WPS 另存为 .xlsx）"
        )
        return sheets
    try:
        faq_rows = _rows(workbook, FAQ_SHEET, FAQ_COLUMNS, sheets.problems)
        message_rows = _rows(workbook, MESSAGES_SHEET, MESSAGE_COLUMNS, sheets.problems)
    finally:
        workbook.close()
    seen: Dict[str, int] = {}
    for number, cells in faq_rows:
        where = f"“{FAQ_SHEET}”第{number}行"
        if not cells["id"]:
            sheets.problems.append(f"{where}：没有填编号（id）")
            continue
        if cells["id"] in seen:
            sheets.problems.append(f"{where}：编号 {cells['id']} 与第{seen[cells['id']]}行重复")
            continue
        if cells["footer"] not in ("", YES, NO):
            sheets.problems.append(f"{where}：“用网页页脚信息”只能填“{YES}”或“{NO}”")
            continue
        seen[cells["id"]] = number
        sheets.faq.append(cells)
    names: Dict[str, int] = {}
    for number, cells in message_rows:
        where = f"“{MESSAGES_SHEET}”第{number}行"
        if not cells["name"]:
            sheets.problems.append(f"{where}：没有名称")
        elif cells["name"] in names:
            sheets.problems.append(
                f"{where}：名称 {cells['name']} 与第{names[cells['name']]}行重复"
            )
        elif not cells["text"]:
            sheets.problems.append(f"{where}：{cells['name']} 的内容是空的")
        else:
            names[cells["name"]] = number
            sheets.messages.append((cells["name"], cells["text"]))
    return sheets


# -- applying to the YAML documents -----------------------------------------


def apply_sheets(faq_doc, messages_doc, sheets: Sheets) -> Changes:
    """Change the loaded documents in place to what the spreadsheet says (no I/O)."""
    changes = Changes()
    entries = faq_doc["faq"]
    wanted = {cells["id"]: cells for cells in sheets.faq}
    for index in reversed(range(len(entries))):
        faq_id = str(entries[index].get("id"))
        if faq_id not in wanted:
            changes.removed.insert(0, f"{faq_id}（{entries[index].get('question')}）")
            del entries[index]
    existing = {str(e.get("id")): e for e in entries}
    for faq_id, cells in wanted.items():
        if faq_id in existing:
            update_entry(existing[faq_id], cells, changes)
        else:
            entries.append(new_entry(cells))
            similar = len(lines_of(cells["similar"]))
            changes.added.append(f"{faq_id}（{cells['question']}，相似问 {similar} 条）")
    messages = messages_doc["messages"]
    given = dict(sheets.messages)
    for name in [n for n in messages if n not in given]:
        changes.messages_removed.append(str(name))
        del messages[name]
    for name, text in given.items():
        if name not in messages:
            messages[name] = template_text(text)
            changes.messages_added.append(name)
        elif set_text(messages, name, text):
            changes.messages_changed.append(name)
    return changes


@dataclass
class ImportResult:
    changes: Changes
    problems: List[str]
    written: bool = False


def import_workbook(
    path: Path, directory: Path, apply: bool, *, by: Optional[str] = None
) -> ImportResult:
    """Validate the whole workbook against a scratch copy; write only with ``apply``
    (``by``: the operator, kept in the history with what changed; default the OS user)."""
    directory = Path(directory)
    sheets = read_workbook(path)
    if sheets.problems:
        return ImportResult(Changes(), sheets.problems)
    faq_doc = load(directory / FAQ_FILE)
    messages_doc = load(directory / MESSAGES_FILE)
    changes = apply_sheets(faq_doc, messages_doc, sheets)
    if changes.empty:
        return ImportResult(changes, [])
    texts = {FAQ_FILE: dump(faq_doc), MESSAGES_FILE: dump(messages_doc)}
    if apply:
        summary = [f"导入表格 {Path(path).name}", *changes.lines()]
        problems = check_and_write(directory, texts, by=by, action="import", summary=summary)
    else:
        problems = check_changes(directory, texts)
    return ImportResult(changes, [str(p) for p in problems], written=apply and not problems)
