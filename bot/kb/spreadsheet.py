"""The FAQ and the fixed replies as a spreadsheet staff edit in Excel or WPS.

``python -m bot kb export --out faq.xlsx`` writes every FAQ entry and every message of
messages.yml; ``python -m bot kb import faq.xlsx [--apply]`` reads it back, changes the
round-trip YAML documents only where a cell differs (comments, order and styles survive),
checks the result on a scratch copy (``bot.kb.edit.check_and_write``, the same checks as
``kb check``), prints what would change and writes only with ``--apply``.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.kb.edit import FAQ_FILE, check_and_write, clean_question, dump, load
from bot.kb.messages import MESSAGE_VALUES
from bot.kb.problems import Problem

MESSAGES_FILE = "messages.yml"
FAQ_SHEET = "常见问题"
MESSAGES_SHEET = "固定回复"
HELP_SHEET = "使用说明"
LISTS_SHEET = "可选值"
YES, NO = "是", "否"
WHEN_KINDS = ("city", "applicant_type", "direction")
TAG_SEPARATORS = ("、", ",", "，", ";", "；")

# (header, field, width)
FAQ_COLUMNS: List[Tuple[str, str, int]] = [
    ("编号（id）", "id", 18),
    ("标准问", "question", 28),
    ("相似问（每行一条）", "similar", 36),
    ("回答模板", "answer", 50),
    ("问到某市州时的回答", "when.city", 36),
    ("问到某类主体时的回答", "when.applicant_type", 36),
    ("问到某方向时的回答", "when.direction", 36),
    ("出处（通知条款）", "clause", 12),
    ("标签（用、分隔）", "tags", 14),
    ("用网页页脚信息", "footer", 10),
]
MESSAGE_COLUMNS: List[Tuple[str, str, int]] = [
    ("名称（不要改）", "name", 30),
    ("内容", "text", 70),
    ("可用的 {名称}（仅供参考，导入时不读）", "values", 40),
]
HELP = [
    "使用说明",
    "1. “常见问题”表每行一个问答。可以改标准问、相似问（单元格内每行一条，Alt+Enter 换行）、"
    "回答模板、出处、标签；",
    "   新增一行即新增问答（编号用小写英文字母、数字、下划线，如 parking_info）；"
    "删除一行即删除该问答。",
    "2. 回答中用 {名称} 引用事实（如 {deadline}、{phone}），不要直接写日期、电话、邮箱；"
    "可用名称见 python -m bot kb facts。",
    "3. “问到某市州/某类主体/某方向时的回答”可留空；填写后，提问中带有市州等时用这段专门回答。",
    "4. “固定回复”表是欢迎语、兜底回复、自测的提问和结果等固定的话，只改“内容”列，不要改“名称”。",
    "5. 保存后先预览：python -m bot kb import 本文件.xlsx —— 只检查并列出会改动什么，不写文件；",
    "   确认无误后：python -m bot kb import 本文件.xlsx --apply。检查不通过时不会修改任何文件。",
    "6. 回答和固定回复改后立即生效；新增相似问或新问答需要重新训练：python -m bot "
    "publish（不停机）。",
]
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


# -- export ------------------------------------------------------------------


def _cell_text(value: object) -> str:
    return "" if value is None else str(value)


def _put(sheet, row: int, column: int, value: str) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    cell.data_type = "s"  # a template that starts with "=" is text, never a formula
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def _header(sheet, columns: Sequence[Tuple[str, str, int]]) -> None:
    for index, (title, _, width) in enumerate(columns, 1):
        cell = sheet.cell(row=1, column=index, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"


def faq_row(entry) -> Dict[str, str]:
    """One FAQ entry (a loaded YAML mapping) as the spreadsheet's cells."""
    when = entry.get("when") or {}
    row = {
        "id": _cell_text(entry.get("id")),
        "question": _cell_text(entry.get("question")),
        "similar": "\n".join(str(q) for q in entry.get("similar") or []),
        "answer": _cell_text(entry.get("answer")),
        "clause": _cell_text(entry.get("clause")),
        "tags": "、".join(str(t) for t in entry.get("tags") or []),
        "footer": YES if entry.get("footer") else NO,
    }
    for kind in WHEN_KINDS:
        row[f"when.{kind}"] = _cell_text(when.get(kind))
    return row


def export_workbook(directory: Path, out: Path) -> Tuple[int, int]:
    """Write the FAQ and the messages of ``directory`` to ``out``; (entries, messages)."""
    faq = load(Path(directory) / FAQ_FILE)
    messages = load(Path(directory) / MESSAGES_FILE)["messages"]
    workbook = Workbook()
    help_sheet = workbook.active
    help_sheet.title = HELP_SHEET
    for number, line in enumerate(HELP, 1):
        help_sheet.cell(row=number, column=1, value=line).font = Font(bold=number == 1)
    help_sheet.column_dimensions["A"].width = 120

    sheet = workbook.create_sheet(FAQ_SHEET)
    _header(sheet, FAQ_COLUMNS)
    entries = faq.get("faq") or []
    for row_number, entry in enumerate(entries, 2):
        cells = faq_row(entry)
        for column, (_, key, _) in enumerate(FAQ_COLUMNS, 1):
            _put(sheet, row_number, column, cells[key])
    footer = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    footer.error, footer.errorTitle = f"请选择“{YES}”或“{NO}”", "用网页页脚信息"
    sheet.add_data_validation(footer)
    footer_column = sheet.cell(row=1, column=len(FAQ_COLUMNS)).column_letter
    footer.add(f"{footer_column}2:{footer_column}1000")

    lists = workbook.create_sheet(LISTS_SHEET)
    names = list(messages)
    for number, name in enumerate(names, 1):
        lists.cell(row=number, column=1, value=name)
    lists.sheet_state = "hidden"

    sheet = workbook.create_sheet(MESSAGES_SHEET)
    _header(sheet, MESSAGE_COLUMNS)
    for row_number, name in enumerate(names, 2):
        allowed = sorted(MESSAGE_VALUES.get(name, (frozenset(), frozenset()))[0])
        _put(sheet, row_number, 1, str(name))
        _put(sheet, row_number, 2, _cell_text(messages[name]))
        _put(sheet, row_number, 3, "、".join(f"{{{v}}}" for v in allowed))
    known = DataValidation(type="list", formula1=f"{LISTS_SHEET}!$A$1:$A${max(len(names), 1)}")
    known.error, known.errorTitle = "名称只能是系统使用的固定回复名称", "名称"
    sheet.add_data_validation(known)
    known.add(f"A2:A{len(names) + 1}")
    workbook.active = 1
    workbook.save(out)
    return len(entries), len(names)


# -- reading -----------------------------------------------------------------


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


@dataclass
class Changes:
    added: List[str] = field(default_factory=list)
    removed: List[str] = field(default_factory=list)
    changed: List[str] = field(default_factory=list)  # "id：标准问、回答…" per entry
    similar_added: List[Tuple[str, str]] = field(default_factory=list)
    similar_removed: List[Tuple[str, str]] = field(default_factory=list)
    answers_changed: List[str] = field(default_factory=list)
    messages_changed: List[str] = field(default_factory=list)
    messages_added: List[str] = field(default_factory=list)
    messages_removed: List[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())

    @property
    def needs_training(self) -> bool:
        """New or removed entries, or changed questions: the NLU model must learn them."""
        questions = any("标准问" in c for c in self.changed)
        return bool(
            self.added or self.removed or self.similar_added or self.similar_removed or questions
        )

    def lines(self) -> List[str]:
        out = []
        out += [f"新增问答：{i}" for i in self.added]
        out += [f"删除问答：{i}" for i in self.removed]
        out += [f"修改问答：{c}" for c in self.changed]
        out += [f"  {i} 新增相似问：{q}" for i, q in self.similar_added]
        out += [f"  {i} 删除相似问：{q}" for i, q in self.similar_removed]
        out += [f"回答改动：{i}" for i in self.answers_changed]
        out += [f"修改固定回复：{n}" for n in self.messages_changed]
        out += [f"新增固定回复：{n}" for n in self.messages_added]
        out += [f"删除固定回复：{n}" for n in self.messages_removed]
        return out


def _block(text: str):
    return LiteralScalarString(text) if "\n" in text else text


def _template(text: str):
    """Answers and message texts are written as ``|-`` blocks, like the shipped files."""
    return LiteralScalarString(text)


def _set_text(mapping, key: str, value: str, template: bool = False) -> bool:
    """Set ``mapping[key]`` to ``value`` unless it already says that; True when changed."""
    old = mapping.get(key)
    if old is not None and str(old) == value:
        return False
    if not value:
        if key in mapping:
            del mapping[key]
            return True
        return False
    mapping[key] = (
        _template(value) if template or isinstance(old, LiteralScalarString) else _block(value)
    )
    return True


def _lines(text: str) -> List[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _tags(text: str) -> List[str]:
    for separator in TAG_SEPARATORS[1:]:
        text = text.replace(separator, TAG_SEPARATORS[0])
    return [t.strip() for t in text.split(TAG_SEPARATORS[0]) if t.strip()]


def _update_similar(entry, wanted: List[str], changes: Changes) -> None:
    faq_id = str(entry.get("id"))
    current = [str(q) for q in entry.get("similar") or []]
    if current == wanted:
        return
    similar = entry.get("similar")
    if similar is None:
        similar = entry["similar"] = CommentedSeq()
    for index in reversed(range(len(current))):
        if current[index] not in wanted:
            changes.similar_removed.append((faq_id, current[index]))
            del similar[index]
    kept = set(current)
    for question in wanted:
        if question not in kept:
            similar.append(question)
            kept.add(question)
            changes.similar_added.append((faq_id, question))


def _update_entry(entry, cells: Dict[str, str], changes: Changes) -> None:
    faq_id = str(entry.get("id"))
    what = []
    if _set_text(entry, "question", clean_question(cells["question"])):
        what.append("标准问")
    if _set_text(entry, "clause", cells["clause"]):
        what.append("出处")
    tags = _tags(cells["tags"])
    if [str(t) for t in entry.get("tags") or []] != tags:
        seq = CommentedSeq(tags)
        seq.fa.set_flow_style()
        entry["tags"] = seq
        what.append("标签")
    if _set_text(entry, "answer", cells["answer"], template=True):
        what.append("回答")
        changes.answers_changed.append(faq_id)
    when = entry.get("when")
    wanted_when = {kind: cells[f"when.{kind}"] for kind in WHEN_KINDS if cells[f"when.{kind}"]}
    current_when = {k: str(v) for k, v in (when or {}).items()}
    if current_when != wanted_when:
        if not wanted_when:
            del entry["when"]
        else:
            if when is None:
                when = CommentedMap()
                _insert_after(entry, "when", when, "answer")
            for kind in WHEN_KINDS:
                _set_text(when, kind, wanted_when.get(kind, ""), template=True)
        what.append("专门回答")
        if faq_id not in changes.answers_changed:
            changes.answers_changed.append(faq_id)
    footer = cells["footer"] == YES
    if bool(entry.get("footer")) != footer:
        if footer:
            entry["footer"] = True
        else:
            del entry["footer"]
        what.append("页脚信息")
    before = len(changes.similar_added) + len(changes.similar_removed)
    _update_similar(entry, [clean_question(q) for q in _lines(cells["similar"])], changes)
    if len(changes.similar_added) + len(changes.similar_removed) != before:
        what.append("相似问")
    if what:
        changes.changed.append(f"{faq_id}（{'、'.join(what)}）")


def _insert_after(mapping: CommentedMap, key: str, value, after: str) -> None:
    keys = list(mapping.keys())
    position = keys.index(after) + 1 if after in keys else len(keys)
    mapping.insert(position, key, value)


def _new_entry(cells: Dict[str, str]) -> CommentedMap:
    entry = CommentedMap()
    entry["id"] = cells["id"]
    entry["question"] = clean_question(cells["question"])
    entry["clause"] = cells["clause"]
    tags = CommentedSeq(_tags(cells["tags"]))
    tags.fa.set_flow_style()
    entry["tags"] = tags
    entry["answer"] = _template(cells["answer"])
    when = CommentedMap()
    for kind in WHEN_KINDS:
        if cells[f"when.{kind}"]:
            when[kind] = _template(cells[f"when.{kind}"])
    if when:
        entry["when"] = when
    entry["similar"] = CommentedSeq([clean_question(q) for q in _lines(cells["similar"])])
    if cells["footer"] == YES:
        entry["footer"] = True
    return entry


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
            _update_entry(existing[faq_id], cells, changes)
        else:
            entries.append(_new_entry(cells))
            similar = len(_lines(cells["similar"]))
            changes.added.append(f"{faq_id}（{cells['question']}，相似问 {similar} 条）")
    messages = messages_doc["messages"]
    given = dict(sheets.messages)
    for name in [n for n in messages if n not in given]:
        changes.messages_removed.append(str(name))
        del messages[name]
    for name, text in given.items():
        if name not in messages:
            messages[name] = _template(text)
            changes.messages_added.append(name)
        elif _set_text(messages, name, text):
            changes.messages_changed.append(name)
    return changes


@dataclass
class ImportResult:
    changes: Changes
    problems: List[str]
    written: bool = False


def import_workbook(path: Path, directory: Path, apply: bool) -> ImportResult:
    """Validate the whole workbook against a scratch copy; write only with ``apply``."""
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
    problems: List[Problem] = (
        check_and_write(directory, texts) if apply else _dry_run(directory, texts)
    )
    return ImportResult(changes, [str(p) for p in problems], written=apply and not problems)


def _dry_run(directory: Path, texts: Dict[str, str]) -> List[Problem]:
    """The checks ``check_and_write`` would run, on a scratch copy, without writing."""
    with tempfile.TemporaryDirectory(prefix="kb-import-") as scratch:
        copy = Path(scratch) / "knowledge"
        shutil.copytree(directory, copy)
        return check_and_write(copy, texts)
