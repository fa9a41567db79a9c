"""A message that asks several things is handed to the assistant one question at a time.

Every channel wraps the ``on_new_message`` it is given with ``one_question_at_a_time``:
each question becomes its own turn (its own answer with its own source, its own row in
the question log), in the order asked, and the replies collect in the same output
channel — one HTTP response on REST, one passive reply on WeChat.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage

from bot.compound import split_questions
from bot.normalize import normalize

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def part_message(message: UserMessage, text: str, number: int) -> UserMessage:
    metadata = dict(message.metadata or {})
    if metadata.get("channel_message_id"):
        metadata["channel_message_id"] = f"{metadata['channel_message_id']}#{number}"
    return UserMessage(
        text,
        message.output_channel,
        message.sender_id,
        input_channel=message.input_channel,
        message_id=f"{message.message_id}#{number}",
        metadata=metadata or None,
    )


def one_question_at_a_time(on_new_message: OnNewMessage) -> OnNewMessage:
    async def handle(message: UserMessage) -> Any:
        parts = split_questions(normalize(message.text or "")) if message.text else []
        if len(parts) <= 1:
            return await on_new_message(message)
        result = None
        for number, part in enumerate(parts, 1):
            result = await on_new_message(part_message(message, part, number))
        return result

    return handle
