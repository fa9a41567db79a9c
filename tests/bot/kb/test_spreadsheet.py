"""The FAQ as a spreadsheet: export, edit with openpyxl as Excel would, import (real files)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bot import settings as bot_settings
from bot.cli import main as cli_main
from bot.kb.edit import clean_question
from bot.kb.load import load_knowledge
from bot.kb.spreadsheet import (
    FAQ_COLUMNS,
    FAQ_SHEET,
    MESSAGES_SHEET,
    export_workbook,
    import_workbook,
)
from tests.support.tiers import examples


def snapshot(directory: Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yml"))}


def column(title_key: str) -> int:
    return [key for _, key, _ in FAQ_COLUMNS].index(title_key) + 1


def row_of(sheet, faq_id: str) -> int:
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == faq_id:
            return row
    raise AssertionError(faq_id)


def message_row(sheet, name: str) -> int:
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == name:
            return row
    raise AssertionError(name)


@pytest.fixture()
def exported(knowledge_copy, tmp_path) -> Path:
    out = tmp_path / "faq.xlsx"
    export_workbook(knowledge_copy, out)
    return out


def test_round_trip_without_edits_changes_no_byte(knowledge_copy, exported):
    before = snapshot(knowledge_copy)
    result = import_workbook(exported, knowledge_copy, apply=True)
    assert result.problems == [] and result.changes.empty and not result.written
    assert snapshot(knowledge_copy) == before


def test_the_sheets_are_made_for_excel(knowledge_copy, exported):
    workbook = load_workbook(exported)
    faq, messages = workbook[FAQ_SHEET], workbook[MESSAGES_SHEET]
    assert faq.freeze_panes == "A2" and messages.freeze_panes == "A2"
    assert faq.cell(row=1, column=1).value == "编号（id）" and faq.cell(row=1, column=1).font.b
    assert faq.cell(row=2, column=column("answer")).alignment.wrap_text
    kb = load_knowledge(knowledge_copy)
    assert faq.max_row == len(kb.faq) + 1
    similar = faq.cell(row=row_of(faq, "deadline"), column=column("similar")).value.split("\n")
    assert similar == kb.faq_entry("deadline").similar
    validations = [v.formula1 for v in faq.data_validations.dataValidation]
    assert '"是,否"' in validations
    assert messages.data_validations.dataValidation[0].formula1.startswith("可选值!")


def test_edits_are_listed_then_applied_keeping_comments(knowledge_copy, exported):
    workbook = load_workbook(exported)
    faq, messages = workbook[FAQ_SHEET], workbook[MESSAGES_SHEET]
    deadline = row_of(faq, "deadline")
    cell = faq.cell(row=deadline, column=column("similar"))
    cell.value = cell.value.replace("截止日期是哪天\n", "") + "\n材料最晚哪一天要报到省里"
    row = faq.max_row + 1
    new = {
        "id": "window_hours_demo",
        "question": "省政务服务中心在几楼",
        "clause": "四、2",
        "tags": "报送",
        "answer": "申报材料报至{submission_window}，地址：{submission_address}。",
        "similar": "政务服务中心在哪一层\n交材料去几楼\n省政务中心哪一层收材料",
        "footer": "否",
    }
    for key, value in new.items():
        faq.cell(row=row, column=column(key), value=value)
    faq.cell(row=row_of(faq, "copies"), column=column("answer")).value += "\n请按要求装订。"
    deleted = faq.max_row - 1
    deleted_id = faq.cell(row=deleted, column=1).value
    faq.delete_rows(deleted)
    _forget_in_english(knowledge_copy, deleted_id)  # every entry is reachable in English
    messages.cell(row=message_row(messages, "goodbye"), column=2).value = "再会！祝申报顺利。"
    workbook.save(exported)

    before = snapshot(knowledge_copy)
    preview = import_workbook(exported, knowledge_copy, apply=False)
    assert preview.problems == [] and not preview.written
    assert snapshot(knowledge_copy) == before  # a preview writes nothing
    lines = "\n".join(preview.changes.lines())
    assert "新增问答：window_hours_demo" in lines
    assert "deadline 新增相似问：材料最晚哪一天要报到省里" in lines
    assert "deadline 删除相似问：截止日期是哪天" in lines
    assert "回答改动：copies" in lines and "修改固定回复：goodbye" in lines
    assert "删除问答：" in lines and preview.changes.needs_training

    result = import_workbook(exported, knowledge_copy, apply=True)
    assert result.written and result.problems == []
    kb = load_knowledge(knowledge_copy)
    assert kb.faq_entry("window_hours_demo").similar[-1] == "省政务中心哪一层收材料"
    assert "材料最晚哪一天要报到省里" in kb.faq_entry("deadline").similar
    assert kb.faq_entry("copies").answer.endswith("请按要求装订。")
    assert kb.message("goodbye") == "再会！祝申报顺利。"
    text = (knowledge_copy / "faq.yml").read_text(encoding="utf-8")
    assert text.startswith("# 常见问题（FAQ）\n# 工作人员维护说明：")  # comments survive
    assert (knowledge_copy / "messages.yml").read_text(encoding="utf-8").startswith("# 固定回复")
    untouched = before["notice.yml"]
    assert (knowledge_copy / "notice.yml").read_bytes() == untouched


def _forget_in_english(knowledge_dir: Path, faq_id: str) -> None:
    """Drop english.yml's keywords of an entry (what staff do before deleting the entry)."""
    path = knowledge_dir / "english.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["topics"] = [t for t in data["topics"] if t["faq"] != faq_id]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _has(sheet, faq_id: str) -> bool:
    return any(sheet.cell(row=r, column=1).value == faq_id for r in range(2, sheet.max_row + 1))


def _edit_and_import(knowledge_copy, exported, change):
    workbook = load_workbook(exported)
    change(workbook)
    workbook.save(exported)
    before = snapshot(knowledge_copy)
    result = import_workbook(exported, knowledge_copy, apply=True)
    assert not result.written and snapshot(knowledge_copy) == before
    return "\n".join(result.problems)


def _set_faq(faq_id: str, key: str, value: str):
    def change(workbook):
        sheet = workbook[FAQ_SHEET]
        sheet.cell(row=row_of(sheet, faq_id), column=column(key), value=value)

    return change


def _set_message(name: str, value: str):
    def change(workbook):
        sheet = workbook[MESSAGES_SHEET]
        sheet.cell(row=message_row(sheet, name), column=2, value=value)

    return change


@pytest.mark.parametrize(
    "change, expected",
    [
        (_set_faq("copies", "answer", "请交{copys}份"), "answer 引用了不存在的事实 {copys}"),
        (_set_faq("copies", "answer", "请打 0731-12345678"), "直接写了电话号码"),
        (_set_faq("copies", "id", "deadline"), "编号 deadline 与第2行重复"),
        (_set_faq("copies", "id", ""), "没有填编号（id）"),
        (_set_faq("copies", "footer", "也许"), "“用网页页脚信息”只能填“是”或“否”"),
        (_set_faq("copies", "id", "Bad-Id"), "id 只能用小写英文字母"),
        (
            _set_message("selfcheck_question", "第{number}题"),
            "行（selfcheck_question）：缺少必须出现的 {question}",
        ),
        (_set_message("goodbye", "再见{nope}"), "（goodbye）：引用了这条回复不能用的名称 {nope}"),
        (_set_message("goodbye", ""), "goodbye 的内容是空的"),
        (lambda wb: wb.remove(wb[MESSAGES_SHEET]), "表格里没有“固定回复”工作表"),
        (
            lambda wb: wb[FAQ_SHEET].cell(row=1, column=2, value="问题"),
            "“常见问题”表缺少列：标准问",
        ),
    ],
)
def test_bad_workbooks_are_refused_in_chinese_and_write_nothing(
    knowledge_copy, exported, change, expected
):
    assert expected in _edit_and_import(knowledge_copy, exported, change)


def test_a_file_that_is_not_a_workbook(knowledge_copy, tmp_path):
    path = tmp_path / "faq.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    result = import_workbook(path, knowledge_copy, apply=True)
    assert result.problems and result.problems[0].startswith("打不开表格")


def test_an_empty_workbook(knowledge_copy, tmp_path):
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    problems = import_workbook(path, knowledge_copy, apply=True).problems
    assert any("没有“常见问题”工作表" in p for p in problems)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30))
def test_any_new_similar_question_is_cleaned_or_refused(knowledge_copy, exported, text):
    workbook = load_workbook(exported)
    sheet = workbook[FAQ_SHEET]
    cell = sheet.cell(row=row_of(sheet, "copies"), column=column("similar"))
    original = cell.value
    cell.value = f"{original}\n{text}"
    path = exported.with_name("fuzz.xlsx")
    workbook.save(path)
    result = import_workbook(path, knowledge_copy, apply=False)  # a preview: never a traceback
    wanted = [q.strip() for q in text.split("\n") if q.strip()]
    if result.problems or not wanted or not clean_question(wanted[-1]):
        return
    added = [q for i, q in result.changes.similar_added if i == "copies"]
    assert all(q == clean_question(q) for q in added)


def test_cli_export_preview_apply(knowledge_copy, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    bot_settings.get_settings.cache_clear()
    out = tmp_path / "faq.xlsx"
    try:
        assert cli_main(["kb", "export", "--out", str(out)]) == 0
        assert "已导出 " in capsys.readouterr().out
        assert cli_main(["kb", "import", str(out)]) == 0
        assert "没有需要修改的内容" in capsys.readouterr().out
        workbook = load_workbook(out)
        sheet = workbook[MESSAGES_SHEET]
        sheet.cell(row=message_row(sheet, "thanks"), column=2, value="不用谢！")
        workbook.save(out)
        assert cli_main(["kb", "import", str(out)]) == 0
        assert "以上只是预览" in capsys.readouterr().out
        assert load_knowledge(knowledge_copy).message("thanks") != "不用谢！"
        assert cli_main(["kb", "import", str(out), "--apply"]) == 0
        assert load_knowledge(knowledge_copy).message("thanks") == "不用谢！"
        assert cli_main(["kb", "import", str(tmp_path / "missing.xlsx")]) == 1
        assert "找不到表格文件" in capsys.readouterr().err
    finally:
        bot_settings.get_settings.cache_clear()
