"""Long polling: getUpdates, each update to its chat's queue, confirmed only once handled.

The Bot API confirms updates by the `offset` of the next getUpdates call: every update
below it is dropped. PTB's `Updater` fetches the next batch while the `Application`
still works on the last one (and confirms the rest on shutdown), so updates in flight
when the process dies would be lost. Hence this loop over `Bot.get_updates(offset=...)`,
whose offset never passes an update still in hand. While one is in hand, Telegram
answers getUpdates at once (that update is still pending), so the loop asks again only
every `REFETCH_INTERVAL` or when the last one is done, and skips what it fetched before:
a long update (a round announced to 2,000 people takes over a minute) does not hold back
other people's messages. After a crash Telegram delivers every unconfirmed update again,
and the dispatcher drops what it had already stored (`Inbound.source` is the idempotency
key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import ExtBot

from adapters import kit
from adapters.telegram.pacing import call, retry_after_seconds
from adapters.telegram.translate import ALLOWED_UPDATES, update_chat

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds a getUpdates long poll waits for news
REFETCH_INTERVAL = 0.1  # while updates are in hand, how often to look for other chats' news


class Polling:
    """Updates fetched with getUpdates and handed to `handle` (which retries, and does not
    raise), each chat's in order and chats side by side."""

    def __init__(self, bot: ExtBot[Any], handle: Callable[[Update], Awaitable[object]]) -> None:
        self.bot = bot
        self.handle = handle
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._fetched: int | None = None  # the last update fetched
        self._in_hand: set[int] = set()  # fetched, not yet handled: never confirmed
        self._idle = asyncio.Event()  # set while nothing is in hand
        self._idle.set()
        self._queues = kit.ChatQueues(self._handle_taken, name="telegram-chat")

    async def start(self) -> None:
        # getUpdates answers 409 while a webhook is set; pending updates are kept
        await call(self.bot.delete_webhook, drop_pending_updates=False)
        self._task = asyncio.create_task(self._poll(), name="telegram-poll")

    async def stop(self) -> None:
        """Stop polling; updates in hand are finished (and confirmed) first."""
        self._stopping = True
        if self._task is not None:
            await kit.stop_taking(self._task, in_hand=bool(self._in_hand))
            self._task = None
        await self._queues.join()

    async def _poll(self) -> None:
        """getUpdates; each update to its chat's queue; confirm only what was handled.

        The offset of a getUpdates call confirms every update below it, so it never passes
        an update still in hand: it is the oldest one in hand, or the one after the last
        fetched when none is. With nothing in hand the call long-polls. With updates in hand
        Telegram answers at once (they are still pending), so the loop asks again when the
        last of them is done, or after REFETCH_INTERVAL for the updates of other chats; what
        comes back a second time is skipped.
        """
        failures = 0
        while not self._stopping:
            if self._in_hand:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), REFETCH_INTERVAL)
                if self._stopping:
                    break
            taken = self._fetched if self._in_hand else None  # fetched before: skipped
            try:
                updates = await self.bot.get_updates(
                    offset=self._offset(),
                    timeout=0 if self._in_hand else POLL_TIMEOUT,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                break  # stopped while waiting for news
            except InvalidToken:
                log.error("telegram: the token was revoked; polling stops")
                break
            except TelegramError as error:  # network, 5xx, 429, 409 (another poller)
                failures += 1
                wait = (
                    retry_after_seconds(error)
                    if isinstance(error, RetryAfter)
                    else min(0.25 * 2**failures, 15.0)
                )
                log.warning("telegram: getUpdates failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(wait)
                continue
            failures = 0
            for update in updates:
                if taken is None or update.update_id > taken:
                    self._take(update)
        if self._in_hand:
            log.info("telegram: finishing the updates in hand before stopping")
            await self._idle.wait()
        if self._fetched is not None:  # confirm them so a restart does not fetch them again
            with contextlib.suppress(TelegramError):
                await self.bot.get_updates(offset=self._offset(), timeout=0, limit=1)

    def _offset(self) -> int | None:
        """getUpdates' offset: past every update handled, and no further."""
        if self._in_hand:
            return min(self._in_hand)
        return None if self._fetched is None else self._fetched + 1

    def _take(self, update: Update) -> None:
        """Queue `update` behind the earlier ones of its chat."""
        self._fetched = update.update_id  # they come in order
        self._in_hand.add(update.update_id)
        self._idle.clear()
        self._queues.put(update_chat(update), update)

    async def _handle_taken(self, update: Update) -> None:
        await self.handle(update)
        self._in_hand.discard(update.update_id)
        if not self._in_hand:
            self._idle.set()
