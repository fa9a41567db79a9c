"""Close the loop: export unanswered groups → staff fill the xlsx → import into a copy of
knowledge/."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from bot.cli import main as cli_main
from bot.kb.load import check_directory, load_knowledge
from bot.questionlog import review
from bot.questionlog.broker import write_rows
from tests.support.question_log import make_row

WHEN = dt.datetime(2026, 11, 2, 3, 0)
UNANSWERED = [
    ("截止日期到底是几号啊", 3),  # existing topic, worded in a way the model missed
    ("食堂几点开饭", 2),
    ("材料交错了能不能补交", 1),
]


@pytest.fixture
def exported(db_url, knowledge_copy, tmp_path):
    rows = []
    for text, times in UNANSWERED:
        for i in range(times):
            rows.append(
                make_row(
                    WHEN + dt.timedelta(minutes=len(rows)),
                    f"{text}-{i}",
                    sender_id=f"re_{i}",
                    topic="fallback",
                    text=text,
                )
            )
    rows.append(make_row(WHEN, "answered", topic="deadline", text="申报截止时间是什么时候"))
    write_rows(rows, db_url)
    out = tmp_path / "review.xlsx"
    args = [
        "export",
        "--out",
        str(out),
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--database-url",
        db_url,
        "--knowledge-dir",
        str(knowledge_copy),
    ]
    assert cli_main(["review", *args]) == 0
    return out


def column(sheet, name):
    header = [c.value for c in sheet[1]]
    return header.index(name) + 1


def test_export_lists_groups_with_nearest_faq_and_a_dropdown(exported):
    workbook = load_workbook(exported)
    sheet = workbook[review.SHEET]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in rows] == [
        (t, n) for t, n in UNANSWERED
    ]  # answered questions are not listed
    first = rows[0]
    assert first[column(sheet, "最相近的问答ID") - 1] == "deadline"
    assert first[column(sheet, "最相近的标准问") - 1] == "申报截止时间是什么时候？"
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1
    assert validations[0].formula1 == '"加为相似问,新建问答,忽略"'
    letter = sheet.cell(row=1, column=column(sheet, "处理方式")).column_letter
    assert f"{letter}2" in validations[0].sqref
    assert "说明" in workbook.sheetnames
    workbook.close()


def fill(path, decisions):
    workbook = load_workbook(path)
    sheet = workbook[review.SHEET]
    for row_number, values in decisions.items():
        for name, value in values.items():
            sheet.cell(row=row_number, column=column(sheet, name), value=value)
    workbook.save(path)
    workbook.close()


def test_round_trip_into_knowledge(exported, knowledge_copy, capsys):
    faq_before = (knowledge_copy / "faq.yml").read_text(encoding="utf-8")
    fill(
        exported,
        {
            2: {"处理方式": "加为相似问"},  # keep the suggested FAQ id and wordings
            3: {"处理方式": "忽略"},
            4: {
                "处理方式": "新建问答",
                "问答ID": "makeup_materials",
                "新问答的标准问": "材料漏交了能补交吗？",
                "新问答的回答": "通知未规定补交办法，具体请咨询所在市州发展改革委。",
                "出处条款": "一",
                "要加入的问法（每行一条）": (
                    "材料交错了能不能补交\n可以补交材料吗\n漏交的材料还能补吗\n补交材料找谁"
                ),
            },
        },
    )
    assert (
        cli_main(["review", "import", str(exported), "--knowledge-dir", str(knowledge_copy)]) == 0
    )
    printed = capsys.readouterr().out
    assert "问答 deadline 新增相似问 1 条：截止日期到底是几号啊" in printed
    assert "新建问答 makeup_materials" in printed
    assert "make train" in printed
    kb = load_knowledge(knowledge_copy)
    assert "截止日期到底是几号啊" in kb.faq_entry("deadline").similar
    new = kb.faq_entry("makeup_materials")
    assert new.question == "材料漏交了能补交吗？" and new.clause == "一"
    assert new.similar == [
        "材料交错了能不能补交",
        "可以补交材料吗",
        "漏交的材料还能补吗",
        "补交材料找谁",
    ]
    assert check_directory(knowledge_copy) == []
    faq_after = (knowledge_copy / "faq.yml").read_text(encoding="utf-8")
    # staff comments and the existing entries survive untouched
    assert faq_after.startswith(faq_before.split("faq:")[0])
    assert faq_before.rstrip("\n") in faq_after.replace("      - 截止日期到底是几号啊\n", "")
    # importing the same sheet again changes nothing
    assert (
        cli_main(["review", "import", str(exported), "--knowledge-dir", str(knowledge_copy)]) == 0
    )
    assert (knowledge_copy / "faq.yml").read_text(encoding="utf-8").count("makeup_materials") == 1


def test_a_row_that_breaks_the_check_changes_nothing(exported, knowledge_copy, capsys):
    before = (knowledge_copy / "faq.yml").read_text(encoding="utf-8")
    fill(
        exported,
        {
            2: {"处理方式": "加为相似问"},
            4: {
                "处理方式": "新建问答",
                "问答ID": "makeup_materials",
                # a literal phone number: the check refuses it
                "新问答的回答": "请致电 0731-89991015 咨询。",
                "出处条款": "一",
                "要加入的问法（每行一条）": "可以补交材料吗\n漏交的材料还能补吗\n补交材料找谁",
            },
        },
    )
    assert (
        cli_main(["review", "import", str(exported), "--knowledge-dir", str(knowledge_copy)]) == 1
    )
    assert "{phone}" in capsys.readouterr().err
    assert (knowledge_copy / "faq.yml").read_text(encoding="utf-8") == before


def test_incomplete_rows_are_reported_in_words(exported, knowledge_copy, capsys):
    fill(exported, {2: {"处理方式": "新建问答", "问答ID": ""}, 3: {"处理方式": "随便"}})
    assert (
        cli_main(["review", "import", str(exported), "--knowledge-dir", str(knowledge_copy)]) == 1
    )
    err = capsys.readouterr().err
    assert "没有填问答ID、新问答的回答、出处条款" in err and "无法识别" in err
