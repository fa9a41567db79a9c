"""No applicant text in any log at the default level (bot/logs.py): a marker question sent
through every channel — REST, WeChat (安全模式), Telegram, as a feedback trigger and as a
forced intent — reaches the question log and no process's output (the supervisor, the Rasa
server, the action server: ``bot run`` writes them all to one log); the console, showing the
question to staff, logs nothing of it either."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import PROJECT_DIR, wait_for
from tests.e2e.test_question_log_e2e import log_rows
from tests.support.ports import free_port
from tests.support.telegram_fakes import SECRET, message_update
from tests.support.wechat_fakes import AES_KEY, WeChatServer, payload

pytestmark = pytest.mark.e2e


def post_json(url: str, body: dict, headers: dict | None = None) -> int:
    request = urllib.request.Request(
        url,
        json.dumps(body, ensure_ascii=False).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.status


def quiet_marker() -> str:
    """A token no log line could contain by chance, in the writing of a question."""
    return "暗号" + uuid.uuid4().hex[:10]


async def test_a_marker_question_reaches_the_question_log_and_no_log(
    assistant_url, wechat_url, telegram_url, assistant_server, tmp_path
):
    marker = quiet_marker()
    database = Path(assistant_server["DATABASE_URL"].removeprefix("sqlite:///"))
    before = len(log_rows(database, 0, timeout=0))
    sender = f"log-{marker}"
    for text in (
        f"{marker} 申报截止时间是什么时候",
        f'/deadline{{"city":"{marker}"}}',  # a forced intent: Rasa would warn with the text
        f"{marker} 长沙能推荐几个？株洲呢？",  # split into two questions
    ):
        assert post_json(assistant_url, {"sender": sender, "message": text}) == 200
    feedback = f'/feedback{{"helpful":"yes","answer":"{marker}","city":"{marker}"}}'
    assert post_json(assistant_url, {"sender": sender, "message": feedback}) == 200
    wechat = WeChatServer(wechat_url, aes_key=AES_KEY)
    status, _ = await wechat.post(payload("text.xml", content=f"{marker} 材料交到哪里"))
    assert status == 200
    update = message_update(int(time.time()) % 1_000_000 + 8_000_000, f"{marker} 联系电话")
    assert post_json(telegram_url, update, {"X-Telegram-Bot-Api-Secret-Token": SECRET}) == 200
    rows = log_rows(database, before + 7, timeout=60)
    assert sum(marker in row[2] for row in rows) >= 5  # the questions were processed and logged

    output = Path(assistant_server["LOG"]).read_text(encoding="utf-8", errors="replace")
    assert "processor.message.parse" not in output  # Rasa's debug events are off
    assert marker not in output
    assert marker.encode("unicode_escape").decode() not in output  # nor escaped

    console_log = console_output_after_viewing(assistant_server, tmp_path, marker)
    assert marker not in console_log


def console_output_after_viewing(server_env: dict, workdir: Path, marker: str) -> str:
    """Start the console on the assistant's question log, log in, look for the marker in the
    question list and the review page; the console's output."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=server_env["DATABASE_URL"],
        KNOWLEDGE_DIR=server_env["KNOWLEDGE_DIR"],
        CONSOLE_SECRET="e2e-console-secret",
        QUESTION_LOG_SECRET=server_env["QUESTION_LOG_SECRET"],
    )
    user, password = "logcheck", "a long enough password 1"
    added = subprocess.run(
        [sys.executable, "-m", "bot", "console", "adduser", user],
        input=password + "\n",
        text=True,
        capture_output=True,
        cwd=PROJECT_DIR,
        env=env,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    log = workdir / "console.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/login", process, log, timeout=60, what="console")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with opener.open(f"{base}/login", timeout=30) as page:
            html = page.read().decode()
        csrf = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        form = urllib.parse.urlencode({"username": user, "password": password, "csrf": csrf})
        with opener.open(f"{base}/login", form.encode(), timeout=30) as page:
            assert page.status == 200
        seen = ""
        with sqlite3.connect(server_env["DATABASE_URL"].removeprefix("sqlite:///")) as db:
            (row_id,) = db.execute(
                "select id from question_log where text like ? limit 1", (f"%{marker}%",)
            ).fetchone()
        for path in ("/review", "/report", f"/conversation/{row_id}"):
            with opener.open(base + path, timeout=60) as page:
                seen += page.read().decode()
        assert marker in seen  # staff see the question; the console's log does not
    finally:
        process.terminate()
        process.wait(timeout=20)
    return log.read_text(encoding="utf-8", errors="replace")
