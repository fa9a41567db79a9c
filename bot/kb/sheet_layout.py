"""The spreadsheet staff edit in Excel or WPS: its sheets and columns, and the export
(``python -m bot kb export``). Every cell is written as text, never as a formula."""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence, Tuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from bot.kb.edit import FAQ_FILE, load
from bot.kb.entries import NO, YES, cell_text, faq_row
from bot.kb.messages import MESSAGE_VALUES

MESSAGES_FILE = "messages.yml"
FAQ_SHEET = "常见问题"
MESSAGES_SHEET = "固定回复"
HELP_SHEET = "使用说明"
LISTS_SHEET = "可选值"
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
        _put(sheet, row_number, 2, cell_text(messages[name]))
        _put(sheet, row_number, 3, "、".join(f"{{{v}}}" for v in allowed))
    known = DataValidation(type="list", formula1=f"{LISTS_SHEET}!$A$1:$A${max(len(names), 1)}")
    known.error, known.errorTitle = "名称只能是系统使用的固定回复名称", "名称"
    sheet.add_data_validation(known)
    known.add(f"A2:A{len(names) + 1}")
    workbook.active = 1
    workbook.save(out)
    return len(entries), len(names)
