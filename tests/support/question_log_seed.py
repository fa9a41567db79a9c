"""A seeded question log with known numbers (the report and review tests check against these)."""

from __future__ import annotations

import datetime as dt
import json

from tests.support.question_log import make_row


def T(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    """UTC; China time is 8 hours later."""
    return dt.datetime(2026, month, day, hour, minute)


SINCE = dt.date(2026, 11, 1)
UNTIL = dt.date(2026, 11, 3)

ROWS = [
    # outside the range (China time 10-31 23:00 and 11-04 00:30)
    make_row(T(31, 15, month=10), "x1", sender_id="re_z", topic="deadline", text="截止时间"),
    make_row(T(3, 16, 30), "x2", sender_id="re_z", topic="fallback", text="很晚的问题"),
    # 11-01 China time
    make_row(
        T(1, 2),
        "a1",
        sender_id="re_a",
        topic="deadline",
        text="申报截止时间是什么时候",
        intent="deadline",
        confidence=0.95,
    ),
    make_row(
        T(1, 2, 30),
        "b1",
        sender_id="re_b",
        topic="deadline",
        text="几号截止",
        intent="deadline",
        confidence=0.9,
    ),
    make_row(
        T(1, 3),
        "c1",
        sender_id="wx_c",
        channel="wechat",
        topic="submission_address",
        text="材料交到哪里",
    ),
    # 11-02 China time (01:00, 14:00, 14:10, 15:00)
    make_row(
        T(1, 17),
        "c2",
        sender_id="wx_c",
        channel="wechat",
        topic="fallback",
        text="食堂几点开饭",
        intent="nlu_fallback",
        confidence=0.2,
    ),
    make_row(
        T(2, 6),
        "d1",
        sender_id="te_d",
        channel="telegram",
        topic="fallback",
        text="请问食堂几点开饭？",
        intent="nlu_fallback",
        confidence=0.25,
    ),
    make_row(
        T(2, 6, 10),
        "a2",
        sender_id="re_a",
        topic="fallback",
        text="材料交错了能不能补交",
        intent="nlu_fallback",
        confidence=0.3,
    ),
    make_row(
        T(2, 7),
        "a3",
        sender_id="re_a",
        topic=None,
        text="你好",
        intent="greet",
        confidence=0.99,
        action="action_welcome",
    ),
    # 11-03 China time: a self-check started and completed, a deadline question
    make_row(
        T(3, 1),
        "e1",
        sender_id="wx_e",
        channel="wechat",
        text="我想自测",
        intent="selfcheck",
        in_selfcheck=True,
        selfcheck_event="start",
    ),
    make_row(
        T(3, 1, 1),
        "e2",
        sender_id="wx_e",
        channel="wechat",
        text="企业",
        intent="inform",
        in_selfcheck=True,
        selfcheck_event="complete",
        slots=json.dumps({"sc_direction": "rongtong_chuangxin"}),
    ),
    make_row(
        T(3, 2),
        "f1",
        sender_id="re_f",
        topic="deadline",
        text="截止日期",
        intent="deadline",
        confidence=0.97,
    ),
]

# what the report must say for SINCE..UNTIL
TOTAL = 10
ANSWERED = 4  # deadline ×3, submission_address ×1
FALLBACK = 3
PER_DAY = {"2026-11-01": 3, "2026-11-02": 4, "2026-11-03": 3}
CHANNELS = {"网页/接口": 5, "微信公众号": 4, "Telegram": 1}
