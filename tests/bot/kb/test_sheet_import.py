"""Spreadsheet safety: formula cells refused with sheet and cell, an export older than the live
knowledge refused without --force, problems cited by sheet and row, no exception names, and an
import into a folder the assistant does not read says so."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import settings as bot_settings
from bot.cli import main as cli_main
from bot.kb.edit import AddSimilar, apply_edits
from bot.kb.sheet_import import import_workbook
from bot.kb.sheet_layout import FAQ_SHEET, export_workbook
from tests.bot.kb.test_spreadsheet import column, row_of, snapshot


@pytest.fixture
def exported(knowledge_copy, tmp_path) -> Path:
    out = tmp_path / "faq.xlsx"
    export_workbook(knowledge_copy, out)
    return out


def with_formula(path: Path, cached: str | None) -> str:
    """Put a formula into the answer of ``copies``, as Excel/WPS saves one: with its computed
    value (``cached``) or without. The cell's address."""
    workbook = load_workbook(path)
    sheet = workbook[FAQ_SHEET]
    cell = sheet.cell(row=row_of(sheet, "copies"), column=column("answer"))
    cell.value = '=B2&"份"'
    workbook.save(path)
    if cached is not None:
        with zipfile.ZipFile(path) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
        for name, data in files.items():
            text = data.decode("utf-8", "ignore")
            if name.startswith("xl/worksheets/") and f'r="{cell.coordinate}"' in text:
                text = re.sub(
                    rf'<c r="{cell.coordinate}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                    rf'<c r="{cell.coordinate}"\1 t="str"><f>\2</f><v>{cached}</v>',
                    text,
                )
                files[name] = text.encode("utf-8")
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
    return cell.coordinate


@pytest.mark.parametrize("cached", ["请交纸质材料一式两份", None])
def test_a_formula_cell_is_refused_with_its_sheet_and_cell(knowledge_copy, exported, cached):
    where = with_formula(exported, cached)
    if cached:  # as Excel saves it: the computed text is there, and still refused
        values = load_workbook(exported, data_only=True)[FAQ_SHEET]
        assert values[where].value == cached
    before = snapshot(knowledge_copy)
    result = import_workbook(exported, knowledge_copy, apply=True)
    assert not result.written and snapshot(knowledge_copy) == before
    assert result.problems == [
        f'“常见问题”表 {where} 单元格是公式（=B2&"份"）：'
        "请改成直接输入的文字（复制后“选择性粘贴 → 数值”），保存后重新导入"
    ]


def test_an_old_export_shows_what_it_would_delete_and_needs_force(knowledge_copy, exported):
    # someone adds a question after the export; the old workbook would delete it
    apply_edits(knowledge_copy, [AddSimilar("copies", ["纸质版到底要几份"])], by="wang.fang")
    workbook = load_workbook(exported)
    sheet = workbook[FAQ_SHEET]
    cell = sheet.cell(row=row_of(sheet, "deadline"), column=column("clause"))
    cell.value = "四、2"  # any edit, so that there is something to import
    sheet.cell(row=row_of(sheet, "copies"), column=column("question")).value = "要交几份材料？"
    workbook.save(exported)
    before = snapshot(knowledge_copy)
    refused = import_workbook(exported, knowledge_copy, apply=True)
    assert refused.stale and not refused.written and snapshot(knowledge_copy) == before
    (problem,) = refused.problems
    assert "导出之后，知识库又被修改过" in problem and "纸质版到底要几份" in problem
    assert "--force" in problem
    forced = import_workbook(exported, knowledge_copy, apply=True, force=True)
    assert forced.written and "纸质版到底要几份" not in (knowledge_copy / "faq.yml").read_text(
        encoding="utf-8"
    )


def test_a_fresh_export_imports_without_force(knowledge_copy, exported):
    workbook = load_workbook(exported)
    sheet = workbook[FAQ_SHEET]
    sheet.cell(row=row_of(sheet, "copies"), column=column("question")).value = "要交几份材料？"
    workbook.save(exported)
    result = import_workbook(exported, knowledge_copy, apply=True)
    assert result.written and not result.stale


def test_a_broken_file_is_explained_without_exception_names(knowledge_copy, tmp_path):
    for content in (b"not a workbook", b"PK\x03\x04broken zip"):
        path = tmp_path / "faq.xlsx"
        path.write_bytes(content)
        (problem,) = import_workbook(path, knowledge_copy, apply=True).problems
        assert "不是 Excel 表格" in problem and "另存为" in problem
        assert not re.search(r"[A-Z][a-z]+(Error|Exception)", problem)


def test_an_import_into_a_folder_the_assistant_does_not_read_says_so(
    knowledge_copy, exported, monkeypatch, capsys, tmp_path
):
    other = tmp_path / "knowledge-2022"
    shutil.copytree(knowledge_copy, other)
    workbook = load_workbook(exported)
    sheet = workbook[FAQ_SHEET]
    sheet.cell(row=row_of(sheet, "copies"), column=column("question")).value = "要交几份材料？"
    workbook.save(exported)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(other))
    bot_settings.get_settings.cache_clear()
    try:
        assert cli_main(["kb", "import", str(exported), "--apply", "--force"]) == 0
    finally:
        bot_settings.get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "不是 make run 使用的知识库" in out and "运行中的助手的回答不变" in out
    assert "已立即生效" not in out and "kb revert" in out  # the way back is still given
