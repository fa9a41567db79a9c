"""A message that asks several things is handed to the assistant one question at a time.

Every channel wraps the ``on_new_message`` it is given with ``one_question_at_a_time``:
each question becomes its own turn (its own answer with its own source, its own row in
the question log), in the order asked, and the replies collect in the same output
channel — one HTTP response on REST, one passive reply on WeChat.

Feedback on an answer (bot/feedback.py) is never split: a button's ``/feedback{…}`` payload
goes to Rasa as it is, and the button word typed by hand (``有帮助`` / ``没帮助``, from
knowledge/messages.yml) becomes the same payload — typing it works like clicking.

``Failsafe`` makes sure no message ends without a reply: any exception while a question is
processed (inside Rasa or in the channel) ends in the polite ``unavailable`` reply, and the
question is still recorded — the channel publishes the turn to Rasa's event broker (the question
log) itself. The log gets the exception's kind and where it happened, never the text.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any, Awaitable, Callable, Dict, List

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint

from bot import feedback as fb
from bot.answer.compound import questions_in
from bot.answer.decision import QUESTION_PART
from bot.answer.normalize import normalize
from bot.kb.models import KnowledgeBase
from bot.kb.problems import KnowledgeError
from bot.names import ACTION_LISTEN
from channels.texts import channel_text, knowledge_cache

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
logger = logging.getLogger(__name__)


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
    if fb.is_trigger(text):  # only the verdict (and the answer it is for) goes on: no slots
        feedback = fb.parse_trigger(text)
        return fb.trigger(feedback.helpful, feedback.answer) if feedback else None
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


class Failsafe:
    """Every message of a channel ends in a reply: ``guard`` catches what the wrapped handler
    raises, sends ``unavailable`` (unless a reply already went out) and records the question
    through the event broker of the server's agent (``attach`` remembers the server's app)."""

    def __init__(self, channel: str, unavailable: Callable[[], str] = unavailable_reply) -> None:
        self.channel = channel
        self.unavailable = unavailable
        self.failures = 0
        self._app: Any = None

    def attach(self, blueprint: Blueprint) -> None:
        async def remember_app(app: Any, loop: Any) -> None:
            self._app = app

        blueprint.listener("before_server_start")(remember_app)

    def guard(self, on_new_message: OnNewMessage) -> OnNewMessage:
        async def handle(message: UserMessage) -> Any:
            before = replies_so_far(message.output_channel)
            try:
                return await on_new_message(message)
            except Exception as exc:
                await self.failed(message, exc, before)
                return None

        return handle

    async def failed(self, message: UserMessage, exc: BaseException, before: int | None) -> None:
        """Log where it failed (not the text), reply ``unavailable``, record the question."""
        self.failures += 1
        logger.error(
            "%s: the assistant failed on a message (%s), the applicant gets the unavailable"
            " reply; where:\n%s",
            self.channel,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
        )
        text = ""
        if before is None or replies_so_far(message.output_channel) == before:
            text = self.unavailable()
            if text:
                try:
                    await message.output_channel.send_text_message(message.sender_id, text)
                except Exception as problem:  # the platform is away too: nothing more to do
                    logger.error(
                        "%s: the unavailable reply could not be sent (%s)",
                        self.channel,
                        type(problem).__name__,
                    )
        self.record(message, text)

    def record(self, message: UserMessage, reply: str) -> None:
        """The question and the reply it got, as the events Rasa would have published; the
        question log's unique (sender, message id) keeps a turn Rasa did publish from counting
        twice."""
        try:
            broker = self._event_broker()
            if broker is None:
                return
            for event in unanswered_events(message, reply):
                broker.publish(event)
        except Exception as exc:
            logger.error(
                "%s: the failed question was not recorded (%s)", self.channel, type(exc).__name__
            )

    def _event_broker(self) -> Any:
        agent = getattr(getattr(self._app, "ctx", None), "agent", None)
        store = getattr(agent, "tracker_store", None)
        return getattr(store, "event_broker", None)


def unanswered_events(message: UserMessage, reply: str) -> List[Dict[str, Any]]:
    """A question Rasa could not process, in the shape of the events Rasa publishes."""
    now = time.time()
    common = {"sender_id": message.sender_id, "timestamp": now}
    events: List[Dict[str, Any]] = [
        {
            **common,
            "event": "user",
            "text": message.text,
            "parse_data": {"intent": {"name": None, "confidence": 0.0}, "entities": []},
            "input_channel": message.input_channel,
            "message_id": message.message_id,
            "metadata": dict(message.metadata or {}),
        }
    ]
    if reply:
        events.append({**common, "event": "bot", "text": reply, "data": {}})
    events.append({**common, "event": "action", "name": ACTION_LISTEN})
    return events
