"""Reading a spreadsheet back (``python -m bot kb import``): every row checked, the YAML
documents changed only where a cell differs (``bot.kb.entries``), the result checked on a
scratch copy and written only with ``--apply`` (``bot.kb.edit.check_and_write``)."""

from __future__ import annotations

import re
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
from bot.kb.problems import Problem
from bot.kb.sheet_layout import (
    FAQ_COLUMNS,
    FAQ_SHEET,
    MESSAGE_COLUMNS,
    MESSAGES_FILE,
    MESSAGES_SHEET,
    VERSION_SHEET,
    knowledge_digest,
)


@dataclass
class Sheets:
    faq: List[Dict[str, str]] = field(default_factory=list)
    messages: List[Tuple[str, str]] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)
    faq_rows: Dict[str, int] = field(default_factory=dict)  # id → the row staff see
    message_rows: Dict[str, int] = field(default_factory=dict)  # name → the row staff see
    digest: str = ""  # the knowledge the workbook was exported from (kb export)
    exported: str = ""  # when, Beijing time


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


def formula_cells(path: Path) -> List[str]:
    """Every formula cell of the two sheets staff edit, as a problem saying what to do: a
    formula's value is whatever Excel/WPS last computed (or nothing), never what was typed."""
    workbook = load_workbook(path, read_only=True, data_only=False)
    found = []
    try:
        for title in (FAQ_SHEET, MESSAGES_SHEET):
            if title not in workbook.sheetnames:
                continue
            for row in workbook[title].iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        formula = str(cell.value)[:30]
                        found.append(
                            f"“{title}”表 {cell.coordinate} 单元格是公式（{formula}）："
                            "请改成直接输入的文字（复制后“选择性粘贴 → 数值”），保存后重新导入"
                        )
    finally:
        workbook.close()
    return found


def read_workbook(path: Path) -> Sheets:
    sheets = Sheets()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheets.problems += formula_cells(path)
    except Exception:  # not a workbook, damaged, wrong extension: say so, no traceback
        sheets.problems.append(
            f"打不开表格 {Path(path).name}：它不是 Excel 表格（.xlsx），或者文件已损坏。"
            "请用 Excel/WPS 打开后“另存为”Excel 工作簿（.xlsx）再导入"
        )
        return sheets
    try:
        faq_rows = _rows(workbook, FAQ_SHEET, FAQ_COLUMNS, sheets.problems)
        message_rows = _rows(workbook, MESSAGES_SHEET, MESSAGE_COLUMNS, sheets.problems)
        if VERSION_SHEET in workbook.sheetnames:
            stamp = {
                _text(row[0]): _text(row[1])
                for row in workbook[VERSION_SHEET].iter_rows(values_only=True)
                if len(row) >= 2
            }
            sheets.digest = stamp.get("知识库指纹", "")
            sheets.exported = stamp.get("导出时间（北京时间）", "")
    finally:
        workbook.close()
    if sheets.problems:
        return sheets
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
    sheets.faq_rows = dict(seen)
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
    sheets.message_rows = dict(names)
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
    stale: bool = False  # exported before the knowledge last changed


_ENTRY = re.compile(r"第(\d+)项|^faq › ([A-Za-z0-9_]+)")


def sheet_place(problem: Problem, sheets: Sheets, faq_ids: List[str]) -> str:
    """A knowledge-check problem as staff find it in the workbook: sheet and row."""
    entry = problem.entry or ""
    if problem.file == FAQ_FILE:
        match = _ENTRY.search(entry)
        faq_id = None
        if match and match.group(1) and int(match.group(1)) <= len(faq_ids):
            faq_id = faq_ids[int(match.group(1)) - 1]
        elif match and match.group(2):
            faq_id = match.group(2)
        if faq_id in sheets.faq_rows:
            return (
                f"“{FAQ_SHEET}”表第{sheets.faq_rows[faq_id]}行（编号 {faq_id}）：{problem.message}"
            )
    if problem.file == MESSAGES_FILE:
        name = entry.rsplit("›", 1)[-1].strip()
        if name in sheets.message_rows:
            return (
                f"“{MESSAGES_SHEET}”表第{sheets.message_rows[name]}行（{name}）：{problem.message}"
            )
    return str(problem)


def stale_problem(sheets: Sheets, changes: Changes) -> str:
    """Why an export older than the live knowledge is not imported without ``--force``."""
    when = f"（导出于 {sheets.exported}）" if sheets.exported else ""
    losing = [*changes.removed, *(f"{i} 的相似问“{q}”" for i, q in changes.similar_removed)]
    lost = f"它会删除：{'；'.join(losing)}。" if losing else ""
    return (
        f"这个表格{when}导出之后，知识库又被修改过；按它导入会把之后的修改改回去。{lost}"
        "请重新导出最新的表格再修改；确认要以这个表格为准，请加 --force 重新导入"
    )


def import_workbook(
    path: Path, directory: Path, apply: bool, *, by: Optional[str] = None, force: bool = False
) -> ImportResult:
    """Validate the whole workbook against a scratch copy; write only with ``apply``
    (``by``: the operator, kept in the history with what changed; default the OS user). A
    workbook exported before the knowledge last changed is refused unless ``force``."""
    directory = Path(directory)
    sheets = read_workbook(path)
    if sheets.problems:
        return ImportResult(Changes(), sheets.problems)
    faq_doc = load(directory / FAQ_FILE)
    messages_doc = load(directory / MESSAGES_FILE)
    changes = apply_sheets(faq_doc, messages_doc, sheets)
    if changes.empty:
        return ImportResult(changes, [])
    stale = bool(sheets.digest) and sheets.digest != knowledge_digest(directory)
    if stale and not force:
        return ImportResult(changes, [stale_problem(sheets, changes)], stale=True)
    texts = {FAQ_FILE: dump(faq_doc), MESSAGES_FILE: dump(messages_doc)}
    if apply:
        summary = [f"导入表格 {Path(path).name}", *changes.lines()]
        problems = check_and_write(directory, texts, by=by, action="import", summary=summary)
    else:
        problems = check_changes(directory, texts)
    faq_ids = [str(e.get("id")) for e in faq_doc.get("faq") or []]
    return ImportResult(
        changes,
        [sheet_place(p, sheets, faq_ids) for p in problems],
        written=apply and not problems,
        stale=stale,
    )
