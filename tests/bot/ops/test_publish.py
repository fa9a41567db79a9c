"""bot/ops/publish.py: what publish tells a watcher (the console's publish page): its stages,
one JSON line each; and the handoff is the one way to swap a model — a server on the port
that ``bot run`` did not start (an instance of ``make cluster`` or of the systemd units) is
not switched: publish says the model is ready and how to roll it out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.ops.publish import PROGRESS_FILE_ENV, PublishError, stage, switch_model
from bot.settings import Settings
from tests.support.ports import free_port


def test_stages_are_noted_only_when_someone_watches(tmp_path, monkeypatch):
    monkeypatch.delenv(PROGRESS_FILE_ENV, raising=False)
    stage("check")  # nobody watches: nothing written, nothing raised
    progress = tmp_path / "progress.jsonl"
    monkeypatch.setenv(PROGRESS_FILE_ENV, str(progress))
    stage("check")
    stage("train")
    events = [json.loads(line) for line in progress.read_text().splitlines()]
    assert [e["stage"] for e in events] == ["check", "train"]
    assert events[0]["time"] <= events[1]["time"]


def test_a_server_not_started_by_bot_run_is_not_switched():
    settings = Settings(_env_file=None, port=free_port())
    with pytest.raises(PublishError) as refused:
        switch_model(settings, Path("models/new.tar.gz"), {"截止时间": "deadline"}, 0.8)
    message = str(refused.value)
    assert "new.tar.gz 已准备好" in message and "逐个重启实例" in message
