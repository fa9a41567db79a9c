"""Knowledge history: every program write keeps the state before and after; revert restores
one through the same check (real folders, real spreadsheets, the real CLI)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Dict

import pytest
from openpyxl import load_workbook

from bot import settings as bot_settings
from bot.cli import main as cli_main
from bot.kb.edit import AddSimilar, apply_edits, check_and_write, revert
from bot.kb.history import History, default_operator, history_dir_for
from bot.kb.spreadsheet import FAQ_SHEET, MESSAGES_SHEET, export_workbook, import_workbook
from tests.support.ports import free_port


def snapshot(directory: Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yml"))}


def edited_workbook(knowledge_copy: Path, tmp_path: Path) -> Path:
    """A spreadsheet that changes the thanks text and adds a similar question to deadline."""
    out = tmp_path / "faq.xlsx"
    export_workbook(knowledge_copy, out)
    workbook = load_workbook(out)
    messages = workbook[MESSAGES_SHEET]
    for row in range(2, messages.max_row + 1):
        if messages.cell(row=row, column=1).value == "thanks":
            messages.cell(row=row, column=2, value="不客气，祝申报顺利！")
    faq = workbook[FAQ_SHEET]
    for row in range(2, faq.max_row + 1):
        if faq.cell(row=row, column=1).value == "deadline":
            cell = faq.cell(row=row, column=3)
            cell.value = f"{cell.value}\n材料最晚哪天交到窗口"
    workbook.save(out)
    return out


@pytest.fixture()
def history(knowledge_copy) -> History:
    bot_settings.get_settings.cache_clear()
    return History.for_folder(knowledge_copy)


def test_history_folder_is_beside_the_knowledge_folder_unless_configured(
    knowledge_copy, tmp_path, monkeypatch
):
    bot_settings.get_settings.cache_clear()
    assert history_dir_for(knowledge_copy) == tmp_path / "knowledge_history"
    monkeypatch.setenv("KNOWLEDGE_HISTORY_DIR", str(tmp_path / "elsewhere"))
    bot_settings.get_settings.cache_clear()
    try:
        assert history_dir_for(knowledge_copy) == tmp_path / "elsewhere"
    finally:
        bot_settings.get_settings.cache_clear()


def test_import_keeps_the_version_before_and_after_with_operator_and_changes(
    knowledge_copy, tmp_path, history
):
    original = snapshot(knowledge_copy)
    result = import_workbook(
        edited_workbook(knowledge_copy, tmp_path), knowledge_copy, apply=True, by="张三"
    )
    assert result.written and not result.problems
    first, second = history.versions(knowledge_copy)
    assert (first.action, first.by) == ("manual", "（未记录）")
    assert {n: history.content(d) for n, d in first.files.items()} == original
    assert (second.action, second.by, second.label) == ("import", "张三", "表格导入")
    assert "导入表格 faq.xlsx" in second.summary
    assert any("材料最晚哪天交到窗口" in line for line in second.summary)
    assert "修改的文件：faq.yml、messages.yml" in second.summary
    assert history.current(knowledge_copy) == second
    assert second.time[:4].isdigit() and second.knowledge_dir == str(knowledge_copy.resolve())


def test_revert_restores_every_byte_and_can_itself_be_undone(knowledge_copy, tmp_path, history):
    original = snapshot(knowledge_copy)
    import_workbook(edited_workbook(knowledge_copy, tmp_path), knowledge_copy, apply=True, by="a")
    edited = snapshot(knowledge_copy)
    result = revert(knowledge_copy, 1, by="李四")
    assert result.written and result.changed_files == ["faq.yml", "messages.yml"]
    assert snapshot(knowledge_copy) == original
    latest = history.versions(knowledge_copy)[-1]
    assert (latest.version, latest.action, latest.by) == (3, "revert", "李四")
    assert latest.summary[0].startswith("恢复为版本 1（")
    assert history.current(knowledge_copy).version == 3  # the newest of equal versions
    assert revert(knowledge_copy, 2, by="李四").written
    assert snapshot(knowledge_copy) == edited
    assert not revert(knowledge_copy, 4).written  # already that version: nothing to do


def test_hand_edits_between_writes_are_kept_as_their_own_version(knowledge_copy, history):
    apply_edits(knowledge_copy, [AddSimilar("deadline", ["到底哪天截止"])], by="a")
    notice = knowledge_copy / "cities.yml"
    notice.write_text(notice.read_text(encoding="utf-8") + "\n# 手工加的注释\n", encoding="utf-8")
    apply_edits(knowledge_copy, [AddSimilar("deadline", ["最后期限是哪天呀"])], by="b")
    actions = [(v.action, v.by) for v in history.versions(knowledge_copy)]
    assert actions == [
        ("manual", "（未记录）"),
        ("review", "a"),
        ("manual", "（未记录）"),
        ("review", "b"),
    ]
    assert "修改的文件：cities.yml" in history.versions(knowledge_copy)[2].summary


def test_a_version_that_fails_todays_check_is_not_written(knowledge_copy, history):
    messages = knowledge_copy / "messages.yml"
    good = messages.read_text(encoding="utf-8")
    messages.write_text(
        good.replace("为准：{contacts}", "为准：{contact_list}", 1), encoding="utf-8"
    )
    broken = history.record_if_unrecorded(knowledge_copy)  # as publish would, before its work
    messages.write_text(good, encoding="utf-8")
    before = snapshot(knowledge_copy)
    result = revert(knowledge_copy, broken.version, by="x")
    assert result.problems and not result.written
    assert snapshot(knowledge_copy) == before
    assert revert(knowledge_copy, 999).version is None


def test_writers_never_interleave(knowledge_copy, history):
    faq = (knowledge_copy / "faq.yml").read_text(encoding="utf-8")
    texts = [faq + f"\n# 并发写入 {n}\n" for n in range(4)]
    threads = [
        threading.Thread(target=check_and_write, args=(knowledge_copy, {"faq.yml": t}))
        for t in texts
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    versions = history.versions(knowledge_copy)
    assert [v.version for v in versions] == [1, 2, 3, 4, 5]
    assert all(v.by == default_operator() for v in versions[1:])
    final = history.restore_texts(versions[-1])["faq.yml"].decode("utf-8")
    assert (knowledge_copy / "faq.yml").read_text(encoding="utf-8") == final


def test_publish_is_recorded_against_the_version_it_served(knowledge_copy, history):
    apply_edits(knowledge_copy, [AddSimilar("deadline", ["到底哪天截止"])], by="a")
    publish = history.record_publish(knowledge_copy, "abc.tar.gz", by="王五", previous_model="o")
    assert (publish.version, publish.model, publish.by) == (2, "abc.tar.gz", "王五")
    assert history.publishes(knowledge_copy) == [publish]
    assert history.publishes(knowledge_copy.parent / "other") == []


def test_cli_history_show_and_revert(knowledge_copy, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    monkeypatch.setenv("PORT", str(free_port()))  # no assistant runs there
    bot_settings.get_settings.cache_clear()
    original = snapshot(knowledge_copy)
    try:
        assert cli_main(["kb", "history"]) == 0
        assert "还没有历史版本" in capsys.readouterr().out
        out = edited_workbook(knowledge_copy, tmp_path)
        assert cli_main(["kb", "import", str(out), "--apply", "--by", "张三"]) == 0
        assert "python -m bot kb revert 1 --by" in capsys.readouterr().out
        assert cli_main(["kb", "history"]) == 0
        listing = capsys.readouterr().out
        assert "版本 2" in listing and "张三  表格导入  ← 当前" in listing
        assert "版本 1" in listing and "直接编辑" in listing
        assert cli_main(["kb", "history", "--show", "2"]) == 0
        diff = capsys.readouterr().out
        assert "+      - 材料最晚哪天交到窗口" in diff and "messages.yml（版本 2）" in diff
        assert cli_main(["kb", "revert", "1", "--by", "李四"]) == 0
        printed = capsys.readouterr().out
        assert "已恢复为版本 1" in printed and "需要发布：python -m bot publish" in printed
        assert snapshot(knowledge_copy) == original
        assert cli_main(["kb", "revert", "42"]) == 1
        assert "没有版本 42" in capsys.readouterr().err
        assert cli_main(["kb", "history"]) == 0
        assert "李四  恢复旧版本  ← 当前" in capsys.readouterr().out
    finally:
        bot_settings.get_settings.cache_clear()


def test_cli_save_keeps_an_editor_change_with_its_operator(knowledge_copy, monkeypatch, capsys):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    bot_settings.get_settings.cache_clear()
    history = History.for_folder(knowledge_copy)
    messages = knowledge_copy / "messages.yml"
    good = messages.read_text(encoding="utf-8")
    try:
        assert cli_main(["kb", "save", "--by", "张三"]) == 0
        assert [v.summary for v in history.versions(knowledge_copy)] == [["开始记录历史时的状态"]]
        assert cli_main(["kb", "save"]) == 0
        assert "无需保存" in capsys.readouterr().out
        messages.write_text(
            good.replace("为准：{contacts}", "为准：{contact_list}"), encoding="utf-8"
        )
        assert cli_main(["kb", "save", "--by", "张三"]) == 1
        assert "没有记入历史" in capsys.readouterr().err
        welcome = "  welcome: |-\n"
        messages.write_text(good.replace(welcome, welcome + "    新年好！\n"), encoding="utf-8")
        assert cli_main(["kb", "save", "--by", "张三", "--note", "改了欢迎语"]) == 0
        assert "kb revert 1" in capsys.readouterr().out
        latest = history.versions(knowledge_copy)[-1]
        assert (latest.version, latest.by, latest.label) == (2, "张三", "直接编辑")
        assert latest.summary == ["改了欢迎语", "修改的文件：messages.yml"]
    finally:
        bot_settings.get_settings.cache_clear()


def test_history_times_are_beijing_time_whatever_the_server_zone():
    from bot.kb.history import beijing_time

    assert beijing_time("2026-12-06T18:40:00+00:00") == "2026-12-07 02:40"
    assert beijing_time("2026-12-06T10:40:00+08:00") == "2026-12-06 10:40"
    assert beijing_time("2026-12-06T18:40:00") == "2026-12-07 02:40"  # no zone: UTC
    assert beijing_time("garbage") == "garbage"


def test_a_publish_keeps_who_and_why(tmp_path):
    history = History(tmp_path / "history")
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "faq.yml").write_text("faq: []\n", encoding="utf-8")
    history.record_publish(folder, "m.tar.gz", by="li.ming", note="加了停车问法")
    (published,) = history.publishes(folder)
    assert (published.by, published.note) == ("li.ming", "加了停车问法")
