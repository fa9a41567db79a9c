"""Retention: rows older than the retention period are deleted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.cli import main as cli_main
from bot.questionlog import db, purge
from bot.questionlog.broker import write_rows
from bot.questionlog.models import QuestionLogEntry
from tests.support.question_log import make_row


def remaining(url):
    with db.session_scope(url) as session:
        return sorted(session.execute(select(QuestionLogEntry.channel_message_id)).scalars())


def test_purge_deletes_only_old_rows(db_url, capsys, settings_env):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    write_rows(
        [
            make_row(now - dt.timedelta(days=200), "old"),
            make_row(now - dt.timedelta(days=181), "just-old"),
            make_row(now - dt.timedelta(days=179), "recent"),
            make_row(now - dt.timedelta(days=1), "new"),
        ],
        db_url,
    )
    assert cli_main(["purge", "--database-url", db_url]) == 0  # default RETENTION_DAYS = 180
    assert "已删除 2 条" in capsys.readouterr().out
    assert remaining(db_url) == ["new", "recent"]
    assert purge.purge(0, db_url, now=now + dt.timedelta(seconds=1)) == 2
    assert remaining(db_url) == []


def test_retention_days_comes_from_settings(db_url, monkeypatch, capsys, settings_env):
    from bot.settings import get_settings

    monkeypatch.setenv("RETENTION_DAYS", "7")
    get_settings.cache_clear()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    write_rows(
        [make_row(now - dt.timedelta(days=8), "a"), make_row(now - dt.timedelta(days=6), "b")],
        db_url,
    )
    assert cli_main(["purge", "--database-url", db_url]) == 0
    assert remaining(db_url) == ["b"]
