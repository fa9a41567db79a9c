"""Question-log fixtures: a fresh database per test — SQLite always, PostgreSQL when
TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.questionlog import db


def postgres_url_with_schema(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A throw-away schema on TEST_DATABASE_URL; yields a URL whose search_path is that schema."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    schema = f"ql_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_url_with_schema(base, schema)
    try:
        yield url
    finally:
        db.dispose(url)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'question_log.db'}"
        try:
            yield url
        finally:
            db.dispose(url)
    else:
        yield request.getfixturevalue("postgres_schema")


@pytest.fixture
def settings_env(monkeypatch, tmp_path):
    """Settings that never touch the project's .build/ or knowledge/."""
    from bot.settings import get_settings

    monkeypatch.setenv("QUESTION_LOG_SECRET", "test-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'default.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    db.dispose()
