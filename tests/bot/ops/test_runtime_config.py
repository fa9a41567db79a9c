"""Start-up safety: the pseudonymisation key and its file; bot run refuses before training."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.ops.runtime_config import check_secret
from bot.settings import PROJECT_DIR, MissingSecret, Settings, read_or_create_secret


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DATABASE_URL", "QUESTION_LOG_SECRET", "ACTION_HOST", "SANIC_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no project .env


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bot@db.example.test/qlog",
        "postgresql+psycopg2://bot:pw@10.0.0.5:5432/qlog",
        "mysql://bot@db/qlog",
    ],
)
def test_a_shared_database_without_a_secret_is_refused(clean_env, url):
    settings = Settings(database_url=url)
    with pytest.raises(MissingSecret, match="QUESTION_LOG_SECRET"):
        settings.effective_question_log_secret()
    with pytest.raises(SystemExit) as exit_info:
        check_secret(settings)
    message = str(exit_info.value.code)
    assert message.startswith("无法启动") and "所有实例必须使用同一个密钥" in message
    assert "pw" not in message and "db.example" not in message  # never the URL
    check_secret(Settings(database_url=url, question_log_secret="s3cret"))


def test_bot_run_refuses_before_training(clean_env, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://bot@127.0.0.1:1/none",
        "PYTHONPATH": str(PROJECT_DIR),
    }
    env.pop("QUESTION_LOG_SECRET", None)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "QUESTION_LOG_SECRET" in result.stderr and "Traceback" not in result.stderr
    assert "训练" not in result.stdout and time.monotonic() - started < 60


def test_sqlite_without_a_secret_uses_a_private_machine_local_key(tmp_path):
    path = tmp_path / "build" / "question_log_secret"
    old = os.umask(0)  # even with a permissive umask
    try:
        secret = read_or_create_secret(path)
    finally:
        os.umask(old)
    assert len(secret) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_secret(path) == secret
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_concurrent_first_starts_agree_on_one_key(tmp_path):
    path = tmp_path / "question_log_secret"
    results: list = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        results.append(read_or_create_secret(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0] == path.read_text()


def test_an_empty_key_file_is_a_clear_error(tmp_path):
    path = tmp_path / "question_log_secret"
    path.write_text("")
    with pytest.raises(MissingSecret, match="是空的"):
        read_or_create_secret(path)
