"""A message that asks several things is handed to the assistant one question at a time.

Every channel wraps the ``on_new_message`` it is given with ``one_question_at_a_time``:
each question becomes its own turn (its own answer with its own source, its own row in
the question log), in the order asked, and the replies collect in the same output
channel — one HTTP response on REST, one passive reply on WeChat.

Feedback on an answer (bot/feedback.py) is never split: a button's ``/feedback{…}`` payload
goes to Rasa as it is, and the button word typed by hand (``有帮助`` / ``没帮助``, from
knowledge/messages.yml) becomes the same payload — typing it works like clicking.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage

from bot import feedback as fb
from bot.answer.compound import questions_in
from bot.answer.decision import QUESTION_PART
from bot.answer.normalize import normalize
from bot.kb.models import KnowledgeBase
from bot.kb.problems import KnowledgeError
from channels.texts import channel_text, knowledge_cache

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def part_message(message: UserMessage, text: str, number: int) -> UserMessage:
    metadata = dict(message.metadata or {})
    metadata[QUESTION_PART] = number  # the answer's source line is short from the second on
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


def with_text(message: UserMessage, text: str) -> UserMessage:
    return UserMessage(
        text,
        message.output_channel,
        message.sender_id,
        input_channel=message.input_channel,
        message_id=message.message_id,
        metadata=message.metadata,
    )


def feedback_words() -> dict:
    """YES/NO → the button word applicants see (knowledge/messages.yml)."""
    return {value: channel_text(fb.WORD_MESSAGES[value]) for value in fb.VALUES}


def feedback_payload(text: str | None, answer: str | None = None) -> str | None:
    """The ``/feedback{…}`` payload ``text`` stands for: itself if it is one, the trigger for a
    button word; ``None`` for any other text."""
    if fb.is_trigger(text):
        return str(text).strip()
    value = fb.typed_word(text, feedback_words())
    return fb.trigger(value, answer) if value else None


def replies_so_far(output: Any) -> int | None:
    """How many replies an output channel has taken: collected (REST, WeChat) or sent (Telegram)."""
    collected = getattr(output, "messages", None)
    if isinstance(collected, list):
        return len(collected)
    sent = getattr(output, "sent_count", None)
    return sent if isinstance(sent, int) else None


def unavailable_reply() -> str:
    """knowledge/messages.yml › unavailable, with the contacts ("" if knowledge/ cannot be read)."""
    return channel_text("unavailable")


def current_knowledge() -> KnowledgeBase | None:
    """The live knowledge base the message is read with (None if it cannot be loaded: the
    message is then split without it)."""
    try:
        return knowledge_cache().get()
    except KnowledgeError:
        return None


def questions_of(text: str) -> list[str]:
    """The questions ``text`` asks, read with the live knowledge (bot.answer.compound)."""
    return questions_in(text, current_knowledge())


def one_question_at_a_time(
    on_new_message: OnNewMessage, unavailable: Callable[[], str] = unavailable_reply
) -> OnNewMessage:
    """``unavailable()`` is the fixed reply sent when the assistant produced no reply at all (the
    action server down, say), on channels that collect replies (REST, WeChat)."""

    async def handle(message: UserMessage) -> Any:
        before = replies_so_far(message.output_channel)
        payload = feedback_payload(message.text)
        parts = questions_of(message.text) if message.text and not payload else []
        result = None
        if payload:
            result = await on_new_message(with_text(message, payload))
        elif len(parts) <= 1 and (not parts or parts[0] == normalize(message.text)):
            result = await on_new_message(message)
        elif len(parts) == 1:  # the question without its greeting, introduction, thanks
            result = await on_new_message(with_text(message, parts[0]))
        else:
            for number, part in enumerate(parts, 1):
                result = await on_new_message(part_message(message, part, number))
        if before is not None and replies_so_far(message.output_channel) == before:
            text = unavailable()
            if text:
                await message.output_channel.send_text_message(message.sender_id, text)
        return result

    return handle
