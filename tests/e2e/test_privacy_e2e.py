"""Real servers: personal data written in many ways over REST never reaches a store or the log,
the notice's own contacts stay readable, and hostile requests get clear answers."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.e2e.test_question_log_e2e import log_rows

pytestmark = pytest.mark.e2e

FW = {str(d): chr(0xFF10 + d) for d in range(10)}


def full_width(text: str) -> str:
    return "".join(FW.get(c, c) for c in text)


# (what the applicant types, the digits / address that must not be stored anywhere)
WRITINGS = [
    (full_width("13912345678"), "13912345678"),
    ("139\u200b2345\u200b6789", "13923456789"),
    ("+86 139-3456-7890", "13934567890"),
    ("0086 139.4567.8901", "13945678901"),
    ("430102 19900307 123X", "43010219900307123"),
    ("ID43010219850101234xabc", "43010219850101234"),
    ("0731-84567890", "073184567890"),
    ("zhang.applicant＠qq．com", "zhang.applicant"),
    ("申报人@例子.中国", "申报人@"),
]


def post(url: str, body: bytes) -> tuple:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def digits_of(content: bytes) -> str:
    return re.sub(rb"[^0-9]", b"", content).decode()


def test_personal_data_in_any_writing_is_in_no_store_or_log(assistant_url, assistant_server):
    run = uuid.uuid4().hex[:8]
    sender = f"privacy-{run}"
    for number, (written, _) in enumerate(WRITINGS):
        body = {
            "sender": sender,
            "message": f"我的信息是{written}，食堂几点开饭",
            "metadata": {"channel_message_id": f"{run}-{number}"},
        }
        status, _ = post(assistant_url, json.dumps(body, ensure_ascii=False).encode())
        assert status == 200
    status, replies = post(
        assistant_url,
        json.dumps(
            {
                "sender": sender,
                "message": "电话0731-89991015和邮箱hnfgwhzc@126.com对吗",
                "metadata": {"channel_message_id": f"{run}-public"},
            },
            ensure_ascii=False,
        ).encode(),
    )
    assert status == 200 and replies

    database = Path(assistant_server["DATABASE_URL"].removeprefix("sqlite:///"))
    rows = [r for r in log_rows(database, len(WRITINGS) + 1) if r[0].startswith(run)]
    assert len(rows) == len(WRITINGS) + 1
    texts = {r[0].split("#")[0]: r[2] for r in rows}  # REST ids are "<id>#<digest>"
    assert (
        "0731-89991015" in texts[f"{run}-public"] and "hnfgwhzc@126.com" in texts[f"{run}-public"]
    )

    stores = [database, Path(assistant_server["TRACKER_DB"]), Path(assistant_server["LOG"])]
    for store in stores:
        content = store.read_bytes()
        for written, secret in WRITINGS:
            assert written.encode() not in content, (store, written)
            if secret.isdigit():  # however the bytes around them are spelled
                assert secret not in digits_of(content), (store, secret)
            else:
                assert secret.encode() not in content, (store, secret)


def test_hostile_requests_get_clear_answers_and_the_server_goes_on(assistant_url):
    assert post(assistant_url, b'{"message": "hi"}')[0] == 400
    assert post(assistant_url, b"[1, 2")[0] == 400
    status, answer = post(assistant_url, b'{"sender": "a", "message": "' + b"x" * 70_000 + b'"}')
    assert status == 413 and "bytes" in answer["error"]
    status, replies = post(
        assistant_url,
        json.dumps(
            {"sender": f"after-{uuid.uuid4().hex[:6]}", "message": "申报截止时间是什么时候？"},
            ensure_ascii=False,
        ).encode(),
    )
    assert status == 200 and replies
