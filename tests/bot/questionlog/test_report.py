"""The review report: numbers computed from a seeded log, in HTML, CSV and XLSX."""

from __future__ import annotations

import csv
import re

import pytest

from bot.cli import main as cli_main
from bot.questionlog.broker import write_rows
from tests.support import question_log_seed as seed

ARGS = ["--since", "2026-11-01", "--until", "2026-11-03"]


@pytest.fixture
def seeded(db_url, knowledge_copy):
    write_rows(seed.ROWS, db_url)
    return ["--database-url", db_url, "--knowledge-dir", str(knowledge_copy)]


def sections_of(path):
    """CSV → {section title: [rows]}"""
    result, current = {}, None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if row and row[0].startswith("【"):
                current = row[0].strip("【】")
                result[current] = []
            elif row and current:
                result[current].append(row)
    return result


def test_csv_numbers(seeded, tmp_path):
    out = tmp_path / "report.csv"
    assert cli_main(["report", *ARGS, *seeded, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel/WPS read it as UTF-8
    tables = sections_of(out)
    summary = dict(tables["概览"][1:])
    assert summary["消息总数"] == str(seed.TOTAL)
    assert summary["按问答条目回答"] == str(seed.ANSWERED)
    assert summary["回答率"] == "40.0%"
    assert summary["未能回答（兜底回复）"] == str(seed.FALLBACK)
    assert summary["兜底率"] == "30.0%"
    assert summary["其他（问候、感谢、自测步骤等）"] == "3"
    assert summary["提问人数（匿名）"] == "6"
    assert (summary["自测开始"], summary["自测完成"], summary["自测中途退出"]) == ("1", "1", "0")
    assert dict(tables["每日消息数"][1:]) == {k: str(v) for k, v in seed.PER_DAY.items()}
    hours = dict(tables["每小时消息数（北京时间）"][1:])
    assert (
        hours["10:00"] == "3"
        and hours["01:00"] == "1"
        and hours["14:00"] == "2"
        and hours["09:00"] == "2"
    )
    assert sum(int(v) for v in hours.values()) == seed.TOTAL
    assert {r[0]: r[1] for r in tables["渠道"][1:]} == {k: str(v) for k, v in seed.CHANNELS.items()}
    topics = tables["热门问题"][1:]
    assert topics[0] == [
        "1",
        "deadline",
        "申报截止时间是什么时候？",
        "3",
    ]  # labelled with the standard question
    assert topics[1][1:] == ["submission_address", "申报材料交到哪里？", "1"]
    assert tables["自测选择的方向"][1:] == [["融通创新", "1"]]
    unanswered = tables["未能回答的问题（相似问法已合并）"][1:]
    assert unanswered[0][1:3] == ["食堂几点开饭", "2"]  # two wordings grouped
    assert "请问食堂几点开饭？" in unanswered[0][3]
    assert unanswered[1][1:3] == ["材料交错了能不能补交", "1"]
    assert len(unanswered) == 2


def test_html_is_self_contained_and_shows_the_numbers(seeded, tmp_path):
    out = tmp_path / "report.html"
    assert cli_main(["report", *ARGS, *seeded, "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert '<meta name="viewport"' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # no external assets
    assert "<script" not in page and "<link" not in page
    assert page.count("<svg") >= 4
    assert re.search(r'id="total">10<', page)
    assert re.search(r'id="answer-rate">40.0%<', page)
    assert re.search(r'id="fallback-rate">30.0%<', page)
    assert re.search(r'id="selfcheck-starts">1<', page) and re.search(
        r'id="selfcheck-completions">1<', page
    )
    assert "申报截止时间是什么时候？" in page
    assert re.search(r"<td>食堂几点开饭</td><td class=\"n\">2</td>", page)
    assert "很晚的问题" not in page  # outside the range


def test_xlsx_sheets(seeded, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "report.xlsx"
    assert cli_main(["report", *ARGS, *seeded, "--out", str(out)]) == 0
    workbook = load_workbook(out)
    summary = {row[0]: row[1] for row in workbook["概览"].iter_rows(min_row=2, values_only=True)}
    assert summary["消息总数"] == 10 and summary["回答率"] == "40.0%"
    topics = list(workbook["热门问题"].iter_rows(min_row=2, values_only=True))
    assert topics[0] == (1, "deadline", "申报截止时间是什么时候？", 3)
    workbook.close()


def test_through_the_bot_command_line(seeded, tmp_path, capsys, settings_env):
    from bot.cli import main

    out = tmp_path / "r.html"
    assert main(["report", *ARGS, *seeded, "--out", str(out), "--format", "html"]) == 0
    assert "消息 10 条" in capsys.readouterr().out
    assert out.exists()


def test_empty_log(db_url, tmp_path, knowledge_copy):
    out = tmp_path / "empty.html"
    assert (
        cli_main(
            [
                "report",
                *ARGS,
                "--database-url",
                db_url,
                "--knowledge-dir",
                str(knowledge_copy),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert 'id="total">0<' in out.read_text(encoding="utf-8")
