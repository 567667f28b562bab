"""What every platform adapter needs the same way, written once.

* `split_text`: a long text in parts that each fit one platform message, cut where a
  reader would (paragraphs, else lines, else words, else characters). Each platform
  brings its own measure and limit: Telegram counts UTF-16 units, Matrix bytes of the event.
  `split_styled` cuts styled text at the same places, each part keeping its marks.
* `handle_with_retry`: an event handed to the dispatcher, tried again when handling
  fails (a database that blinked). Adapters confirm an event to their platform only
  once this returned (handled, or given up and logged after `HANDLE_ATTEMPTS`), never
  while it is in hand: a crash before then brings the event again.
* `ChatQueues`: one chat's events handled in order, chats side by side.
* `stop_taking`: a loop that takes events in (a long poll, a sync) stopped between
  batches, never in the middle of one.
* `ChosenByCommand`: the entry point of an adapter that no settings ask for.
* `refuse`, `take_file`: what an adapter refuses by itself (a file over its size limit),
  said in the person's language with the catalog's words (`bot.events.refusal_text`).

These are mechanics, not policy: what to say and to whom is decided in `bot/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from bot.events import Adapter, ChatId, DeliveryError, Outbound, Refusal, Styled, refusal_text
from bot.settings import NoSettings, Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
A = TypeVar("A", bound=Adapter)
Measure = Callable[[str], int]
Send = Callable[[Outbound], Awaitable[object]]  # an adapter's `send`

HANDLE_ATTEMPTS = 3  # an event whose handling keeps failing is given up (and logged) after these
RETRY_PAUSE = 0.5  # seconds before the second attempt; twice that before the third

SEPARATORS = ("\n\n", "\n", " ")  # where a text is cut, best first


def split_text(text: str, limit: int, measure: Measure) -> list[str]:
    """`text` in parts of at most `limit` by `measure`, each stripped, none blank.

    `measure` must add up: the measure of two strings joined is the sum of theirs (a
    count of units or bytes, character by character), so a part is measured as it grows.
    """
    text = text.strip()
    if measure(text) <= limit:
        return [text] if text else []
    for separator in SEPARATORS:
        pieces = text.split(separator)
        if len(pieces) > 1:
            return _pack(pieces, separator, limit, measure)
    return _cut(text, limit, measure)


def split_styled(styled: Styled, limit: int, measure: Measure) -> list[Styled]:
    """`styled` in parts cut where `split_text` cuts its characters, marks kept."""
    text = styled.text
    parts = []
    position = 0
    for part in split_text(text, limit, measure):
        start = text.index(part, position)  # each part is a stretch of the text, stripped
        position = start + len(part)
        parts.append(styled.slice(start, position))
    return parts


def _pack(pieces: Sequence[str], separator: str, limit: int, measure: Measure) -> list[str]:
    """Pieces joined by `separator` into parts as long as the limit allows; a piece too
    long on its own is cut finer."""
    gap = measure(separator)
    parts: list[str] = []
    current, size = "", 0
    for piece in pieces:
        piece_size = measure(piece)
        if current and size + gap + piece_size <= limit:
            current, size = f"{current}{separator}{piece}", size + gap + piece_size
            continue
        if current:
            parts.append(current)
        current, size = piece, piece_size
        if piece_size > limit:
            *whole, current = split_text(piece, limit, measure) or [""]
            parts.extend(whole)
            size = measure(current)
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _cut(text: str, limit: int, measure: Measure) -> list[str]:
    """One unbroken word longer than the limit (or a run of other white space), cut
    between characters."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        units = measure(char)
        if current and size + units > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += units
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


# ---- events in ------------------------------------------------------------------------


async def handle_with_retry(
    handle: Callable[[], Awaitable[object]], what: str, *, attempts: int = HANDLE_ATTEMPTS
) -> bool:
    """`handle()`, tried again on failure; False once it was given up.

    A failed attempt left nothing behind (the dispatcher stores an event and its answers
    in one transaction), and an attempt that did store it is dropped as a redelivery, so
    trying again is safe. `what` names the event in the log: never its text.
    """
    for attempt in range(1, attempts + 1):
        try:
            await handle()
            return True
        except Exception as error:
            last = attempt == attempts
            # The type only: database errors can quote what people wrote.
            log.log(
                logging.ERROR if last else logging.WARNING,
                "%s failed (%s), attempt %d of %d%s",
                what,
                type(error).__name__,
                attempt,
                attempts,
                "; dropped" if last else "",
            )
            log.debug("%s: failure", what, exc_info=True)
            if not last:
                await asyncio.sleep(RETRY_PAUSE * attempt)
    return False


class ChatQueues(Generic[T]):
    """Events handled in order within each chat, chats side by side.

    `put` queues an event behind the earlier ones of its chat. Each chat with events
    waiting has one worker task, which hands them to `handle` one at a time and leaves
    when its queue is empty; an event leaves its queue once `handle` returned.
    `handle` is expected not to raise (`handle_with_retry` gives up with a log line).
    """

    def __init__(self, handle: Callable[[T], Awaitable[object]], *, name: str) -> None:
        self._handle = handle
        self._name = name  # of the worker tasks
        self._chats: dict[Hashable, deque[T]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    def put(self, chat: Hashable, event: T) -> None:
        queue = self._chats.get(chat)
        if queue is not None:
            queue.append(event)
            return
        self._chats[chat] = queue = deque([event])
        worker = asyncio.create_task(self._work(chat, queue), name=self._name)
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _work(self, chat: Hashable, queue: deque[T]) -> None:
        try:
            while queue:
                await self._handle(queue[0])
                queue.popleft()
        finally:
            del self._chats[chat]

    async def join(self) -> None:
        """Wait until every event put so far was handled. Cancelled, it cancels the
        workers too: what they had not finished is left unconfirmed, to come again."""
        while self._workers:
            await asyncio.gather(*self._workers, return_exceptions=True)


class KeyedLocks:
    """One holder at a time for each key, served in the order they asked; keys side by
    side. A key's lock lives while someone holds it or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


async def stop_taking(
    loop: asyncio.Task[None], *, in_hand: bool, within: float | None = None
) -> None:
    """Stop `loop`, a task that takes events in and has been told to stop after its batch.

    Waiting for news, it has nothing of ours in flight and is cancelled; with events in
    hand it is awaited until they were handled (and confirmed), for `within` seconds at
    most (then cancelled: what was not confirmed comes again after the restart).
    """
    if not in_hand:
        loop.cancel()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(loop, within)


# ---- refusals -------------------------------------------------------------------------


async def refuse(
    send: Send, chat: ChatId, refusal: Refusal, language: str | None, **values: object
) -> None:
    """Tell the person why what they sent goes no further (best effort: a chat that cannot
    be written to has nobody to tell)."""
    with contextlib.suppress(DeliveryError):
        await send(Outbound(chat=chat, text=refusal_text(refusal, language, **values)))


async def take_file(
    download: Callable[[], Awaitable[bytes | None]],
    *,
    announced: int | None,
    limit: int,
    send: Send,
    chat: ChatId,
    language: str | None,
) -> bytes | None:
    """The bytes of a file a person sent to `chat`, or None.

    A file over `limit` bytes is not taken: not downloaded when its announced size says
    so, dropped when what came is larger (no size was announced, or a wrong one), and
    the person is told so in their language.
    """
    if announced is None or announced <= limit:
        data = await download()
        if data is None or len(data) <= limit:
            return data
    megabytes = f"{limit / 1_000_000:.0f}"
    await refuse(send, chat, Refusal.FILE_TOO_LARGE, language, megabytes=megabytes)
    return None


# ---- entry points ------------------------------------------------------------------------


class ChosenByCommand(Generic[A]):
    """The entry point (`bot.app.Platform`) of an adapter that a command picks itself and
    no settings ask for: the console (`consultbot chat`), the in-memory one (the demo)."""

    settings = NoSettings
    enable = ""
    command_prefix = "/"

    def __init__(self, make: Callable[[], A]) -> None:
        self.make = make

    def configured(self, settings: NoSettings) -> bool:
        return False

    def create(self, core: Settings, settings: NoSettings) -> A:
        return self.make()

    async def check(self, core: Settings, settings: NoSettings) -> list[str]:
        return []  # nothing to reach
