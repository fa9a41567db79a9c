"""A question-log writer that cannot jam (bot/questionlog/buffer.py, store.py): one row the
database refuses among 500 — the row of issue 21, a lone surrogate in its text, plus a number
no INTEGER column takes — is set aside in the rejected-rows file, the other 499 commit, and a
shutdown loses nothing. On SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import List

from sqlalchemy import func, select

from bot.questionlog import db
from bot.questionlog.buffer import RowBuffer, SpillFile
from bot.questionlog.models import QuestionLogEntry
from bot.questionlog.turns import LoggedTurn

POISON_TEXT = "申报截止时间是什么时候\ud800"
ROWS = 500
POISON_AT = 237


def rows() -> List[LoggedTurn]:
    made = []
    for number in range(ROWS):
        made.append(
            LoggedTurn(
                created_at=dt.datetime(2026, 12, 6, 12, 0) + dt.timedelta(seconds=number),
                channel="rest",
                sender_id=f"re_{number % 7}",
                channel_message_id=f"m{number}",
                text=f"问题{number}",
                intent="deadline",
                confidence=0.9,
                topic="deadline",
                action="action_answer",
                reply="答复",
                latency_ms=20,
                in_selfcheck=False,
                selfcheck_event=None,
                slots=None,
            )
        )
    made[POISON_AT] = dataclasses.replace(made[POISON_AT], text=POISON_TEXT, latency_ms=10**20)
    return made


def stored_ids(url: str) -> List[str]:
    with db.session_scope(url) as session:
        return list(session.execute(select(QuestionLogEntry.channel_message_id)).scalars())


def test_one_poison_row_among_500_is_set_aside_and_the_rest_commit(db_url, tmp_path):
    spill = tmp_path / "spill.jsonl"
    writer = RowBuffer(db_url, batch_size=200, retry_initial=0.05, spill_path=spill)
    for row in rows():
        writer.put(row)
    assert writer.flush(60), writer.stats()
    assert writer.stop(5) == 0  # nothing left over, no exception
    stats = writer.stats()
    assert (stats["written"], stats["rejected"], stats["buffered"]) == (ROWS - 1, 1, 0)
    assert sorted(stored_ids(db_url)) == sorted(f"m{n}" for n in range(ROWS) if n != POISON_AT)
    (line,) = writer.spill.rejected.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert (record["channel_message_id"], record["text"]) == (f"m{POISON_AT}", POISON_TEXT)
    assert writer.spill.rejected.stat().st_mode & 0o777 == 0o600
    assert not spill.exists()


def test_a_shutdown_during_an_outage_spills_everything_and_the_replay_sets_the_poison_aside(
    db_url, tmp_path
):
    blocker = tmp_path / "away"
    blocker.write_text("the database directory cannot be created: the database is away")
    spill = tmp_path / "spill.jsonl"
    away = RowBuffer(
        f"sqlite:///{blocker / 'q.db'}", retry_initial=0.05, retry_max=0.1, spill_path=spill
    )
    for row in rows():
        away.put(row)
    assert away.stop(0.3) == ROWS  # all of them spilled, the poison row too: nothing lost
    assert len(SpillFile.read(spill)) == ROWS

    back = RowBuffer(db_url, batch_size=200, spill_path=spill)
    back.start()  # replays the spill file
    assert back.flush(60), back.stats()
    back.stop(5)
    assert back.stats()["rejected"] == 1 and back.stats()["replayed"] == ROWS - 1
    with db.session_scope(db_url) as session:
        assert session.execute(select(func.count(QuestionLogEntry.id))).scalar() == ROWS - 1
    (line,) = back.spill.rejected.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["text"] == POISON_TEXT
    assert not spill.exists()


def test_rows_that_cannot_even_be_serialised_are_written_to_the_spill_file(tmp_path):
    spill = SpillFile(tmp_path / "s.jsonl")
    strange = dataclasses.replace(rows()[0], created_at=None, text="\udfff")  # type: ignore[arg-type]
    assert spill.append([strange, rows()[1]]) == 2
    first, second = spill.path.read_text(encoding="utf-8").splitlines()
    assert json.loads(first)["text"] == "\udfff"
    assert json.loads(second)["text"] == "问题1"
    assert [r.channel_message_id for r in SpillFile.read(spill.path)] == ["m0", "m1"]
