"""knowledge/messages.yml: every fixed sentence, checked by kb check, live on save."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionGoodbye, ActionHumanHandoff, ActionWelcome
from actions.selfcheck_questions import ActionAskScCity
from bot import settings
from bot.answer.replies import render_message
from bot.kb.facts import deadline_status
from bot.kb.load import check_directory, load_knowledge
from bot.kb.messages import MESSAGE_VALUES
from channels.texts import channel_text

DAY = dt.date(2021, 11, 20)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(directory: Path) -> list:
    return [str(p) for p in check_directory(directory)]


@pytest.mark.parametrize("name", sorted(MESSAGE_VALUES))
def test_every_message_renders_with_its_values(kb, name):
    allowed, _ = MESSAGE_VALUES[name]
    text = render_message(kb, name, DAY, **{value: f"<{value}>" for value in allowed})
    assert text and not re.search(r"\{[a-z_]+\}", text), text
    assert "2021" not in kb.message(name)


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "  goodbye: |-\n    再见！",
            "  goodbye: |-\n    再见{nope}！",
            "messages › goodbye：引用了这条回复不能用的名称 {nope}",
        ),
        (
            "第{number}/{total}题：{question}",
            "第{number}/{total}题：",
            "messages › selfcheck_question：缺少必须出现的 {question}",
        ),
        (
            "距截止还有{days}天",
            "距截止还有{contacts}天",
            "messages › deadline_status_open：引用了这条回复不能用的名称 {contacts}",
        ),
        (
            "距截止还有{days}天",
            "距截止还有几天",
            "messages › deadline_status_open：缺少必须出现的 {days}",
        ),
        (
            "    {city}不超过{quota}个",
            "    {city}不超过{quota}个，{phone}",
            "messages › fact_quota_item：引用了这条回复不能用的名称 {phone}",
        ),
        ("  thanks: |-\n", "  thanks_typo: |-\n", "messages › thanks：缺少这条固定回复"),
        (
            "  wechat_ask_again: |-\n",
            "  wechat_ask_again2: |-\n",
            "messages › wechat_ask_again2：系统不使用这条回复",
        ),
        (
            "    再见！申报中",
            "    再见！0731-12345678 申报中",
            "messages › goodbye：直接写了电话号码",
        ),
    ],
)
def test_kb_check_reports_message_problems_in_chinese(knowledge_copy, old, new, expected):
    edit(knowledge_copy / "messages.yml", old, new)
    found = problems(knowledge_copy)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize(
    "today, expected",
    [
        (dt.date(2021, 11, 20), "距截止还有8天（今天是2021年11月20日）"),
        (dt.date(2021, 11, 28), "今天（2021年11月28日）是截止日"),
        (dt.date(2022, 1, 3), "2021年度申报已截止（截止日期为2021年11月28日，今天是2022年1月3日）"),
    ],
)
def test_deadline_status_comes_from_messages(kb, today, expected):
    assert expected in deadline_status(kb, today)


def test_year_comes_from_the_notice_facts(knowledge_copy):
    edit(
        knowledge_copy / "notice.yml",
        "short_name: 2021年度省双创示范基地申报",
        "short_name: 2022年度省双创示范基地申报",
    )
    kb = load_knowledge(knowledge_copy)
    assert "2022年度省双创示范基地申报" in render_message(kb, "fallback", DAY, topics="· x")


@pytest.fixture()
def live_knowledge(knowledge_copy, monkeypatch):
    """Actions and channels read ``knowledge_copy`` (KNOWLEDGE_DIR), as the servers would."""

    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    monkeypatch.setenv("BOT_TODAY", "2021-11-20")
    settings.get_settings.cache_clear()
    yield knowledge_copy
    settings.get_settings.cache_clear()


def _said(action, slots=None) -> list:
    dispatcher = CollectingDispatcher()
    tracker = Tracker(
        "t",
        slots or {},
        {"text": "你好", "intent": {"name": "greet"}, "entities": []},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    action.run(dispatcher, tracker, {})
    return [m["text"] for m in dispatcher.messages]


def test_staff_edits_reach_actions_and_channels_without_restart(live_knowledge):
    path = live_knowledge / "messages.yml"
    assert _said(ActionGoodbye()) == ["再见！申报中有问题随时来问。"]
    assert "陈求生" in _said(ActionHumanHandoff())[0]
    assert _said(ActionAskScCity()) == ["所在的市州是？（例如：长沙、株洲、湘西州）"]
    assert channel_text("wechat_ask_again").startswith("您的问题还在查询中")
    edit(path, "再见！申报中有问题随时来问。", "再会！祝申报顺利。")
    edit(path, "所在的市州是？（例如：长沙、株洲、湘西州）", "请问贵单位在哪个市州？")
    edit(path, "您的问题还在查询中", "正在查询")
    edit(path, "您好！我是湖南省发改委{short_name}咨询助手", "欢迎！{short_name}助手在此")
    assert _said(ActionGoodbye()) == ["再会！祝申报顺利。"]
    assert _said(ActionAskScCity()) == ["请问贵单位在哪个市州？"]
    assert channel_text("wechat_ask_again").startswith("正在查询")
    assert _said(ActionWelcome())[0].startswith("欢迎！2021年度省双创示范基地申报助手在此")


def test_a_broken_message_edit_keeps_the_last_good_text(live_knowledge):
    assert _said(ActionGoodbye()) == ["再见！申报中有问题随时来问。"]
    edit(live_knowledge / "messages.yml", "再见！申报中有问题随时来问。", "再见{typo}")
    assert _said(ActionGoodbye()) == ["再见！申报中有问题随时来问。"]
