"""Close the loop: unanswered questions → spreadsheet → staff decide → knowledge/faq.yml.

``python -m bot review export [--out review.xlsx] [--since …] [--until …]``
``python -m bot review import review.xlsx``
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Dict, List

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from bot.kb.edit import AddSimilar, NewFaq, apply_edits
from bot.kb.history import undo_hint
from bot.questionlog.safe_cells import safe_cell, unquote
from bot.questionlog.similarity import nearest
from bot.questionlog.stats import FaqLabels, load_rows, unanswered_by_category

SHEET = "未能回答的问题"
ADD_SIMILAR = "加为相似问"
NEW_FAQ = "新建问答"
IGNORE = "忽略"
CHOICES = (ADD_SIMILAR, NEW_FAQ, IGNORE)

COLUMNS = [
    ("组号", 6),
    ("代表问法", 28),
    ("次数", 6),
    ("例句", 40),
    ("最相近的问答ID", 16),
    ("最相近的标准问", 28),
    ("相似度", 8),
    ("处理方式", 12),
    ("问答ID", 16),
    ("要加入的问法（每行一条）", 36),
    ("新问答的标准问", 28),
    ("新问答的回答", 40),
    ("出处条款", 10),
    ("类别", 12),
]

INSTRUCTIONS = [
    "使用说明",
    "1. 每一行是一组意思相近、助手没能回答的提问（已合并相似问法，手机号等个人信息已遮盖）。",
    "2. 在“处理方式”列下拉选择：",
    f"   · {ADD_SIMILAR}：这些问法其实是已有问答能回答的。“问答ID”列默认填了最相近的问答，"
    "如不对请改成正确的 id；“要加入的问法”列可删改，每行一条。",
    f"   · {NEW_FAQ}：需要新的问答。“问答ID”填一个新的英文 id（小写字母、数字、下划线，如 "
    "parking_info）；填写“新问答的标准问”“新问答的回答”“出处条款”（通知第几条，如 四、2）；"
    "“要加入的问法”至少 3 条。",
    "     回答中不要直接写电话、邮箱、日期，请用 {phone}、{email}、{deadline} 等引用（可用名称见 "
    "python -m bot kb facts）。",
    f"   · {IGNORE} 或留空：不处理。",
    "   “类别”列：未能回答 = 助手没有听懂；通知未涉及 = "
    "助手已说明通知没有规定并给出咨询电话（可考虑补充问答）。",
    "3. 保存后运行：python -m bot review import 本文件.xlsx —— 程序会修改 knowledge/faq.yml、"
    "做知识库检查，并告诉您是否需要发布新模型（python -m bot publish）。",
    "   检查不通过时不会修改任何文件，请按提示改表格后重新导入。",
]


def _lines(value: object) -> List[str]:
    if value is None:
        return []
    return [line.strip() for line in str(value).replace("\r", "\n").split("\n") if line.strip()]


def export(
    out: Path,
    since: dt.date,
    until: dt.date,
    url: str | None = None,
    knowledge_dir: Path | None = None,
    limit: int = 300,
) -> int:
    """Write the review spreadsheet; return the number of groups."""
    labels = FaqLabels.from_knowledge(knowledge_dir)
    groups = unanswered_by_category(load_rows(since, until, url))[:limit]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append([name for name, _ in COLUMNS])
    for number, (category, group) in enumerate(groups, 1):
        faq_id, score = nearest(group.key, labels.wordings)
        sheet.append(
            [
                safe_cell(value)
                for value in [
                    number,
                    group.key,
                    group.count,
                    "\n".join(group.examples),
                    faq_id or "",
                    labels.questions.get(faq_id, "") if faq_id else "",
                    round(score, 2),
                    "",
                    faq_id or "",
                    "\n".join(group.examples),
                    group.examples[0] if group.examples else group.key,
                    "",
                    "",
                    category,
                ]
            ]
        )
    header_fill = PatternFill("solid", fgColor="FCE4D6")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for index, (_, width) in enumerate(COLUMNS, 1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    choice_column = sheet.cell(
        row=1, column=[n for n, _ in COLUMNS].index("处理方式") + 1
    ).column_letter
    validation = DataValidation(
        type="list", formula1='"' + ",".join(CHOICES) + '"', allow_blank=True
    )
    validation.error = "请从下拉列表中选择：" + " / ".join(CHOICES)
    validation.errorTitle = "处理方式"
    validation.prompt = "请选择：" + " / ".join(CHOICES)
    validation.promptTitle = "处理方式"
    sheet.add_data_validation(validation)
    validation.add(f"{choice_column}2:{choice_column}{max(len(groups), 1) + 1000}")
    sheet.freeze_panes = "C2"
    help_sheet = workbook.create_sheet("说明")
    for line in INSTRUCTIONS:
        help_sheet.append([line])
    help_sheet.column_dimensions["A"].width = 120
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return len(groups)


def read_decisions(path: Path):
    """(edits, ignored count, problems) from a filled-in review spreadsheet."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        return [], 0, ["表格是空的"]
    header: Dict[str, int] = {
        str(name).strip(): index for index, name in enumerate(rows[0]) if name
    }
    missing = [name for name, _ in COLUMNS if name not in header]
    if missing:
        return [], 0, [f"表格缺少列：{'、'.join(missing)}（请使用 review export 导出的表格）"]

    def cell(row, name):
        index = header[name]
        value = row[index] if index < len(row) else None
        return "" if value is None else unquote(str(value).strip())

    edits: List[object] = []
    problems: List[str] = []
    ignored = 0
    for number, row in enumerate(rows[1:], 2):
        choice = cell(row, "处理方式")
        where = f"第{number}行（{cell(row, '代表问法')}）"
        if choice in ("", IGNORE):
            ignored += 1
            continue
        faq_id = cell(row, "问答ID")
        questions = _lines(cell(row, "要加入的问法（每行一条）"))
        if choice == ADD_SIMILAR:
            if not faq_id:
                problems.append(f"{where}：选了“{ADD_SIMILAR}”，但没有填问答ID")
            elif not questions:
                problems.append(f"{where}：选了“{ADD_SIMILAR}”，但“要加入的问法”是空的")
            else:
                edits.append(AddSimilar(faq_id, questions))
        elif choice == NEW_FAQ:
            question = cell(row, "新问答的标准问") or cell(row, "代表问法")
            answer = cell(row, "新问答的回答")
            clause = cell(row, "出处条款")
            lacking = [
                name
                for name, value in (
                    ("问答ID", faq_id),
                    ("新问答的回答", answer),
                    ("出处条款", clause),
                )
                if not value
            ]
            if lacking:
                problems.append(f"{where}：选了“{NEW_FAQ}”，但没有填{'、'.join(lacking)}")
            else:
                edits.append(
                    NewFaq(
                        faq_id, question, answer, clause, [q for q in questions if q != question]
                    )
                )
        else:
            problems.append(f"{where}：处理方式“{choice}”无法识别，应为 {' / '.join(CHOICES)}")
    return edits, ignored, problems


def import_review(path: Path, knowledge_dir: Path, by: str | None = None) -> int:
    edits, ignored, problems = read_decisions(path)
    if problems:
        print("表格中有需要先改正的地方（没有修改任何文件）：", file=sys.stderr)
        for problem in problems:
            print(f"  · {problem}", file=sys.stderr)
        return 1
    if not edits:
        print(f"没有需要处理的行（忽略 {ignored} 行），知识库未改动。")
        return 0
    result = apply_edits(knowledge_dir, edits, by=by, action="review")
    for note in result.skipped:
        print(f"  跳过：{note}")
    if result.problems:
        print(
            "修改后知识库检查未通过，因此没有修改任何文件。请按下面的提示改表格后重新导入：",
            file=sys.stderr,
        )
        for problem in result.problems:
            print(f"  · {problem}", file=sys.stderr)
        return 1
    if not result.written:
        print(f"没有新的内容需要写入（忽略 {ignored} 行），知识库未改动。")
        return 0
    print(f"已修改 {knowledge_dir / 'faq.yml'}，知识库检查通过：")
    for change in result.changes:
        print(f"  ✓ {change}")
    print(f"忽略 {ignored} 行。")
    print("新问法要训练后才能被识别：运行 python -m bot publish（后台训练，训练好后不停机切换）。")
    hint = undo_hint(knowledge_dir)
    if hint:
        print(hint)
    return 0
