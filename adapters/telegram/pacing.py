"""Sends that keep to Telegram's limits, and calls that outlast its bad moments.

`FloodControl` is PTB's rate limiter slot: Telegram's 30 messages in any second, replies
ahead of announcements, about one a second in a private chat, 20 a minute in a group,
a 429's retry_after waited out. `call` retries a Bot API call on network errors, 5xx and
timeouts, with backoff, for minutes.
Telegram has no idempotency key for sendMessage, so a request that timed out after
Telegram carried it out is sent again: a rare duplicate beats a lost message.

This is how to reach Telegram, not what to say: who is told what, and when, is decided
in `bot/` (the dispatcher's outbox); the only choice made here is that a reply to a
person waiting for it goes ahead of an announcement (`Lane`), while every third slot is
kept for announcements when both wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import heapq
import itertools
import logging
import math
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")

MESSAGES_PER_SECOND = 30  # Telegram's limit for the whole bot, in any second
BURST = 3  # sends that may go at once: a reply, an edit, the next paragraph
# While both wait, a notice gets every third slot: replies 20 a second, announcements 10.
REPLIES_PER_NOTICE = 2
GROUP_MESSAGES_PER_MINUTE = 20  # Telegram's limit in one group
# Telegram's limit in one private chat: about a message a second, short bursts tolerated.
CHAT_MESSAGES_PER_SECOND = 1.0
CHAT_BURST = 3  # a reply, the next paragraph and a notice may go at once
RATE_LIMIT_RETRIES = 5  # 429s the rate limiter waits out before `call` sees one
TOO_LARGE = "Request Entity Too Large"  # Telegram's 413, as PTB words it
SEND_DEADLINE = 300.0  # seconds of retrying a transient failure before giving up on a message


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
        warnings.simplefilter("ignore")
        value: int | float | timedelta = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_transient(error: BaseException) -> bool:
    """Worth trying again: flood control, 5xx, timeouts, dropped connections. Not a file
    over Telegram's size limit: PTB raises its 413 as a NetworkError too."""
    if isinstance(error, RetryAfter):
        return True
    return (
        isinstance(error, NetworkError)
        and not isinstance(error, BadRequest)
        and TOO_LARGE not in str(error)
    )


# ---- pacing -----------------------------------------------------------------------------


def chat_key(value: object) -> int | str | None:
    """A request's `chat_id` as the chat it counts against: a number, or a channel's @name."""
    if isinstance(value, int) or value is None:
        return value
    try:
        return int(str(value))
    except ValueError:
        return str(value)


class Lane(enum.IntEnum):
    """Which send goes first when several wait for a slot (PTB's `rate_limit_args`)."""

    REPLY = 1  # to a person whose message is being handled: they are waiting for it
    NOTICE = 2  # announcements, reminders: a few seconds later is no harm


class _Send:
    """One request through `FloodControl`: when it left, and when its answer came."""

    __slots__ = ("answered", "answered_at", "chat", "chat_was_busy", "started")

    def __init__(self, chat: int | str, started: float, *, chat_was_busy: bool) -> None:
        self.chat = chat
        self.started = started
        self.chat_was_busy = chat_was_busy  # its chat had another message in the last window
        self.answered_at: float | None = None  # by then Telegram had surely counted it
        self.answered = asyncio.Event()


class _ChatPace:
    """One private chat's pace: a bucket of `CHAT_BURST` sends refilled at
    `CHAT_MESSAGES_PER_SECOND`, and never more than `CHAT_BURST` in any window."""

    __slots__ = ("at", "recent", "tokens")

    def __init__(self, now: float) -> None:
        self.tokens = float(CHAT_BURST)
        self.at = now
        self.recent: deque[_Send] = deque(maxlen=CHAT_BURST)

    def wait(self, now: float, window: float) -> float:
        """Seconds until this chat may take another send; 0 takes it now."""
        self.tokens = min(CHAT_BURST, self.tokens + (now - self.at) * CHAT_MESSAGES_PER_SECOND)
        self.at = now
        wait = max(0.0, (1 - self.tokens) / CHAT_MESSAGES_PER_SECOND)
        if len(self.recent) == CHAT_BURST:  # counted by Telegram once answered, as below
            oldest = self.recent[0]
            counted = oldest.answered_at if oldest.answered_at is not None else now
            wait = max(wait, counted + window - now)
        if wait <= 0:
            self.tokens -= 1
        return wait


class FloodControl(BaseRateLimiter[Lane]):
    """PTB's rate limiter slot: never more than Telegram's 30 messages in any second.

    Two rules, both on the event loop's clock, for callers in turn: replies first, then
    the rest, each lane in the order it came (a reply does not wait behind an announcement
    to two thousand people), save that while both wait every third slot goes to a notice
    (an announcement is not held up for as long as its first readers keep writing):

    * **Even pacing.** Sends are spaced `1 / per_second` apart, a slot following the
      previous slot (not the previous send), so a long fan-out runs at the full rate. Up to
      `burst` slots may be spent ahead of time: a reply, an edit and the next paragraph go
      at once, and a reply rarely waits behind another person's.
    * **The window, as Telegram counts it.** A send waits until the send `per_second`
      before it was counted by Telegram more than a second ago, which it surely was by the
      time its answer came back. Timer and network jitter then cost a round trip of pacing
      a second (a few milliseconds near the server, 10% at 100 ms) instead of a 429, which
      holds every send for at least a second.

    A private chat is paced too, as Telegram asks (about a message a second, short bursts
    tolerated): a reply of several messages goes out three at once, then one a second.

    A 429 all the same holds every send for its retry_after, then the request is tried
    again; but when the same chat had another message in the last second, the 429 is that
    chat's limit (about one a second; Telegram lets short bursts through), and only that
    chat waits. Groups get at most 20 a minute each.

    Why not PTB's AIORateLimiter: a leaky bucket, its bursts meet 429s that pause every
    send, and set to pace evenly it loses time on every slow round trip. 300 messages on
    the loopback server with Telegram's limits: AIORateLimiter's defaults 22/s with nine
    429s, paced 28/s; 29 a second paced evenly, 29/s; this, 29.8/s; none with a 429
    (bench/telegram_fanout.py).
    """

    def __init__(
        self,
        per_second: float = MESSAGES_PER_SECOND,
        *,
        window: float = 1.0,  # the span Telegram counts sends over
        burst: int = BURST,
        group_per_minute: int = GROUP_MESSAGES_PER_MINUTE,
        max_retries: int = RATE_LIMIT_RETRIES,
    ) -> None:
        self.per_window = max(1, round(per_second * window))
        self.window = window
        self.interval = window / self.per_window
        self.tolerance = (max(1, burst) - 1) * self.interval
        self.group_per_minute = group_per_minute
        self.max_retries = max_retries
        self._next_slot = -math.inf  # the slot the next send takes, burst aside
        self._hold_until = -math.inf  # after a 429 nothing goes before this
        self._chat_holds: dict[int | str, float] = {}  # after a chat's own 429
        self._last_in_chat: dict[int | str, float] = {}  # when each chat was last sent to
        self._recent: deque[_Send] = deque(maxlen=self.per_window)
        self._busy = False  # a caller is taking its slot; the others wait in `_waiting`
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []  # heap: lane, arrival
        self._arrivals = itertools.count()
        self._replies_in_row = 0  # slots given to replies since the last notice
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._chats: dict[int | str, _ChatPace] = {}  # private chats' own pacing
        self.rate_limited = 0  # 429s Telegram answered (the operator's metrics read it)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _counted_by(self, send: _Send, now: float) -> float | None:
        """When Telegram had surely counted `send`; None while that cannot be told yet."""
        if send.answered_at is not None:
            return send.answered_at
        if now - send.started > self.window:  # no answer yet: count it as counted now
            return now
        return None

    async def _queue(self, lane: Lane) -> None:
        """Wait until it is this caller's turn to take a slot."""
        if not self._busy:
            self._busy = True
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (lane, next(self._arrivals), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._pass_turn()  # it was ours: the next caller's now
            raise

    def _pass_turn(self) -> None:
        while self._waiting:
            lane, _, turn = self._next_waiting()
            if not turn.done():
                self._replies_in_row = self._replies_in_row + 1 if lane == Lane.REPLY else 0
                turn.set_result(None)
                return
        self._busy = False

    def _next_waiting(self) -> tuple[int, int, asyncio.Future[None]]:
        """The first reply waiting, except that after `REPLIES_PER_NOTICE` replies in a
        row a notice waiting goes: a round announced while its first readers already
        write reaches the last ones in a minute or two, not when the writing stops."""
        if self._replies_in_row >= REPLIES_PER_NOTICE and self._waiting[0][0] == Lane.REPLY:
            notices = [item for item in self._waiting if item[0] == Lane.NOTICE]
            if notices:
                first = min(notices)
                self._waiting.remove(first)
                heapq.heapify(self._waiting)
                return first
        return heapq.heappop(self._waiting)

    async def _slot(self, chat_id: int | str, lane: Lane) -> _Send:
        """Wait for this send's turn; returns the record to close when it is answered."""
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = self._groups.setdefault(chat_id, AsyncLimiter(self.group_per_minute, 60))
            await group.acquire()
        loop = asyncio.get_running_loop()
        pace: _ChatPace | None = None
        if isinstance(chat_id, int) and chat_id > 0:
            pace = self._chats.get(chat_id)
            if pace is None:
                pace = self._chats[chat_id] = _ChatPace(loop.time())
            while True:  # the chat's own pace: a wait of a second at most
                wait = pace.wait(loop.time(), self.window)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
        hold = self._chat_holds.get(chat_id)
        if hold is not None:  # this chat had a 429 of its own
            await asyncio.sleep(max(0.0, hold - loop.time()))
            if self._chat_holds.get(chat_id, math.inf) <= loop.time():
                del self._chat_holds[chat_id]
        await self._queue(lane)
        try:
            while True:
                now = loop.time()
                ready = max(self._hold_until, self._next_slot - self.tolerance)
                if len(self._recent) == self.per_window:
                    oldest = self._recent[0]
                    counted = self._counted_by(oldest, now)
                    if counted is None:  # still on its way: wait for its answer
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(
                                oldest.answered.wait(), oldest.started + self.window - now
                            )
                        continue
                    ready = max(ready, counted + self.window)
                if ready <= now:
                    break
                await asyncio.sleep(ready - now)
            self._next_slot = max(self._next_slot, now) + self.interval
            last = self._last_in_chat.get(chat_id, -math.inf)
            send = _Send(chat_id, now, chat_was_busy=now - last < self.window)
            self._recent.append(send)
            self._last_in_chat[chat_id] = now
            if pace is not None:
                pace.recent.append(send)
            if len(self._last_in_chat) > 4 * self.per_window:  # forget the quiet chats
                since = now - self.window
                self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if t > since}
            if len(self._chats) > 4096:  # a chat quiet for CHAT_BURST seconds is back to full
                since = now - CHAT_BURST / CHAT_MESSAGES_PER_SECOND
                self._chats = {c: p for c, p in self._chats.items() if p.at > since}
            return send
        finally:
            self._pass_turn()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = chat_key(data.get("chat_id"))
        lane = rate_limit_args or Lane.NOTICE
        attempt = 0
        while True:
            send = await self._slot(chat_id, lane) if chat_id is not None else None
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.rate_limited += 1
                attempt += 1
                if attempt > self.max_retries:
                    raise
                wait = retry_after_seconds(error) + 0.1
                resume = asyncio.get_running_loop().time() + wait
                if send is not None and send.chat_was_busy:
                    log.info("telegram: flood control in one chat, it waits %.1fs", wait)
                    held = self._chat_holds.get(send.chat, 0.0)
                    self._chat_holds[send.chat] = max(held, resume)
                elif send is not None:
                    log.info("telegram: flood control, every send waits %.1fs", wait)
                    self._hold_until = max(self._hold_until, resume)
                else:
                    await asyncio.sleep(wait)
            finally:
                if send is not None:
                    send.answered_at = asyncio.get_running_loop().time()
                    send.answered.set()


# ---- calls that survive Telegram's bad moments --------------------------------------------


async def call(
    method: Callable[..., Awaitable[T]],
    *args: Any,
    deadline: float = SEND_DEADLINE,
    **kwargs: Any,
) -> T:
    """`method(*args, **kwargs)`, retried on transient failures until `deadline` seconds."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    delay = 0.25
    while True:
        try:
            return await method(*args, **kwargs)
        except TelegramError as error:
            if not is_transient(error):
                raise
            if isinstance(error, RetryAfter):
                wait = retry_after_seconds(error) + 0.1
            else:
                wait, delay = delay, min(delay * 2, 10.0)
            if loop.time() + wait > give_up:
                raise
            log.info("telegram: %s, retrying in %.2fs", type(error).__name__, wait)
            await asyncio.sleep(wait)
