"""One dispatcher for every adapter: event in, turn handled in one transaction, replies out.

    adapter ──Inbound──> Dispatcher.handle
                           │  (per-chat lock: one person's messages are handled in order)
                           ├─ group commit → thread: transaction {
                           │      claim · who wrote · route (bot/router.py) ·
                           │      notices into the outbox (the courier, bot/outbox.py) }
                           ├─ send replies to the chat
                           └─ then notices to other people (in the background if many)

An event already handled (a redelivery) is dropped. A refusal or a person's error rolls
back everything the handler did and answers with the catalog's text. Messages are sent
only after the commit, so an acknowledgement always means the input is stored; messages
to others stay in the outbox until delivered. What an event asks for, and who may ask
it, is the router's business (bot/router.py, bot/permissions.py); this module keeps the
order of each chat, the transactions and their retries.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot import router
from bot.catalog import Catalog
from bot.commit import GroupCommit
from bot.events import (
    Adapter,
    Capability,
    ChatId,
    Inbound,
    MessageId,
    Outbound,
    PlatformId,
    platform_of,
)
from bot.handlers import language
from bot.isolation import parse_isolated
from bot.metrics import Metrics
from bot.outbox import Courier, Delivery
from bot.summary_options import SummaryOptions
from bot.turn import INPUT_PER_MINUTE, Refusal, Turn
from consultations.document import Document
from consultations.errors import ConsultationError
from storage.events import EVENT_WINDOW
from storage.records import Records, Store
from storage.unit_of_work import AlreadyHandled, Duplicate

log = logging.getLogger(__name__)


class Unguarded(Exception):
    """A refusal came after the turn had written: redo the event with a savepoint."""


Clock = Callable[[], datetime]
ATTEMPTS = 3  # a turn that conflicts with a concurrent writer is tried again this often
SYSTEM = PlatformId("system:scheduler")
STOP_GRACE = timedelta(seconds=10)  # how long a stopping bot lets announcements go on


READERS = 2  # Word files read at once, each in a child process of its own


def utc_now() -> datetime:
    return datetime.now(UTC)


def is_word_file(event: Inbound) -> bool:
    attachment = event.attachment
    return attachment is not None and attachment.filename.lower().endswith(".docx")


def read_word_file(event: Inbound) -> Document | ConsultationError:
    """The Word draft the event carries, read in a child process, or why it cannot be."""
    assert event.attachment is not None
    try:
        return parse_isolated(event.attachment.filename, event.attachment.data)
    except ConsultationError as error:
        return error


@dataclass
class Outcome:
    """What one handled event asks to be sent."""

    messages: list[tuple[Adapter, Outbound]] = field(default_factory=list)  # to the sender
    notices: list[Delivery] = field(default_factory=list)  # to others, in the outbox
    duplicate: bool = False
    # The person's command menu changed (joined, new role, switched consultation).
    menu: tuple[Adapter, ChatId, list[tuple[str, str]]] | None = None
    schedule_changed: bool = False


class Dispatcher:
    """Serves every adapter: each event as one turn in a transaction, then its messages."""

    def __init__(
        self,
        store: Store,
        *,
        catalog: Catalog | None = None,
        admins: Iterable[str] = (),
        clock: Clock = utc_now,
        summary_options: SummaryOptions | None = None,
        metrics: Metrics | None = None,
        input_per_minute: int = INPUT_PER_MINUTE,
        served_elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.input_per_minute = input_per_minute
        self.metrics = metrics or Metrics()
        self.summary_options = summary_options
        self.catalog = catalog or Catalog()
        self.admins = frozenset(admins)
        self.clock = clock
        self.adapters: dict[str, Adapter] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.courier = Courier(
            store, self.adapters, self.catalog, clock, self.metrics, served_elsewhere or {}
        )
        # Events waiting while a transaction is written go together into the next one.
        # SQLite has one writer at a time anyway; PostgreSQL may write a few batches at
        # once, so one slow command (a summary, an export) does not hold up the rest.
        self._writer = GroupCommit(self.process_batch, writers=store.writers)
        # Word files read ahead of their turn (`bot/isolation.py`), by event, and how many
        # child processes may read at once.
        self._drafts: dict[str, Document | ConsultationError] = {}
        self._reading = asyncio.Semaphore(READERS)
        # Called after a turn that changed a round's times or state (the scheduler re-plans).
        self.on_schedule_change: Callable[[], Awaitable[None]] | None = None

    def add(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter

    async def start(self) -> None:
        for adapter in self.adapters.values():
            await adapter.start(self.handle)

    async def stop(self) -> None:
        """Let announcements under way finish for a while (the outbox keeps the rest for
        the next start), then stop the adapters."""
        await self.courier.stop(STOP_GRACE)
        for adapter in self.adapters.values():
            await adapter.stop()

    async def idle(self) -> None:
        """Wait until the announcements going out in the background are out."""
        await self.courier.idle()

    # ---- inbound --------------------------------------------------------------------

    async def handle(self, event: Inbound) -> None:
        """Handle one event from any adapter; safe to call concurrently."""
        arrived = time.perf_counter()
        platform = platform_of(event.chat)
        self.metrics.messages_in.labels(platform).inc()
        lock = self._locks.get(event.chat)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[event.chat] = lock
        async with lock:
            started = time.perf_counter()
            if is_word_file(event):  # read before its turn, so the writer never waits on it
                async with self._reading:
                    self._drafts[event.source] = await asyncio.to_thread(read_word_file, event)
            try:
                outcome = await self._writer.submit(event)
            finally:
                self._drafts.pop(event.source, None)
            await self.courier.deliver(outcome.messages)
            if outcome.messages:
                self.metrics.reply_seconds.labels(platform).observe(time.perf_counter() - arrived)
            if outcome.menu is not None:
                adapter, chat, commands = outcome.menu
                await adapter.set_menu(chat, commands)
            if outcome.schedule_changed and self.on_schedule_change is not None:
                await self.on_schedule_change()
            log.debug(
                "event handled platform=%s duplicate=%s messages=%d ms=%.1f",
                platform_of(event.chat),
                outcome.duplicate,
                len(outcome.messages),
                1000 * (time.perf_counter() - started),
            )
        await self.courier.announce(outcome.notices)  # other chats: this one may go on meanwhile

    def process_batch(self, events: Sequence[Inbound]) -> list[Outcome]:
        """Events from different chats, handled one after another in one transaction.

        All are claimed in one statement first; a redelivered one is then dropped. Any
        failure rolls the whole batch back, and every event of it is then done alone, with
        the retries and the error reply of `process_alone`. Only events from different
        chats meet in a batch (`handle` holds each chat's lock).
        """
        if len(events) == 1:
            return [self.process_alone(events[0])]
        try:
            with self.store.transaction() as batch:
                claimed = batch.events.claim_all([event.source for event in events], self.clock())
                batch.people.read_ahead(event.sender for event in events if event.source in claimed)
                return [
                    self._process(batch.sibling(), event)
                    if event.source in claimed
                    else Outcome(duplicate=True)
                    for event in events
                ]
        except Unguarded:
            log.debug("batch of %d events rolled back for a savepoint", len(events))
        except Exception:
            log.info("batch of %d events rolled back; handling each alone", len(events))
            log.debug("batch failure", exc_info=True)
        return [self.process_alone(event) for event in events]

    def process_alone(self, event: Inbound) -> Outcome:
        """`process`, with a bug answered by an apology instead of silence."""
        try:
            return self.process(event)
        except Exception as error:  # a bug must not mean silence: say so, keep serving
            log.error(
                "event failed platform=%s error=%s", platform_of(event.chat), type(error).__name__
            )
            log.debug("event failure", exc_info=True)
            return self._failed(event)

    def process(self, event: Inbound) -> Outcome:
        """Everything but sending, in one transaction (runs in a worker thread)."""
        guarded = False
        attempt = 1
        while True:
            try:
                with self.store.transaction() as records:
                    records.events.claim(event.source, self.clock())
                    records.people.read_ahead([event.sender])
                    return self._process(records, event, guarded=guarded)
            except AlreadyHandled:
                return Outcome(duplicate=True)
            except Unguarded:
                guarded = True
            except Duplicate:
                # Another worker committed something this turn conflicts with (the same
                # amendment decided, the same person created, or a deadlock between the two):
                # do the turn again on top of it.
                if attempt == ATTEMPTS:
                    raise
                attempt += 1

    def _process(self, records: Records, event: Inbound, *, guarded: bool = False) -> Outcome:
        """The turn for a claimed event: who, what they asked, what to send."""
        adapter = self.adapters.get(platform_of(event.chat))
        if adapter is None:
            raise LookupError(f"no adapter for platform {platform_of(event.chat)!r}")
        turn = self._turn(records, event, adapter)
        self._route(records, turn, guarded=guarded)
        messages = [(adapter, router.number_choices(turn, m)) for m in turn.replies]
        menu = (adapter, turn.chat, router.menu(turn)) if turn.menu_changed else None
        return Outcome(
            messages,
            self.courier.queue(records, turn),
            menu=menu,
            schedule_changed=turn.schedule_changed,
        )

    def _failed(self, event: Inbound) -> Outcome:
        adapter = self.adapters.get(platform_of(event.chat))
        if adapter is None:
            return Outcome()
        text = self.catalog.text("internal_error", event.language)
        return Outcome([(adapter, Outbound(chat=event.chat, text=text))])

    # ---- outbound (bot/outbox.py) -------------------------------------------------------

    async def deliver(self, messages: list[tuple[Adapter, Outbound]]) -> None:
        """Send a turn's replies, in order (they go to the chat it came from)."""
        await self.courier.deliver(messages)

    async def resend(self) -> int:
        """Send what stayed in the outbox (see `Courier.resend`); returns how many it tried."""
        return await self.courier.resend()

    def prune_events(self) -> int:
        """Forget handled events no platform would deliver again; returns how many."""
        with self.store.transaction() as records:
            return records.events.prune(self.clock() - EVENT_WINDOW)

    # ---- jobs (the scheduler) ----------------------------------------------------------

    async def run_job(self, job: Callable[[Turn], None]) -> None:
        """Run `job` as the system in one transaction, then send what it asked to send."""
        outcome = await asyncio.to_thread(self._process_job, job)
        await self.courier.announce(outcome.notices)

    def _process_job(self, job: Callable[[Turn], None]) -> Outcome:
        try:
            with self.store.transaction() as records:
                turn = Turn(
                    records=records,
                    event=Inbound(sender=SYSTEM, chat=ChatId(SYSTEM), message_id=MessageId("job")),
                    sender=records.people.sender_for(
                        SYSTEM, display_name="consultbot", language=None
                    ),
                    now=self.clock(),
                    catalog=self.catalog,
                    capabilities=Capability.NONE,
                    admin=True,
                    summary_options=self.summary_options,
                )
                job(turn)
                return Outcome(notices=self.courier.queue(records, turn))  # replies go nowhere
        except (Refusal, ConsultationError, Duplicate) as error:
            log.warning("scheduled job did nothing: %s", type(error).__name__)
            return Outcome()

    def _turn(self, records: Records, event: Inbound, adapter: Adapter) -> Turn:
        sender = records.people.sender_for(
            event.sender, display_name=event.display_name, language=event.language
        )
        if event.private:
            records.people.note_dm_chat(sender, event.chat)

        def links(code: str) -> list[str]:
            return [link for a in self.adapters.values() if (link := a.invite_link(code))]

        turn = Turn(
            records=records,
            event=event,
            sender=sender,
            now=self.clock(),
            catalog=self.catalog,
            capabilities=adapter.capabilities,
            admin=event.sender in self.admins,
            command_prefix=adapter.command_prefix,
            invite_links=links,
            summary_options=self.summary_options,
            input_per_minute=self.input_per_minute,
            draft_file=self._drafts.get(event.source),
        )
        language.follow_platform(turn, event.language)  # unless they chose one
        return turn

    def _route(self, records: Records, turn: Turn, *, guarded: bool) -> None:
        """Find what the event asks for and run it; a refusal undoes what it wrote.

        Most refusals come before the handler writes anything, so the turn runs without
        a savepoint (two statements, a fifth of a comment's cost): a refusal that finds
        nothing written just answers. One that comes after a write raises `Unguarded`,
        and the event is done again, `guarded`, inside a savepoint it can roll back to.
        """
        if guarded:
            try:
                with records.savepoint():
                    router.route(turn)
            except router.REFUSALS as error:
                self._refused(turn, error)
            return
        mark = records.mark()
        try:
            router.route(turn)
        except router.REFUSALS as error:
            if records.wrote_since(mark):
                raise Unguarded from error
            self._refused(turn, error)

    def _refused(self, turn: Turn, error: Exception) -> None:
        turn.replies.clear()
        turn.notices.clear()
        router.explain(turn, error)
