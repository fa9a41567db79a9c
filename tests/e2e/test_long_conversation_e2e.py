"""Long conversations roll over into new sessions (bot/rasa/trackers.py) without losing anything:
a real assistant with TRACKER_MAX_SESSION_EVENTS=1, so every turn outside a form ends its
session — on PostgreSQL when TEST_DATABASE_URL is set (as in a cluster), else on SQLite.
Follow-ups still know the previous answer, a self-check runs to its result across many
turns, and the result can be shown again afterwards."""

from __future__ import annotations

import os
import re
import uuid
from typing import Dict, Iterator

import pytest
from sqlalchemy import create_engine, text

from channels.privacy import pseudonymous_id
from tests.e2e.client import say_text
from tests.e2e.conftest import running_assistant
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e
DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="module")
def rolling_assistant(assistant_env, tmp_path_factory) -> Iterator[Dict[str, str]]:
    work = tmp_path_factory.mktemp("rolling")
    env = {k: v for k, v in assistant_env.items() if not k.startswith(("TELEGRAM_", "WECHAT_"))}
    env.update(
        PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        TRACKER_DB=str(work / "tracker.db"),
        TRACKER_MAX_SESSION_EVENTS="1",
        RATE_LIMIT_PER_MINUTE="0",
    )
    env["TRACKER_URL"] = f"sqlite:///{work / 'tracker.db'}"
    if DATABASE_URL:
        env["TRACKER_STORE_URL"] = env["TRACKER_URL"] = DATABASE_URL
    with running_assistant(env, work / "assistant.log"):
        env["URL"] = f"http://127.0.0.1:{env['PORT']}/webhooks/rest/webhook"
        yield env


def sessions_of(env: Dict[str, str], who: str) -> int:
    """Sessions stored for ``who``'s conversation (its pseudonymous id, as the channel makes it)."""
    sender = pseudonymous_id(env["QUESTION_LOG_SECRET"], "rest", who)
    engine = create_engine(env["TRACKER_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "select count(*) from events where type_name = 'session_started' "
                    "and sender_id = :sender"
                ),
                {"sender": sender},
            ).scalar()
    finally:
        engine.dispose()


def test_follow_ups_keep_their_context_across_rollovers(rolling_assistant):
    url, who = rolling_assistant["URL"], f"e2e-long-{uuid.uuid4().hex[:8]}"
    assert "银杏路6号" in say_text(url, who, "材料交到哪里")
    assert "4" in say_text(url, who, "长沙市能推几个主体")
    reply = say_text(url, who, "那株洲呢？")
    assert "株洲市" in reply and "3" in reply
    assert "融通创新" in say_text(url, who, "民营公司一般报哪个方向")
    assert "创业就业" in say_text(url, who, "那大学呢")
    # every turn outside a form ended its session, and nothing was lost on the way
    assert sessions_of(rolling_assistant, who) >= 5


def test_a_self_check_runs_to_its_result_and_is_shown_again(rolling_assistant):
    url, who = rolling_assistant["URL"], f"e2e-long-{uuid.uuid4().hex[:8]}"
    assert "银杏路6号" in say_text(url, who, "材料交到哪里")
    replies = [
        say_text(url, who, line)
        for line in (
            "我想自测一下能不能报",
            "我们是一所大学",
            "长沙",
            "是",
            "是的",
            "有",
            "截止时间是哪天？",
            "没有",
            "对",
            "约200人",
            "百分之十五",
            "三百万",
        )
    ]
    assert "申报主体" in replies[0] and "市州" in replies[1]
    assert "11月28日" in replies[6] and "第3/7题" in replies[6]
    result = replies[-1]
    assert "高校示范基地" in result and "长沙市（推荐名额不超过4个" in result
    code = re.search(r"ZC-[0-9A-F]{4}", result).group(0)
    # the result survives the rollover after the form: shown again from the carried slots
    again = say_text(url, who, "再看一下自测结果")
    assert code in again and "200人" in again
