"""Console fixtures: the real app on a fresh question-log database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), seeded through the real store, over a scratch copy of knowledge/."""

from __future__ import annotations

import asyncio
import re
import sys
from typing import AsyncIterator, Iterator

import pytest
from aiohttp import TCPConnector
from aiohttp.test_utils import TestClient, TestServer

from bot.console import store
from bot.console.app import ConsoleConfig, create_app
from bot.questionlog import db
from bot.questionlog.store import write_rows
from tests.bot.questionlog.conftest import db_url, postgres_schema  # noqa: F401
from tests.support.question_log_seed import ROWS

USER = "li.ming"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# stands in for python -m bot publish (which trains a model for minutes)
FAKE_PUBLISH = [sys.executable, "-m", "tests.support.fake_publish"]


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, html[:500]
    return match.group(1)


@pytest.fixture
def sqlite_url(tmp_path) -> Iterator[str]:
    """For pages whose database work is the store's (tested on SQLite and PostgreSQL in
    test_store.py / test_app.py): SQLite only, to keep the suite fast."""
    url = f"sqlite:///{tmp_path / 'question_log.db'}"
    try:
        yield url
    finally:
        db.dispose(url)


@pytest.fixture
def config(db_url, knowledge_copy, tmp_path) -> ConsoleConfig:  # noqa: F811
    write_rows(ROWS, db_url)
    store.add_user(USER, PASSWORD, db_url, role=store.ADMIN)
    return ConsoleConfig(
        database_url=db_url,
        knowledge_dir=knowledge_copy,
        secret="test-console-secret",
        publish_command=FAKE_PUBLISH,
        publish_log=tmp_path / "publish.log",
    )


@pytest.fixture
async def client(config) -> AsyncIterator[TestClient]:
    # a fresh connection for every request: a request sent on a kept-alive connection from
    # an earlier run of the loop (a fixture's log-in, before a hypothesis example) now and
    # then never reached the server
    connector = TCPConnector(force_close=True)
    async with TestClient(TestServer(create_app(config)), connector=connector) as client:
        yield client


async def log_in(client: TestClient, username: str = USER, password: str = PASSWORD):
    page = await client.get("/login")
    token = csrf_of(await page.text())
    response = await client.post(
        "/login",
        data={"csrf": token, "username": username, "password": password},
        allow_redirects=False,
    )
    # read whole, so the response holds no connection (the text stays readable)
    await response.read()
    return response


@pytest.fixture
async def staff(client) -> TestClient:
    response = await log_in(client)
    assert response.status == 303, await response.text()
    return client


async def csrf_token(client: TestClient, path: str = "/report") -> str:
    response = await client.get(path)
    assert response.status == 200
    return csrf_of(await response.text())


@pytest.fixture(autouse=True)
def _cheap_password_hashing(cheap_password_hashing):
    """Every account these tests make or check is hashed cheaply (tests/support/fixtures.py)."""


@pytest.fixture(scope="session")
def event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    """The console on asyncio's own loop, as ``python -m bot console`` runs it: in the test
    process aiogram, imported with Rasa's channels, has made uvloop the policy."""
    return asyncio.DefaultEventLoopPolicy()
