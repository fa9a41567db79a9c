"""Replies to Telegram: python-telegram-bot's ``Bot``, message limits, inline keyboards, 429s.

The output channel is built per incoming update and is the only place (besides the
input channel) that knows the real chat id: Rasa addresses replies to the
pseudonymous sender id, which this channel ignores.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections import OrderedDict
from typing import Any, Dict, List

from rasa.core.channels.channel import OutputChannel
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit
from telegram.error import RetryAfter, TelegramError

from bot import feedback as fb
from channels.texts import channel_text

logger = logging.getLogger(__name__)

MAX_TEXT_UNITS = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096, counted in UTF-16 code units
MAX_CALLBACK_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # 64 bytes
CALLBACK_PREFIX = "p:"  # callback_data standing for a payload too long to travel itself


def _units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _hard_split(line: str, limit: int) -> List[str]:
    pieces, current, used = [], [], 0
    for ch in line:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    pieces.append("".join(current))
    return pieces


def split_message(text: str, limit: int = MAX_TEXT_UNITS) -> List[str]:
    """Split ``text`` into chunks Telegram accepts, breaking at line boundaries.

    Only a single line longer than ``limit`` is cut inside the line. Chunks that
    would be blank (Telegram rejects empty messages) are dropped.
    """
    chunks: List[str] = []
    current: str | None = None
    for line in text.split("\n"):
        candidate = line if current is None else f"{current}\n{line}"
        if _units(candidate) <= limit:
            current = candidate
            continue
        if current is not None:
            chunks.append(current)
        if _units(line) <= limit:
            current = line
        else:
            *full, current = _hard_split(line, limit)
            chunks.extend(full)
    if current is not None:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds to wait; PTB 22 gives an int or, with ``PTB_TIMEDELTA=true``, a timedelta."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class CallbackPayloads:
    """Bounded map from short callback_data tokens to button payloads over 64 bytes."""

    def __init__(self, max_size: int = 5000) -> None:
        self._max_size = max_size
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(
            CALLBACK_PREFIX
        ):
            return payload
        token = CALLBACK_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]
        self._payloads[token] = payload
        self._payloads.move_to_end(token)
        while len(self._payloads) > self._max_size:
            self._payloads.popitem(last=False)
        return token

    def decode(self, data: str) -> str | None:
        """The payload behind ``data``; ``None`` for a token no longer remembered."""
        if not data.startswith(CALLBACK_PREFIX):
            return data
        return self._payloads.get(data)


class TelegramOutput(OutputChannel):
    """Sends the assistant's replies to one Telegram chat."""

    max_attempts = 5
    max_retry_wait = 120.0  # seconds; a longer flood wait is not worth holding a reply for

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        payloads: CallbackPayloads,
        reply_to_message_id: int | None = None,
    ) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._payloads = payloads
        self._reply_to = reply_to_message_id
        self.sent_count = 0  # replies sent for this update (see channels.questions)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send(text, self._keyboard(buttons))

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        # Raw JSON means nothing to an applicant; only a text inside a custom payload is sent.
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if text:
            await self._send(str(text))
        else:
            logger.debug("telegram: custom payload without text not sent")

    def _keyboard(self, buttons: List[Dict[str, Any]]) -> InlineKeyboardMarkup | None:
        rows = []
        rated = [b for b in buttons if fb.is_feedback_button(b) and b.get("title")]
        if rated:  # 有帮助 / 没帮助 side by side under the answer
            rows.append(
                [
                    InlineKeyboardButton(
                        str(b["title"]).strip(), callback_data=self._payloads.encode(b["payload"])
                    )
                    for b in rated
                ]
            )
        for button in buttons:
            if fb.is_feedback_button(button):
                continue
            title = str(button.get("title") or button.get("payload") or "").strip()
            if not title:
                continue
            if button.get("url"):
                rows.append([InlineKeyboardButton(title, url=str(button["url"]))])
            else:
                payload = str(button.get("payload") or title)
                rows.append(
                    [InlineKeyboardButton(title, callback_data=self._payloads.encode(payload))]
                )
        return InlineKeyboardMarkup(rows) if rows else None

    async def _send(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        self.sent_count += 1
        chunks = split_message(text or "")
        if not chunks and markup is not None:
            chunks = [channel_text("choose_prompt")]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            reply = (
                ReplyParameters(self._reply_to, allow_sending_without_reply=True)
                if self._reply_to is not None and index == 0
                else None
            )
            if not await self._send_chunk(chunk, markup if last else None, reply):
                return  # keep the order: never send a later part after a lost one

    async def _send_chunk(
        self,
        text: str,
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
    ) -> bool:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self._bot.send_message(
                    self._chat_id, text, reply_markup=markup, reply_parameters=reply
                )
                return True
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if attempt == self.max_attempts or wait > self.max_retry_wait:
                    logger.warning(
                        "telegram: flood control, reply dropped after %d attempt(s) "
                        "(retry_after=%ss)",
                        attempt,
                        wait,
                    )
                    return False
                logger.info("telegram: flood control, retrying in %ss", wait)
                await asyncio.sleep(wait)
            except TelegramError as exc:
                # Bot API descriptions ("Forbidden: bot was blocked by the user") carry no chat
                # id or message text.
                logger.warning("telegram: sendMessage failed: %s: %s", type(exc).__name__, exc)
                return False
        return False
