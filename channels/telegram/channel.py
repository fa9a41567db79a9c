"""Telegram input channel on python-telegram-bot 22 (webhook with secret token, or polling).

Enable it in credentials.yml::

    channels.telegram.channel.TelegramInput:
      token: ...           # empty or absent: TELEGRAM_TOKEN (bot.settings)
      secret_token: ...    # TELEGRAM_SECRET_TOKEN, checked on every webhook call
      webhook_url: ...     # TELEGRAM_WEBHOOK_URL; unset means long polling
      base_url: ...        # TELEGRAM_BASE_URL, default https://api.telegram.org/bot

Route: POST /webhooks/telegram/webhook. Updates are answered 200 at once and
processed in background tasks, so a reply waiting out a 429 never blocks anyone. With
``REDIS_URL`` set, the update is claimed in Redis before the 200 (channels/telegram/updates.py):
a second delivery is not processed again, and an update whose instance died before answering
it is taken over by another instance's sweep, every ``CLAIM_SECONDS``.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Set

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, Update, User
from telegram.error import InvalidToken, TelegramError

from bot.settings import TELEGRAM_BASE_URL, get_settings
from channels.limits import rate_limited, read_body
from channels.plumbing import text_setting
from channels.privacy import protect
from channels.questions import Failsafe, one_question_at_a_time
from channels.telegram.output import CallbackPayloads, TelegramOutput
from channels.telegram.polling import Poller
from channels.telegram.updates import (
    EXPIRED_BUTTON_REPLY,
    NON_TEXT_REPLY,
    Incoming,
    SharedSeenUpdates,
    interpret,
    make_seen_updates,
)
from channels.texts import channel_text

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramInput(InputChannel):
    """Telegram updates in, assistant replies out through ``telegram.Bot``."""

    drain_timeout = 10.0  # seconds given to replies in flight when the server stops

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> TelegramInput:
        credentials = credentials or {}
        settings = get_settings()

        def pick(key: str, fallback: str | None) -> str | None:
            return text_setting(credentials, key, fallback)

        return cls(
            token=pick("token", settings.telegram_token),
            secret_token=pick("secret_token", settings.telegram_secret_token),
            webhook_url=pick("webhook_url", settings.telegram_webhook_url),
            base_url=pick("base_url", settings.telegram_base_url) or TELEGRAM_BASE_URL,
            poll_timeout=int(credentials.get("poll_timeout") or 30),
            redis_url=pick("redis_url", settings.redis_url),
        )

    def __init__(
        self,
        token: str | None,
        secret_token: str | None = None,
        webhook_url: str | None = None,
        base_url: str = TELEGRAM_BASE_URL,
        poll_timeout: int = 30,
        redis_url: str | None = None,
    ) -> None:
        self.token = token or None
        self.secret_token = secret_token or None
        self.webhook_url = webhook_url or None
        self.base_url = base_url
        self.poll_timeout = poll_timeout
        self._bot: Bot | None = None
        self._me: User | None = None
        self._poller: Poller | None = None
        self._on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None
        self._seen = make_seen_updates(self.token, redis_url)  # Redis: across instances
        self._sweep: asyncio.Task[None] | None = None
        self._payloads = CallbackPayloads()
        self._tasks: Set[asyncio.Task[None]] = set()

    @property
    def mode(self) -> str:
        if not self.token:
            return "disabled"
        return "webhook" if self.webhook_url else "polling"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # per-sender limit before the NLU; then one question at a time
        # any failure in Rasa ends in the unavailable reply and a logged question (Failsafe)
        module = inspect.getmodule(self)
        telegram_webhook = Blueprint("telegram_webhook", module.__name__ if module else None)
        failsafe = Failsafe(self.name())
        failsafe.attach(telegram_webhook)
        limited = rate_limited(one_question_at_a_time(failsafe.guard(on_new_message)))
        self._on_new_message = failsafe.guard(limited)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": self.mode})

        @telegram_webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            if await read_body(request, get_settings().max_body_bytes) is None:
                return response.json({"ok": False, "error": "body too large"}, status=413)
            if not self._secret_ok(request.headers.get(SECRET_HEADER)):
                return response.json({"ok": False}, status=403)
            if not self.token:
                return response.json({"ok": False, "error": "not configured"}, status=503)
            update = self._parse(request)
            if update is None:
                return response.json({"ok": False, "error": "not an update"}, status=400)
            await self.accept_claimed(update, request.json)
            return response.json({"ok": True})

        async def on_start(app: Any, loop: Any) -> None:
            await self.start()

        async def on_stop(app: Any, loop: Any) -> None:
            await self.stop()

        async def on_stopped(app: Any, loop: Any) -> None:
            await self.close()
            await limited.limiter.close()  # type: ignore[attr-defined]

        telegram_webhook.listener("before_server_start")(on_start)
        # Drain replies while Rasa's agent is still there; close the HTTP client last.
        telegram_webhook.listener("before_server_stop")(on_stop)
        telegram_webhook.listener("after_server_stop")(on_stopped)
        return telegram_webhook

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        if not self.token:
            logger.info("telegram: no token configured, channel disabled")
            return
        _quiet_httpx()
        bot = self._get_bot()
        self._start_sweep()
        if self.mode == "polling":
            self._poller = Poller(
                bot, self.handle, poll_timeout=self.poll_timeout, drain_timeout=self.drain_timeout
            )
            self._poller.start()
            return
        if not self.secret_token:
            logger.error(
                "telegram: webhook mode without TELEGRAM_SECRET_TOKEN: every call is refused"
            )
        try:
            await self._ready()
        except TelegramError as exc:  # Telegram unreachable now; retried on the first update
            logger.warning("telegram: getMe failed at start (%s)", type(exc).__name__)

    def _start_sweep(self) -> None:
        if isinstance(self._seen, SharedSeenUpdates) and self._sweep is None:
            self._sweep = asyncio.ensure_future(self._sweep_orphans())

    async def _sweep_orphans(self) -> None:
        """Take over the updates an instance claimed and died before answering."""
        assert isinstance(self._seen, SharedSeenUpdates)
        while True:
            await asyncio.sleep(self._seen.claim_seconds)
            try:
                orphans = await self._seen.orphans()
            except Exception as err:  # Redis away: the next sweep tries again
                logger.warning("telegram: sweep for orphaned updates failed (%s)", err)
                continue
            for update_id, update_json in orphans:
                if not await self._seen.claim(update_id, update_json):
                    continue  # another instance's sweep was first
                logger.info("telegram: update %s taken over from an instance that died", update_id)
                try:
                    update = Update.de_json(json.loads(update_json), self._get_bot())
                except Exception:
                    logger.warning("telegram: a pending update could not be read again")
                    await self._seen.answered(update_id)
                    continue
                self._schedule(update, claimed=True)

    async def stop(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        if self._poller is not None:
            await self._poller.stop()
            self._poller = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=self.drain_timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        bot, self._bot = self._bot, None
        if bot is not None:
            await bot.shutdown()
        await self._seen.close()

    @property
    def polling(self) -> bool:
        return self._poller is not None and self._poller.running

    # -- updates ---------------------------------------------------------------------

    def accept(self, update: Update) -> bool:
        """Process ``update`` in the background unless it was seen before."""
        return self._schedule(update) is not None

    async def accept_claimed(self, update: Update, data: Any) -> bool:
        """``accept``, with the update claimed (and kept) in Redis before this returns — before
        the webhook's 200 — so that no instance dying loses it."""
        if not self._seen.add(update.update_id):
            logger.debug("telegram: duplicate update %s ignored", update.update_id)
            return False
        if not await self._seen.claim(update.update_id, json.dumps(data, ensure_ascii=False)):
            logger.debug("telegram: update %s taken by another instance", update.update_id)
            return False
        return self._schedule(update, claimed=True) is not None

    async def handle(self, update: Update) -> None:
        """Process ``update`` and return once it is handled (polling confirms it only then)."""
        task = self._schedule(update)
        if task is not None:
            await asyncio.wait({task})  # not cancelled with the caller: stop() drains it

    def _schedule(self, update: Update, claimed: bool = False) -> asyncio.Task | None:
        if not self._seen.add(update.update_id) and not claimed:
            logger.debug("telegram: duplicate update %s ignored", update.update_id)
            return None
        task = asyncio.create_task(self._process(update, claimed))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _process(self, update: Update, claimed: bool = False) -> None:
        if not claimed and not await self._seen.claim(update.update_id, update.to_json()):
            logger.debug("telegram: update %s taken by another instance", update.update_id)
            return
        heartbeat = self._seen.keep_claim(update.update_id)
        try:
            me = await self._ready()
            incoming = interpret(update, me)
            if incoming is not None:
                await self._handle(incoming, update.update_id)
        except InvalidToken:
            logger.error("telegram: the bot token was rejected (update %s)", update.update_id)
        except Exception:
            logger.exception("telegram: update %s failed", update.update_id)
        finally:  # cancelled (shutdown): not answered, the claim lapses and another takes it
            if heartbeat is not None:
                heartbeat.cancel()
        await self._seen.answered(update.update_id)

    async def _handle(self, incoming: Incoming, update_id: int) -> None:
        bot = self._get_bot()
        text = incoming.text
        if incoming.callback_id is not None:
            payload = self._payloads.decode(text) if incoming.kind == "callback" else None
            await self._answer_callback(
                incoming.callback_id,
                channel_text(EXPIRED_BUTTON_REPLY)
                if incoming.kind == "callback" and payload is None
                else None,
            )
            if payload is None:
                return
            text = payload
        output = TelegramOutput(bot, incoming.chat_id, self._payloads, incoming.reply_to_message_id)
        sender_id, text = protect(self.name(), str(incoming.chat_id), text)
        if incoming.kind == "non_text":
            await output.send_text_message(sender_id, channel_text(NON_TEXT_REPLY))
            return
        if self._on_new_message is None:
            raise RuntimeError("blueprint() was not called")
        await self._on_new_message(
            UserMessage(
                text,
                output,
                sender_id,
                input_channel=self.name(),
                metadata={"channel_message_id": f"{update_id}"},
            )
        )

    async def _answer_callback(self, callback_id: str, text: str | None) -> None:
        try:
            await self._get_bot().answer_callback_query(callback_id, text=text)
        except TelegramError as exc:  # too late (>15 s) or already answered: reply anyway
            logger.warning("telegram: answerCallbackQuery failed: %s", type(exc).__name__)

    # -- helpers ---------------------------------------------------------------------

    def _get_bot(self) -> Bot:
        if self._bot is None:
            if not self.token:
                raise RuntimeError("no Telegram token configured")
            self._bot = Bot(self.token, base_url=self.base_url)
        return self._bot

    async def _ready(self) -> User:
        """The bot's own user (getMe, once); needed to tell whether a group addresses us."""
        if self._me is None:
            bot = self._get_bot()
            await bot.initialize()
            self._me = bot.bot
        return self._me

    def _secret_ok(self, given: str | None) -> bool:
        if not self.secret_token or given is None:
            return False
        return hmac.compare_digest(given.encode(), self.secret_token.encode())

    def _parse(self, request: Request) -> Update | None:
        try:
            data = request.json
        except Exception:  # Sanic raises on a body that is not JSON
            return None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        try:
            return Update.de_json(data, self._get_bot())
        except Exception:
            logger.warning("telegram: update %s could not be parsed", data.get("update_id"))
            return None


def _quiet_httpx() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token."""
    httpx_logger = logging.getLogger("httpx")
    if httpx_logger.level == logging.NOTSET:
        httpx_logger.setLevel(logging.WARNING)
