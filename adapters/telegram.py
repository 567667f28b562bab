"""Telegram: Bot API updates in, `Inbound` events out; `Outbound` messages in, Bot API calls out.

python-telegram-bot (PTB) does the HTTP: an `Application` is built only for its `ExtBot`
(request pools, generous timeouts, a rate limiter) and that bot's lifecycle. Policy stays
in `bot/`; this module translates, and keeps two promises about delivery.

**An update is confirmed only after the dispatcher handled it.** The Bot API confirms
updates by the `offset` of the next getUpdates call: every update below it is dropped.
PTB's `Updater` fetches the next batch while the `Application` still works on the last
one (and confirms the rest on shutdown), so updates in flight when the process dies are
lost. Hence our own loop over `Bot.get_updates(offset=...)`: each update goes to its
chat's queue (that chat's updates in order, chats side by side), and the offset never
passes an update still in hand. While one is in hand, Telegram answers getUpdates at once
(that update is still pending), so the loop asks again only every `REFETCH_INTERVAL` or
when the last one is done, and skips what it fetched before: a long update (a round
announced to 2,000 people takes over a minute) does not hold back other people's
messages. After a crash Telegram delivers every unconfirmed update again and the
dispatcher drops what it had already stored (`Inbound.source` is the idempotency key).
In webhook mode the POST is answered after handling, which gives the same promise:
Telegram redelivers until 2xx.

**A message the dispatcher hands over arrives.** `FloodControl` keeps to Telegram's 30
messages in any second, replies ahead of announcements, and waits out a 429's
retry_after; network errors, 5xx and timeouts are retried with backoff for minutes.
Telegram has no idempotency key for sendMessage, so a request that timed out after
Telegram carried it out is sent again: a rare duplicate beats a lost message. A refusal
for good raises `DeliveryError` (`blocked=True` for Forbidden: blocked, kicked, never
started) and nothing else, so one failed message does not stop the rest of a turn.

    Update ── message ─────────> Inbound(text | attachment, reply_to, private, language)
           └─ callback_query ──> Inbound(button=data, reply_to=<message with the keyboard>)
    Outbound ──> sendMessage (HTML, escaped, split < 4096, keyboard / ForceReply on the last)
             ├─> editMessageText (edit_of)     └─> sendDocument (attachment)
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import heapq
import hmac
import html
import itertools
import logging
import math
import re
import warnings
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from aiolimiter import AsyncLimiter
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, ExtBot

from adapters import kit
from bot.app import SetupError
from bot.events import (
    Attachment,
    Capability,
    ChatId,
    Choice,
    DeliveryError,
    Inbound,
    InboundHandler,
    Outbound,
    PlatformId,
    local_part,
    platform_of,
)

if TYPE_CHECKING:
    from aiohttp import web

    from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

PLATFORM = "telegram"
MESSAGE_LIMIT = 4096  # UTF-16 code units of text, after entity parsing
CAPTION_LIMIT = 1024
ALLOWED_UPDATES = ("message", "callback_query")
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)

POLL_TIMEOUT = 25  # seconds a getUpdates long poll waits for news
REFETCH_INTERVAL = 0.1  # while updates are in hand, how often to look for other chats' news
MESSAGES_PER_SECOND = 30  # Telegram's limit for the whole bot, in any second
BURST = 3  # sends that may go at once: a reply, an edit, the next paragraph
GROUP_MESSAGES_PER_MINUTE = 20  # Telegram's limit in one group
RATE_LIMIT_RETRIES = 5  # 429s the rate limiter waits out before `_call` sees one
SEND_DEADLINE = 300.0  # seconds of retrying a transient failure before giving up on a message
ANSWER_DEADLINE = 10.0  # a callback answer later than this is no use to anyone
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


# ---- platform thing in, our thing out ---------------------------------------------------


def chat_ref(chat_id: int) -> ChatId:
    return ChatId(f"{PLATFORM}:{chat_id}")


def person_ref(user_id: int) -> PlatformId:
    return PlatformId(f"{PLATFORM}:{user_id}")


def chat_number(ref: str) -> int | None:
    """Telegram's own id in `telegram:-100123`, or None if it is not one of ours."""
    if platform_of(ref) != PLATFORM:
        return None
    try:
        return int(local_part(ref))
    except (ValueError, IndexError):
        return None


def addressed_to_another_bot(text: str, username: str | None) -> bool:
    """`/cmd@otherbot` in a group is for that bot, not for us."""
    if not text.startswith("/"):
        return False
    head = text.split(maxsplit=1)[0]
    _, at, name = head.partition("@")
    return bool(at) and username is not None and name.lower() != username.lower()


def message_event(
    message: Message, *, bot_id: int | None, attachment: Attachment | None = None
) -> Inbound | None:
    """A person's message as an event, or None when it is not for the bot."""
    user = message.from_user
    if user is None or user.is_bot:
        return None  # channel posts, anonymous admins, other bots
    private = message.chat.type == ChatType.PRIVATE
    text = message.text or message.caption or ""
    if not private and not text.startswith("/"):
        return None  # plain talk in a group is not for the bot (Telegram's privacy mode)
    if not text and attachment is None and message.document is None:
        return None  # stickers, photos, service messages: nothing the bot reads
    reply = message.reply_to_message
    reply_to = None
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        reply_to = str(reply.message_id)
    return Inbound(
        sender=person_ref(user.id),
        chat=chat_ref(message.chat.id),
        message_id=str(message.message_id),
        text=text,
        attachment=attachment,
        private=private,
        display_name=user.full_name or None,
        language=user.language_code,
        reply_to=reply_to,
    )


def button_event(query: CallbackQuery) -> Inbound | None:
    """A pressed inline button as an event; `reply_to` is the message carrying the keyboard."""
    message = query.message
    if message is None or query.data is None:
        return None  # inline-mode messages and games: not ours
    return Inbound(
        sender=person_ref(query.from_user.id),
        chat=chat_ref(message.chat.id),
        message_id=f"cb{query.id}",  # callback query ids are unique, so redeliveries match
        button=query.data,
        private=message.chat.type == ChatType.PRIVATE,
        display_name=query.from_user.full_name or None,
        language=query.from_user.language_code,
        reply_to=str(message.message_id),
    )


def update_chat(update: Update) -> int | None:
    """The chat an update belongs to: its updates are handled in order."""
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat.id
    if update.message is not None:
        return update.message.chat.id
    return None


# ---- our thing in, platform thing out ---------------------------------------------------


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units: at paragraphs, else lines, else words."""
    return kit.split_text(text, limit, utf16_len)


def keyboard(choices: Sequence[Sequence[Choice]]) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(c.label, callback_data=c.data) for c in row] for row in choices]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def menu_commands(commands: Sequence[tuple[str, str]]) -> list[BotCommand]:
    """Telegram's menu: one entry per first word (`round open` and `round close` -> `round`)."""
    families: dict[str, list[tuple[str, str]]] = {}
    for name, help_text in commands:
        first, _, rest = name.strip().lower().partition(" ")
        if COMMAND_NAME.match(first):
            families.setdefault(first, []).append((rest.strip(), help_text))
    menu = []
    for name, members in families.items():
        if len(members) == 1 and not members[0][0]:
            description = members[0][1]
        else:  # a family: name its subcommands
            description = ", ".join(sub or name for sub, _ in members)
        menu.append(BotCommand(name, (description.strip() or name)[:256]))
    return menu[:100]


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
        warnings.simplefilter("ignore")
        value: int | float | timedelta = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_transient(error: BaseException) -> bool:
    """Worth trying again: flood control, 5xx, timeouts, dropped connections."""
    if isinstance(error, RetryAfter):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


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


class FloodControl(BaseRateLimiter[Lane]):
    """PTB's rate limiter slot: never more than Telegram's 30 messages in any second.

    Two rules, both on the event loop's clock, for callers in turn: replies first, then
    the rest, each lane in the order it came (a reply does not wait behind an announcement
    to two thousand people):

    * **Even pacing.** Sends are spaced `1 / per_second` apart, a slot following the
      previous slot (not the previous send), so a long fan-out runs at the full rate. Up to
      `burst` slots may be spent ahead of time: a reply, an edit and the next paragraph go
      at once, and a reply rarely waits behind another person's.
    * **The window, as Telegram counts it.** A send waits until the send `per_second`
      before it was counted by Telegram more than a second ago, which it surely was by the
      time its answer came back. Timer and network jitter then cost a round trip of pacing
      a second (a few milliseconds near the server, 10% at 100 ms) instead of a 429, which
      holds every send for at least a second.

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
        self._groups: dict[int | str, AsyncLimiter] = {}

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
            *_, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self._busy = False

    async def _slot(self, chat_id: int | str, lane: Lane) -> _Send:
        """Wait for this send's turn; returns the record to close when it is answered."""
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = self._groups.setdefault(chat_id, AsyncLimiter(self.group_per_minute, 60))
            await group.acquire()
        loop = asyncio.get_running_loop()
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
            if len(self._last_in_chat) > 4 * self.per_window:  # forget the quiet chats
                since = now - self.window
                self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if t > since}
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


# ---- the adapter ------------------------------------------------------------------------


class TelegramAdapter:
    platform = PLATFORM
    capabilities = Capability.BUTTONS | Capability.EDITS | Capability.FILES
    command_prefix = "/"

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_listen: str = "127.0.0.1",
        webhook_port: int = 8443,
        max_file_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        self.application = application
        self.bot: ExtBot[Any] = application.bot
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhook_listen = webhook_listen
        self.webhook_port = webhook_port
        self.max_file_bytes = max_file_bytes
        self.username: str | None = None
        self.bot_id: int | None = None
        self.handler: InboundHandler | None = None
        self._stopping = False
        self._poll_task: asyncio.Task[None] | None = None
        self._fetched: int | None = None  # the last update fetched
        self._in_hand: set[int] = set()  # fetched, not yet handled: never confirmed
        self._idle = asyncio.Event()  # set while nothing is in hand
        self._idle.set()
        self._queues = kit.ChatQueues(self._handle_taken, name="telegram-chat")
        self._answering: Counter[int] = Counter()  # chats whose updates are being handled
        self._web: web.AppRunner | None = None

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self, handler: InboundHandler) -> None:
        self.handler = handler
        self._stopping = False
        try:
            await self._call(self.application.initialize)
        except InvalidToken:  # its message carries the token: do not repeat it
            raise SetupError(
                "the Bot API server rejected the token: check CONSULTBOT_TELEGRAM_TOKEN"
            ) from None
        self.username = self.bot.username
        self.bot_id = self.bot.id
        if self.webhook_url:
            await self._start_webhook()
        else:
            # getUpdates answers 409 while a webhook is set; pending updates are kept
            await self._call(self.bot.delete_webhook, drop_pending_updates=False)
            self._poll_task = asyncio.create_task(self._poll(), name="telegram-poll")
        log.info(
            "telegram adapter running as @%s (%s)",
            self.username,
            "webhook" if self.webhook_url else "long polling",
        )

    async def stop(self) -> None:
        """Stop polling; updates in hand are finished (and confirmed) first."""
        self._stopping = True
        if self._poll_task is not None:
            if not self._in_hand:  # waiting for news: nothing of ours in flight
                self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task
            self._poll_task = None
        await self._queues.join()
        if self._web is not None:
            # The webhook stays set: other workers may still be serving it.
            await self._web.cleanup()
            self._web = None
        await self.application.shutdown()

    # ---- updates in -----------------------------------------------------------------------

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
        await self.handle_reliably(update)
        self._in_hand.discard(update.update_id)
        if not self._in_hand:
            self._idle.set()

    async def handle_reliably(self, update: Update) -> bool:
        """Handle one update, trying again on failure; False if it was given up."""
        chat = update_chat(update)
        if chat is None:
            return await self._handle_reliably(update)
        self._answering[chat] += 1  # what goes to this chat meanwhile is a reply
        try:
            return await self._handle_reliably(update)
        finally:
            self._answering[chat] -= 1
            if not self._answering[chat]:
                del self._answering[chat]

    async def _handle_reliably(self, update: Update) -> bool:
        return await kit.handle_with_retry(
            lambda: self.handle_update(update), f"telegram: update {update.update_id}"
        )

    async def handle_update(self, update: Update) -> None:
        """Translate one update and hand it to the dispatcher; raises if handling failed."""
        assert self.handler is not None, "start the adapter first"
        if update.callback_query is not None:
            await self._on_button(update.callback_query)
        elif update.message is not None:
            await self._on_message(update.message)

    async def _on_message(self, message: Message) -> None:
        if addressed_to_another_bot(message.text or message.caption or "", self.username):
            return
        event = message_event(message, bot_id=self.bot_id)
        if event is None or self.handler is None:
            return
        if message.document is not None and event.private:
            attachment = await self._download(message, event)
            if attachment is None:
                return
            event = replace(event, attachment=attachment)
        await self.handler(event)

    async def _on_button(self, query: CallbackQuery) -> None:
        # Answered alongside the handling: the person's spinner stops as the edit arrives.
        answer = asyncio.create_task(self._answer(query))
        try:
            event = button_event(query)
            if event is not None and self.handler is not None:
                await self.handler(event)
        finally:
            await answer

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await self._call(self.bot.answer_callback_query, query.id, deadline=ANSWER_DEADLINE)
        except TelegramError as error:  # already answered (a redelivery), or too old
            log.debug("telegram: callback answer failed (%s)", type(error).__name__)

    async def _download(self, message: Message, event: Inbound) -> Attachment | None:
        """The document's bytes via getFile; None after telling the person it is too big."""
        document = message.document
        assert document is not None

        async def download() -> bytes:
            file = await self._call(self.bot.get_file, document.file_id)
            return bytes(await self._call(file.download_as_bytearray))

        data = await kit.take_file(
            download,
            announced=document.file_size,
            limit=self.max_file_bytes,
            send=self.send,
            chat=event.chat,
            language=event.language,
        )
        if data is None:
            return None
        return Attachment(
            filename=document.file_name or "document",
            data=data,
            media_type=document.mime_type or "application/octet-stream",
        )

    # ---- webhook ----------------------------------------------------------------------

    async def _start_webhook(self) -> None:
        """Serve Telegram's POSTs; each is answered only after the update was handled."""
        from aiohttp import web  # installed with matrix-nio; only webhook mode needs it

        assert self.webhook_url is not None
        path = urlsplit(self.webhook_url).path or "/"
        app = web.Application()
        app.router.add_post(path, self._on_webhook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.webhook_listen, self.webhook_port).start()
        self._web = runner
        await self._call(
            self.bot.set_webhook,
            url=self.webhook_url,
            secret_token=self.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def _on_webhook(self, request: web.Request) -> web.Response:
        from aiohttp import web

        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_secret or not hmac.compare_digest(
            given.encode(), self.webhook_secret.encode()
        ):
            log.warning("telegram: webhook request without the right secret token refused")
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await self.handle_reliably(update)
        # 200 even after giving up: a poison update would otherwise block every later one.
        return web.Response(status=200)

    # ---- our messages out ---------------------------------------------------------------

    async def send(self, message: Outbound) -> str | None:
        """Send (or edit) `message`; the id returned is that of its last part."""
        chat_id = chat_number(message.chat)
        if chat_id is None:
            raise DeliveryError(message.chat, "not a Telegram chat")
        lane = Lane.REPLY if chat_id in self._answering else Lane.NOTICE
        try:
            if message.edit_of is not None:
                return await self._edit(chat_id, message, lane)
            if message.attachment is not None:
                return await self._send_document(chat_id, message, lane)
            return await self._send_texts(chat_id, split_text(message.text), message, lane)
        except Forbidden as error:
            raise DeliveryError(message.chat, str(error), blocked=True) from None
        except TelegramError as error:
            raise DeliveryError(message.chat, str(error)) from None

    def _markup(self, message: Outbound) -> InlineKeyboardMarkup | ForceReply | None:
        markup = keyboard(message.choices)
        if markup is None and message.expects_reply:
            return ForceReply()
        return markup

    async def _send_texts(
        self,
        chat_id: int,
        parts: list[str],
        message: Outbound,
        lane: Lane,
        *,
        markup_last: bool = True,
    ) -> str | None:
        sent_id: str | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            sent = await self._call(
                self.bot.send_message,
                chat_id=chat_id,
                text=html.escape(part, quote=False),
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=self._markup(message) if last and markup_last else None,
                rate_limit_args=lane,
            )
            sent_id = str(sent.message_id)
        return sent_id

    async def _edit(self, chat_id: int, message: Outbound, lane: Lane) -> str | None:
        assert message.edit_of is not None
        parts = split_text(message.text) or ["…"]
        markup = keyboard(message.choices) if len(parts) == 1 else None
        try:
            await self._call(
                self.bot.edit_message_text,
                text=html.escape(parts[0], quote=False),
                chat_id=chat_id,
                message_id=int(message.edit_of),
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup,
                rate_limit_args=lane,
            )
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return message.edit_of
            # Too old or gone: say it as a new message instead.
            return await self._send_texts(chat_id, parts, message, lane)
        if len(parts) > 1:
            return await self._send_texts(chat_id, parts[1:], message, lane)
        return message.edit_of

    async def _send_document(self, chat_id: int, message: Outbound, lane: Lane) -> str | None:
        assert message.attachment is not None
        text = message.text.strip()
        caption = text if text and utf16_len(text) <= CAPTION_LIMIT else None
        if text and caption is None:  # too long for a caption: the text goes first
            await self._send_texts(chat_id, split_text(text), message, lane, markup_last=False)
        sent = await self._call(
            self.bot.send_document,
            chat_id=chat_id,
            document=message.attachment.data,
            filename=message.attachment.filename,
            caption=html.escape(caption, quote=False) if caption else None,
            parse_mode=ParseMode.HTML if caption else None,
            reply_markup=self._markup(message),
            rate_limit_args=lane,
        )
        return str(sent.message_id)

    # ---- the rest of the protocol --------------------------------------------------------

    def private_chat(self, person: PlatformId) -> ChatId | None:
        """A person's private chat with the bot has the person's own id."""
        number = chat_number(person)
        return chat_ref(number) if number is not None else None

    def invite_link(self, code: str) -> str | None:
        if self.username is None:
            return None
        return f"https://t.me/{self.username}?start={code}"

    async def set_menu(self, chat: ChatId, commands: list[tuple[str, str]]) -> None:
        """The person's menu in their private chat; groups keep the default (it would show
        one member's role to all)."""
        chat_id = chat_number(chat)
        if chat_id is None or chat_id < 0:
            return
        try:
            await self._call(
                self.bot.set_my_commands,
                menu_commands(commands),
                scope=BotCommandScopeChat(chat_id),
            )
        except TelegramError as error:
            log.warning("telegram: setMyCommands failed: %s", error)

    # ---- calls that survive Telegram's bad moments ----------------------------------------

    async def _call(
        self,
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


def build_application(
    token: str, api_url: str = "https://api.telegram.org", *, local: bool = False
) -> Application[Any, Any, Any, Any, Any, Any]:
    """PTB's Application for `token` at `api_url`, with rate limiter and timeouts; no Updater.

    `local`: the Bot API server runs here with --local, and files are read from its disk.
    """
    api_url = api_url.rstrip("/")
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .local_mode(local)
        .rate_limiter(FloodControl())
        .connect_timeout(10)
        .read_timeout(30)
        .write_timeout(30)
        .media_write_timeout(120)
        .pool_timeout(30)
        .get_updates_read_timeout(10)  # PTB adds the long poll's own timeout to this
        .updater(None)
        .build()
    )


def create(settings: Settings) -> TelegramAdapter | None:
    """The adapter the settings ask for, or None when no token is configured."""
    if settings.telegram_token is None:
        return None
    secret = settings.telegram_webhook_secret
    return TelegramAdapter(
        build_application(
            settings.telegram_token.get_secret_value(),
            settings.telegram_api_url,
            local=settings.telegram_api_local,
        ),
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=secret.get_secret_value() if secret is not None else None,
        webhook_listen=settings.telegram_webhook_listen,
        webhook_port=settings.telegram_webhook_port,
        max_file_bytes=settings.telegram_max_file_bytes,
    )
