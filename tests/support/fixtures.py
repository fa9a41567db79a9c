"""Fixtures shared by the channel and CLI tests (tests/conftest.py offers them everywhere)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from argon2 import PasswordHasher, profiles

from bot.console import store
from tests.support.wechat_fakes import FakeWeChatApi, free_socket


@pytest.fixture
def channel_settings(monkeypatch):
    """protect() needs a pseudonymisation key (every channel); never write one into the project's
    .build/."""
    from bot.settings import get_settings

    monkeypatch.setenv("QUESTION_LOG_SECRET", "test-secret")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
async def fake_wechat_api():
    fake = FakeWeChatApi()
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    sock = free_socket()
    site = web.SockSite(runner, sock)
    await site.start()
    fake.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/cgi-bin/"
    yield fake
    await runner.cleanup()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current training data (`make test` trains it first when stale)."""
    from bot.kb.load import load_knowledge
    from bot.ops.training import model_for

    path = model_for(load_knowledge())
    if not path.exists():
        pytest.fail(f"no model for the current data: run `python -m bot train` first ({path.name})")
    return path


@pytest.fixture
def cheap_password_hashing(monkeypatch):
    """Console accounts hashed with argon2's cheapest parameters: the same code and the same
    ``$argon2id$`` format, about a millisecond a hash instead of a tenth of a second (the
    console and the CLI themselves keep argon2-cffi's defaults)."""
    hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(store, "_hasher", hasher)
    monkeypatch.setattr(store, "_DUMMY_HASH", hasher.hash("not-a-real-password"))
