"""Long polling (getUpdates) for a bot without a public webhook URL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Awaitable, Callable, List

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from channels.telegram.output import retry_after_seconds

logger = logging.getLogger(__name__)

# the updates the assistant handles: polling asks for these, and the webhook is set for them
# (python -m bot telegram set-webhook)
ALLOWED_UPDATES = ["message", "callback_query"]


class Poller:
    """Calls getUpdates in a loop and hands every update to ``handle``.

    deleteWebhook comes first (Telegram refuses getUpdates while a webhook is set).
    The updates of one getUpdates answer are handled concurrently; only when every one
    of them is handled (answered, or failed and logged) does the offset move past them,
    so an update is confirmed to Telegram only after it was handled: if the server stops
    or dies first, Telegram delivers it again (at least once). Network trouble backs off
    up to ``max_backoff`` seconds. ``stop()`` lets the batch in hand finish (up to
    ``drain_timeout``) and confirms it, so a restart does not receive it again.
    """

    def __init__(
        self,
        bot: Bot,
        handle: Callable[[Update], Awaitable[object]],
        poll_timeout: int = 30,
        max_backoff: float = 30.0,
        drain_timeout: float = 10.0,
    ) -> None:
        self._bot = bot
        self._handle = handle
        self._poll_timeout = poll_timeout
        self._max_backoff = max_backoff
        self._drain_timeout = drain_timeout
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._batch: asyncio.Future | None = None
        self._stopping = False

    @property
    def offset(self) -> int | None:
        """The first update id not yet confirmed (None before the first update)."""
        return self._offset

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        batch = self._batch
        if batch is not None and not batch.done():  # let the updates in hand be handled
            await asyncio.wait({batch}, timeout=self._drain_timeout)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self._offset is not None:
            try:
                await self._bot.get_updates(offset=self._offset, timeout=0, limit=1)
            except TelegramError as exc:
                logger.warning(
                    "telegram: could not confirm the last update: %s", type(exc).__name__
                )

    async def _run(self) -> None:
        backoff = 1.0
        ready = False
        while True:
            try:
                if not ready:
                    await self._bot.initialize()
                    await self._bot.delete_webhook()
                    ready = True
                    logger.info("telegram: polling for updates (no webhook URL configured)")
                updates = await self._bot.get_updates(
                    offset=self._offset,
                    timeout=self._poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except InvalidToken:
                # The exception text repeats the token; say only what happened.
                logger.error("telegram: the bot token was rejected; polling stopped")
                return
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except Conflict:
                logger.warning(
                    "telegram: another poller or a webhook is active for this bot; retrying in %ss",
                    backoff,
                )
                backoff = await self._pause(backoff)
                continue
            except TelegramError as exc:
                logger.warning(
                    "telegram: getUpdates failed (%s); retrying in %ss", type(exc).__name__, backoff
                )
                backoff = await self._pause(backoff)
                continue
            backoff = 1.0
            if updates:
                await self._handle_batch(list(updates))
            if self._stopping:
                return

    async def _handle_batch(self, updates: List[Update]) -> None:
        """Handle every update, then (and only then) move the offset past them."""
        batch = asyncio.ensure_future(
            asyncio.gather(*(self._handle_one(u) for u in updates), return_exceptions=True)
        )
        self._batch = batch
        try:
            await asyncio.shield(batch)  # stop() may cancel the poll, never a handling
        finally:
            if batch.done():
                self._batch = None
                self._offset = max(u.update_id for u in updates) + 1

    async def _handle_one(self, update: Update) -> None:
        try:
            await self._handle(update)
        except Exception:  # the handler logs its own failures; never lose the loop
            logger.exception("telegram: update %s failed", update.update_id)

    async def _pause(self, backoff: float) -> float:
        await asyncio.sleep(backoff)
        return min(backoff * 2, self._max_backoff)
