"""channels/questions.py: a message with several questions becomes several turns; no reply at
all becomes the fixed “unavailable” reply."""

from __future__ import annotations

from typing import List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.questions import one_question_at_a_time, unavailable_reply


def recording_assistant(seen: List[UserMessage], answer: bool = True):
    """Stands in for Rasa's message handler (the boundary the channel calls)."""

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message)
        if answer:
            await message.output_channel.send_text_message(message.sender_id, f"答：{message.text}")

    return on_new_message


async def test_each_question_is_its_own_turn_in_order_with_its_own_message_id():
    seen: List[UserMessage] = []
    output = CollectingOutputChannel()
    handle = one_question_at_a_time(recording_assistant(seen))
    await handle(
        UserMessage(
            "纸质版要几份？电子版发到哪",
            output,
            "s1",
            input_channel="rest",
            message_id="m1",
            metadata={"channel_message_id": "wx-9"},
        )
    )
    assert [m.text for m in seen] == ["纸质版要几份", "电子版发到哪"]
    assert [m.message_id for m in seen] == ["m1#1", "m1#2"]
    assert [m.metadata["channel_message_id"] for m in seen] == ["wx-9#1", "wx-9#2"]
    assert [m["text"] for m in output.messages] == ["答：纸质版要几份", "答：电子版发到哪"]


async def test_one_question_passes_unchanged():
    seen: List[UserMessage] = []
    message = UserMessage("申報截止是哪天", CollectingOutputChannel(), "s1")
    await one_question_at_a_time(recording_assistant(seen))(message)
    assert seen == [message]


@pytest.mark.parametrize("text", ["截止时间是哪天", "纸质版要几份？电子版发到哪"])
async def test_no_reply_at_all_gets_the_fixed_reply(text):
    output = CollectingOutputChannel()
    handle = one_question_at_a_time(
        recording_assistant([], answer=False), unavailable=lambda: "稍后再试"
    )
    await handle(UserMessage(text, output, "s1"))
    assert [m["text"] for m in output.messages] == ["稍后再试"]


def test_the_unavailable_reply_comes_from_knowledge_with_the_contacts():
    text = unavailable_reply()
    assert "0731-89991015" in text and "{" not in text
