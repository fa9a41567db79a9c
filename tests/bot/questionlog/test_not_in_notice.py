"""Questions the notice does not cover (action_not_in_notice): recorded as their own topic,
counted with the unanswered ones but as a category of their own (通知未涉及)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from openpyxl import load_workbook
from rasa.shared.core.events import BotUttered

from bot.cli import main as cli_main
from bot.questionlog import review
from bot.questionlog.broker import QuestionLogBroker, write_rows
from bot.questionlog.models import FALLBACK, NOT_IN_NOTICE
from bot.questionlog.stats import compute, load_rows, unanswered_by_category
from tests.support.question_log import action, make_row, stream, user

WHEN = dt.datetime(2026, 11, 2, 3, 0)
DAY = dt.date(2026, 11, 2)
ARGS = ["--since", "2026-11-01", "--until", "2026-11-03"]


def rows() -> list:
    texts = [
        ("停车场在哪里", NOT_IN_NOTICE),
        ("停车场在哪", NOT_IN_NOTICE),
        ("有补贴吗", NOT_IN_NOTICE),
        ("食堂几点开饭", FALLBACK),
        ("申报截止时间", "deadline"),
        ("你好", None),
    ]
    return [
        make_row(WHEN + dt.timedelta(minutes=i), f"n{i}", sender_id=f"re_{i}", topic=topic, text=t)
        for i, (t, topic) in enumerate(texts)
    ]


def test_a_turn_answered_by_action_not_in_notice_has_that_topic(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    broker = QuestionLogBroker(url=url, spill_path=tmp_path / "s.jsonl")
    stream(
        broker,
        [
            user("园区停车场收费吗", "out_of_scope", 0.6, "p1", ts=10.0),
            action("action_not_in_notice", 10.1),
            BotUttered("通知中没有规定这个问题……", timestamp=10.2),
            action("action_listen", 10.3),
        ],
    )
    assert broker.flush(10)
    assert load_rows(dt.date(1970, 1, 1), dt.date(1970, 1, 2), url)[0]["topic"] == NOT_IN_NOTICE
    broker.shutdown(1)


def test_compute_counts_it_as_its_own_category():
    result = compute(rows(), DAY, DAY)
    assert (result.total, result.answered, result.fallback, result.not_in_notice, result.other) == (
        6,
        1,
        1,
        3,
        1,
    )
    assert [(g.key, g.count) for g in result.not_in_notice_groups][:1] == [("停车场在哪", 2)]
    assert [g.key for g in result.unanswered] == [
        "食堂几点开饭"
    ]  # the fallback list stays as it was


def test_unanswered_by_category_labels_each_group():
    labelled = [(label, group.count) for label, group in unanswered_by_category(rows())]
    assert labelled == [("通知未涉及", 2), ("未能回答", 1), ("通知未涉及", 1)]


@pytest.fixture
def seeded(db_url, knowledge_copy):
    write_rows(rows(), db_url)
    return ["--database-url", db_url, "--knowledge-dir", str(knowledge_copy)]


def test_report_shows_the_category(seeded, tmp_path):
    out = tmp_path / "r.csv"
    assert cli_main(["report", *ARGS, *seeded, "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert ["通知未涉及", "3"] in lines
    assert ["【通知未涉及的问题（相似问法已合并）】"] in lines
    html_out = tmp_path / "r.html"
    assert cli_main(["report", *ARGS, *seeded, "--out", str(html_out)]) == 0
    page = html_out.read_text(encoding="utf-8")
    assert 'id="not-in-notice"' in page and "停车场在哪里" in page
    xlsx_out = tmp_path / "r.xlsx"
    assert cli_main(["report", *ARGS, *seeded, "--out", str(xlsx_out), "--format", "xlsx"]) == 0
    assert any("通知未涉及" in name for name in load_workbook(xlsx_out).sheetnames)


def test_review_export_lists_it_with_its_label(seeded, tmp_path):
    out = tmp_path / "review.xlsx"
    assert cli_main(["review", "export", "--out", str(out), *ARGS, *seeded]) == 0
    sheet = load_workbook(out)[review.SHEET]
    header = [c.value for c in sheet[1]]
    category = header.index("类别")
    listed = [(r[1], r[2], r[category]) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert listed == [
        ("停车场在哪", 2, "通知未涉及"),
        ("食堂几点开饭", 1, "未能回答"),
        ("有补贴吗", 1, "通知未涉及"),
    ]
