"""Real servers: every REST message lands in the question log exactly once, with no personal data
anywhere."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PHONE = "13912345678"


def post(url: str, sender: str, message: str, message_id: str) -> list:
    body = json.dumps(
        {"sender": sender, "message": message, "metadata": {"channel_message_id": message_id}}
    ).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def log_rows(database: Path, expected: int, timeout: float = 20.0) -> list:
    deadline = time.monotonic() + timeout
    rows: list = []
    while time.monotonic() < deadline:
        if database.exists():
            with sqlite3.connect(database) as connection:
                try:
                    rows = connection.execute(
                        "select channel_message_id, sender_id, text, topic, reply from "
                        "question_log order by id"
                    ).fetchall()
                except sqlite3.OperationalError:
                    rows = []
            if len(rows) >= expected:
                return rows
        time.sleep(0.3)
    return rows


def test_question_log_captures_each_message_once_without_personal_data(
    assistant_url, assistant_server, tmp_path
):
    raw_sender = f"applicant-{PHONE}-{uuid.uuid4().hex[:6]}"
    run = uuid.uuid4().hex[:8]
    messages = [
        (f"{run}-1", "申报截止时间是什么时候？"),
        (f"{run}-2", f"我的手机号是{PHONE}，食堂几点开饭"),  # unanswerable, with a phone number
        (f"{run}-3", "材料交到哪里"),
    ]
    for message_id, text in messages:
        assert post(assistant_url, raw_sender, text, message_id)
    post(assistant_url, raw_sender, messages[0][1], messages[0][0])  # a client retry of message 1

    database = Path(assistant_server["DATABASE_URL"].removeprefix("sqlite:///"))
    rows = [r for r in log_rows(database, 3) if r[0].startswith(run)]
    # exactly once each (REST scopes a client's id by the text: "<id>#<digest>")
    assert sorted(r[0].split("#")[0] for r in rows) == sorted(m for m, _ in messages)
    by_id = {r[0].split("#")[0]: r for r in rows}
    assert by_id[f"{run}-1"][3] == "deadline"
    assert by_id[f"{run}-2"][3] == "fallback"
    assert "[手机号]" in by_id[f"{run}-2"][2]
    assert all(raw_sender not in r[1] for r in rows)

    # no raw sender id or phone number in any store or log
    stores = [database, Path(assistant_server["TRACKER_DB"]), Path(assistant_server["LOG"])]
    for store in stores:
        content = store.read_bytes()
        assert PHONE.encode() not in content, store
        assert raw_sender.encode() not in content, store

    # the report counts what was sent
    from bot.cli import main as cli_main

    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    out = tmp_path / "report.csv"
    assert (
        cli_main(
            [
                "report",
                "--since",
                str(today - dt.timedelta(days=1)),
                "--until",
                str(today),
                "--database-url",
                assistant_server["DATABASE_URL"],
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = out.read_text(encoding="utf-8-sig")
    assert "食堂几点开饭" in text
