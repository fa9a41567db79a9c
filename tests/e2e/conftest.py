"""Starts the real assistant (action server + Rasa server) once per test session."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator

import pytest

from tests.support.ports import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 600


def wait_for(
    url: str,
    process: subprocess.Popen,
    log: Path,
    timeout: float = START_TIMEOUT,
    what: str = "assistant",
) -> None:
    """Until ``url`` answers; a ``process`` that exits first fails with the end of its ``log``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not come up at {url}:\n{log.read_text()[-3000:]}")


class BackgroundBotAPI:
    """The fake Telegram Bot API on its own event loop, alive for the whole session."""

    def __init__(self) -> None:
        from tests.support.telegram_fakes import FakeBotAPI

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def start() -> FakeBotAPI:
            return await FakeBotAPI().start()

        self.api = asyncio.run_coroutine_threadsafe(start(), self.loop).result(timeout=10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[BackgroundBotAPI]:
    api = BackgroundBotAPI()
    yield api
    api.close()


@pytest.fixture(scope="session")
def assistant_env(tmp_path_factory, telegram_api) -> Dict[str, str]:
    workdir = tmp_path_factory.mktemp("assistant")
    # the servers read a copy of knowledge/ (KNOWLEDGE_DIR), which the publish test edits
    shutil.copytree(PROJECT_DIR / "knowledge", workdir / "knowledge")
    env = dict(os.environ)
    env.update(
        KNOWLEDGE_DIR=str(workdir / "knowledge"),
        PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        TRACKER_DB=str(workdir / "tracker.db"),
        DATABASE_URL=f"sqlite:///{workdir / 'question_log.db'}",
        QUESTION_LOG_SECRET="e2e-secret",
        BOT_TODAY="2026-11-26",
        PYTHONPATH=str(PROJECT_DIR),
        # every e2e client is 127.0.0.1: the publish test's load (3–10 questions a second, each
        # its own conversation) is more than one address may send; the per-address limit itself
        # is tested in tests/channels/test_limits.py and test_rest.py
        RATE_LIMIT_PER_ADDRESS_PER_MINUTE="0",
    )
    from tests.support import telegram_fakes
    from tests.support.wechat_fakes import AES_KEY, APPID, TOKEN

    env.update(WECHAT_TOKEN=TOKEN, WECHAT_AES_KEY=AES_KEY, WECHAT_APPID=APPID)
    env.update(
        TELEGRAM_TOKEN=telegram_fakes.TOKEN,
        TELEGRAM_SECRET_TOKEN=telegram_fakes.SECRET,
        TELEGRAM_WEBHOOK_URL="https://assistant.example.test/webhooks/telegram/webhook",
        TELEGRAM_BASE_URL=telegram_api.api.base_url,
        PTB_TIMEDELTA="true",
    )
    for unset in ("WECHAT_SECRET", "WECHAT_PREVIOUS_AES_KEY", "REDIS_URL"):
        env.pop(unset, None)
    return env


@pytest.fixture(scope="session")
def assistant_server(assistant_env, tmp_path_factory) -> Iterator[Dict[str, str]]:
    """A running assistant; yields its environment (ports, databases)."""
    log = tmp_path_factory.mktemp("logs") / "assistant.log"
    with running_assistant(assistant_env, log):
        yield {**assistant_env, "LOG": str(log)}


@contextmanager
def running_assistant(env: Dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """``python -m bot run`` with ``env``, its output in ``log``, until the block ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(f"http://127.0.0.1:{env['PORT']}/", process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def wechat_url(assistant_server) -> str:
    return f"http://127.0.0.1:{assistant_server['PORT']}/webhooks/wechat/webhook"


@pytest.fixture(scope="session")
def telegram_url(assistant_server) -> str:
    return f"http://127.0.0.1:{assistant_server['PORT']}/webhooks/telegram/webhook"


@pytest.fixture(scope="session")
def assistant_url(assistant_server) -> str:
    return f"http://127.0.0.1:{assistant_server['PORT']}/webhooks/rest/webhook"
