"""What publish tells a watcher (the console's publish page): its stages, one JSON line each."""

from __future__ import annotations

import json

from bot.ops.publish import PROGRESS_FILE_ENV, stage


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
