"""Rows the database refused (the rejected-rows file) are purged with RETENTION_DAYS
(bot/questionlog/purge.py › purge_rejected), by the daily purge and by `bot purge`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os

from bot.questionlog.broker import QuestionLogBroker
from bot.questionlog.buffer import SpillFile
from bot.questionlog.purge import purge_rejected
from bot.questionlog.turns import LoggedTurn

NOW = dt.datetime(2026, 12, 6, 12, 0)


def turn(message_id: str, age_days: float, text: str = "问题") -> LoggedTurn:
    return LoggedTurn(
        created_at=NOW - dt.timedelta(days=age_days),
        channel="rest",
        sender_id="re_1",
        channel_message_id=message_id,
        text=text,
        intent=None,
        confidence=None,
        topic=None,
        action=None,
        reply="",
        latency_ms=None,
        in_selfcheck=False,
        selfcheck_event=None,
        slots=None,
    )


def test_rejected_rows_older_than_the_retention_go_the_rest_stay_private(tmp_path):
    spill = SpillFile(tmp_path / "q.spill.jsonl")
    rows = [turn("old", 200), turn("new", 3, "\ud800"), turn("edge", 179)]
    spill.append(rows, spill.rejected)
    with open(spill.rejected, "a", encoding="utf-8") as handle:
        handle.write('{"created_at": "2026-0')  # torn: its age is the file's (new)
    assert purge_rejected(180, spill.rejected, now=NOW) == 1
    lines = spill.rejected.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["channel_message_id"] for line in lines[:2]] == ["new", "edge"]
    assert len(lines) == 3 and spill.rejected.stat().st_mode & 0o777 == 0o600
    assert purge_rejected(180, spill.rejected, now=NOW) == 0  # nothing more to drop


def test_an_old_file_goes_whole_even_its_unreadable_lines(tmp_path):
    spill = SpillFile(tmp_path / "q.spill.jsonl")
    spill.append([dataclasses.replace(turn("old", 400))], spill.rejected)
    with open(spill.rejected, "a", encoding="utf-8") as handle:
        handle.write("not json\n")
    old = (NOW - dt.timedelta(days=400)).timestamp()
    os.utime(spill.rejected, (old, old))
    assert purge_rejected(180, spill.rejected, now=NOW) == 2
    assert not spill.rejected.exists()
    assert purge_rejected(180, spill.rejected, now=NOW) == 0


def test_the_daily_purge_of_the_broker_covers_its_rejected_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    broker = QuestionLogBroker(
        url=url, retention_days=180, purge_interval=3600, spill_path=tmp_path / "q.spill.jsonl"
    )
    try:
        assert broker.retention is not None
        assert broker.retention.rejected_path == broker.writer.spill.rejected
        broker.writer.spill.append([turn("old", 10_000)], broker.writer.spill.rejected)
        broker.retention.run_once()
        assert not broker.writer.spill.rejected.exists()
    finally:
        broker.shutdown(1)
