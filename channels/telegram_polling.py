"""Long polling (getUpdates) for a bot without a public webhook URL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Callable

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from channels.telegram_output import retry_after_seconds

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


class Poller:
    """Calls getUpdates in a loop and hands every update to ``accept``.

    deleteWebhook comes first (Telegram refuses getUpdates while a webhook is set);
    the offset confirms what was received; network trouble backs off up to
    ``max_backoff`` seconds. ``stop()`` confirms the last offset so a restart does
    not receive the same updates again.
    """

    def __init__(
        self,
        bot: Bot,
        accept: Callable[[Update], object],
        poll_timeout: int = 30,
        max_backoff: float = 30.0,
    ) -> None:
        self._bot = bot
        self._accept = accept
        self._poll_timeout = poll_timeout
        self._max_backoff = max_backoff
        self._offset: int | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self._offset is not None:
            try:
                await self._bot.get_updates(offset=self._offset, timeout=0, limit=1)
            except TelegramError as exc:
                logger.warning("telegram: could not confirm the last update: %s", type(exc).__name__)

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
                logger.warning("telegram: getUpdates failed (%s); retrying in %ss", type(exc).__name__, backoff)
                backoff = await self._pause(backoff)
                continue
            backoff = 1.0
            for update in updates:
                self._offset = update.update_id + 1
                self._accept(update)

    async def _pause(self, backoff: float) -> float:
        await asyncio.sleep(backoff)
        return min(backoff * 2, self._max_backoff)
