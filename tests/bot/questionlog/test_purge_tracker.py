"""Retention of the tracker store: conversations older than RETENTION_DAYS leave Rasa's own
SQLTrackerStore database too (tested on a database made by Rasa's SQLTrackerStore)."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.cli import main as cli_main
from bot.questionlog import db, purge
from bot.questionlog.broker import QuestionLogBroker

DAY = 24 * 3600


def session(start: float, words: str) -> list:
    return [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start + 0.01),
        ActionExecuted("action_listen", timestamp=start + 0.02),
        UserUttered(words, intent={"name": "greet", "confidence": 0.9}, timestamp=start + 1),
        ActionExecuted("action_welcome", timestamp=start + 1.1),
        BotUttered("您好", timestamp=start + 1.2),
        ActionExecuted("action_listen", timestamp=start + 1.3),
    ]


def sql_tracker_store(domain, path):
    # imported here: the module warns at import time (SQLAlchemy 2.0 notice), silenced in tests
    from rasa.core.tracker_store import SQLTrackerStore

    return SQLTrackerStore(domain, dialect="sqlite", db=str(path))


async def make_tracker_db(path, now: float) -> None:
    domain = Domain.load("domain.yml")
    store = sql_tracker_store(domain, path)
    conversations = {
        "re_gone": session(now - 200 * DAY, "半年前的问题"),
        "re_back": session(now - 200 * DAY, "半年前问过") + session(now - 2 * DAY, "最近又来问"),
        "re_recent": session(now - 3 * DAY, "最近的问题"),
        "re_edge": session(now - 179 * DAY, "保留期内"),
    }
    for sender, events in conversations.items():
        await store.save(DialogueStateTracker.from_events(sender, events, domain.slots))
    store.engine.dispose()


async def restored_texts(path, sender: str) -> list:
    store = sql_tracker_store(Domain.load("domain.yml"), path)
    try:
        tracker = await store.retrieve_full_tracker(sender)
        if tracker is None:
            return []
        return [e.text for e in tracker.events if isinstance(e, UserUttered)]
    finally:
        store.engine.dispose()


def event_counts(url: str) -> dict:
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT sender_id, count(*) FROM events GROUP BY sender_id"))
        counts = dict(rows.all())
    engine.dispose()
    return counts


async def test_purge_deletes_old_conversations_from_rasas_tracker_store(tmp_path):
    path = tmp_path / "tracker.db"
    now = time.time()
    await make_tracker_db(path, now)
    url = f"sqlite:///{path}"
    before = event_counts(url)
    assert set(before) == {"re_gone", "re_back", "re_recent", "re_edge"}
    deleted = purge.purge_tracker(180, url)
    assert deleted == before["re_gone"] + 7  # the whole old conversation, and one old session
    assert set(event_counts(url)) == {"re_back", "re_recent", "re_edge"}
    assert await restored_texts(path, "re_back") == ["最近又来问"]
    assert await restored_texts(path, "re_gone") == []
    assert await restored_texts(path, "re_edge") == ["保留期内"]
    assert purge.purge_tracker(180, url) == 0  # idempotent
    db.dispose(url)


@pytest.mark.parametrize(
    "url_of",
    [
        lambda tmp: f"sqlite:///{tmp / 'never-created.db'}",  # no tracker database yet
        lambda tmp: f"sqlite:///{tmp / 'empty.db'}",  # a database without the events table
    ],
)
def test_purge_of_a_missing_tracker_store_deletes_nothing(tmp_path, url_of):
    url = url_of(tmp_path)
    if "empty" in url:
        create_engine(url).dispose()
        (tmp_path / "empty.db").touch()
    assert purge.purge_tracker(180, url) == 0
    assert not (tmp_path / "never-created.db").exists()
    db.dispose(url)


async def test_purge_command_purges_both_stores(tmp_path, monkeypatch, capsys, settings_env):
    from bot.settings import get_settings

    path = tmp_path / "tracker.db"
    await make_tracker_db(path, time.time())
    monkeypatch.setenv("TRACKER_DB", str(path))
    get_settings.cache_clear()
    assert cli_main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "对话记录事件" in out and "14 条对话记录事件" in out
    assert set(event_counts(f"sqlite:///{path}")) == {"re_back", "re_recent", "re_edge"}


async def test_the_running_broker_purges_by_itself(tmp_path, caplog):
    path = tmp_path / "tracker.db"
    await make_tracker_db(path, time.time())
    tracker_url = f"sqlite:///{path}"
    url = f"sqlite:///{tmp_path / 'q.db'}"
    with caplog.at_level(logging.INFO, logger="bot.questionlog.purge"):
        broker = QuestionLogBroker(
            url=url,
            tracker_url=tracker_url,
            retention_days=180,
            purge_interval=0.2,
            spill_path=tmp_path / "s.jsonl",
        )
        deadline = time.monotonic() + 10
        while broker.retention.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        broker.shutdown(1)
    assert broker.retention.runs >= 2 and broker.retention.deleted_events == 14
    assert "定期清理" in caplog.text
    assert set(event_counts(tracker_url)) == {"re_back", "re_recent", "re_edge"}
    db.dispose()


def test_daily_purge_cutoff_uses_the_clock(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    task = purge.DailyPurge(180, url, None, clock=lambda: dt.datetime(2030, 1, 1))
    task.run_once()
    assert task.runs == 1 and task.deleted_rows == 0
    db.dispose(url)
