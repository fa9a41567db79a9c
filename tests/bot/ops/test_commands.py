"""bot/ops/commands.py: the action server listens on loopback unless ACTION_HOST says otherwise."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bot.ops.commands import action_server_command, action_server_env
from bot.settings import PROJECT_DIR, Settings


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("ACTION_HOST", "SANIC_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no project .env


def _listening_addresses(port: int) -> set:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # LISTEN
                found.add(address)
    return found


@pytest.mark.servers
def test_action_server_listens_on_loopback_only(clean_env):
    from tests.support.postgres import spare_port

    settings = Settings(action_port=spare_port())
    assert settings.action_host == "127.0.0.1"
    assert action_server_env(Settings(action_host="0.0.0.0"))["SANIC_HOST"] == "0.0.0.0"
    process = subprocess.Popen(
        action_server_command(settings),
        cwd=PROJECT_DIR,
        env=action_server_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{settings.action_port}/health", timeout=2
                ):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.5)
        assert _listening_addresses(settings.action_port) == {"0100007F"}  # 127.0.0.1
    finally:
        process.terminate()
        process.wait(timeout=30)
