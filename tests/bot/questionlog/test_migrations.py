"""Schema migrations run up from an empty database (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.questionlog import db, schema


def test_upgrade_from_empty_creates_the_table_with_its_dedupe_constraint(db_url):
    engine = db.get_engine(db_url)
    assert "question_log" not in inspect(engine).get_table_names()
    db.upgrade(db_url)
    inspector = inspect(engine)
    assert {"question_log", "alembic_version"} <= set(inspector.get_table_names())
    columns = {c["name"] for c in inspector.get_columns("question_log")}
    assert {
        "created_at",
        "channel",
        "sender_id",
        "channel_message_id",
        "text",
        "normalized",
        "intent",
        "confidence",
        "topic",
        "action",
        "reply",
        "latency_ms",
        "in_selfcheck",
        "selfcheck_event",
        "slots",
    } <= columns
    unique = inspector.get_unique_constraints("question_log")
    assert any(set(u["column_names"]) == {"sender_id", "channel_message_id"} for u in unique)


def test_upgrade_is_idempotent_and_downgrade_works(db_url):
    db.upgrade(db_url)
    db.upgrade(db_url)  # already at head: nothing to do
    schema.migrate(db.get_engine(db_url), db_url, "base", downgrade=True)
    assert "question_log" not in inspect(db.get_engine(db_url)).get_table_names()
    db.upgrade(db_url)
    assert "question_log" in inspect(db.get_engine(db_url)).get_table_names()


def test_model_matches_the_migration(db_url):
    """The SQLAlchemy model and the migrated schema agree (no autogenerate diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.questionlog.models import Base

    db.upgrade(db_url)
    with db.get_engine(db_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_session_scope_migrates_on_first_use(db_url):
    from sqlalchemy import func, select

    from bot.questionlog.models import QuestionLogEntry

    with db.session_scope(db_url) as session:
        assert session.execute(select(func.count()).select_from(QuestionLogEntry)).scalar_one() == 0
