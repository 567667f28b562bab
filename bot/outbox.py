"""Messages out: a turn's replies to its chat, and notices to other people through the outbox.

    turn.notices ──queue (in the turn's transaction)──> outbox table
                 ──after the commit: announce──> each person's reachable chat
                 ──taken, or refused for good──> deleted from the outbox
    outbox rows left by a crash or a long outage ──resend (the scheduler's poll)──> the same

A notice goes to one reachable account of its person, in their language and time zone.
What the commit announces is sure to go out: it stays in the outbox until a platform took
it. A person who blocked the bot is marked so and not written to again; where a platform
shows reactions, the buttons offered on a sent message are remembered, so that a thumbs
up can press one; so are those under a paragraph in review on every platform, so that a
reply to it is read as input on that paragraph. The `Courier` does all this; the table
itself is read and written through `records.outbox` (storage/outbox.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.buttons import Review, decode, offered_key
from bot.catalog import Catalog, localise
from bot.events import (
    Adapter,
    Capability,
    ChatId,
    DeliveryError,
    MessageId,
    Outbound,
    PlatformId,
    platform_of,
)
from bot.metrics import Metrics
from bot.turn import Turn
from storage.records import Records, Store

log = logging.getLogger(__name__)

SENDERS = 16  # chats sent to at once; each platform's own limiter paces the whole
OUTBOX_BATCH = 100  # delivered messages deleted from the outbox together
FORGET_TRIES = 3  # at the end of an announcement, tries to delete what went out
# A queued message is sent again by the scheduler's poll once it is this old: a fan-out
# still in progress on another worker (20,000 people at 30/s take 11 minutes) is not.
OUTBOX_GRACE = timedelta(minutes=15)
OUTBOX_MAX_AGE = timedelta(days=2)
# Failed sends of one message before it is dropped, and the wait after the first failure,
# doubled after each: a send that failed because of what came back after the platform
# took it would otherwise be repeated to the person every poll.
OUTBOX_ATTEMPTS = 5
OUTBOX_BACKOFF = timedelta(minutes=1)


@dataclass(frozen=True)
class Delivery:
    """A message to send through an adapter; a message to another person also has its
    id in the outbox, where it stays until delivered."""

    adapter: Adapter
    message: Outbound
    outbox_id: int | None = None


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failed send."""
    return OUTBOX_BACKOFF * (1 << max(0, attempts - 1))


class Courier:
    """Takes messages out: queues a turn's notices in the outbox (`records.outbox`) and
    sends every message through its adapter."""

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        catalog: Catalog,
        clock: Callable[[], datetime],
        metrics: Metrics,
        served_elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.adapters = adapters  # the dispatcher's, by platform
        # Platforms this process does not serve and another worker on the shared store
        # may, with their command prefixes: messages to them are queued for that worker.
        self.elsewhere = dict(served_elsewhere or {}) if store.shared else {}
        self.catalog = catalog
        self.clock = clock
        self._in_flight: set[int] = set()  # outbox ids this process is sending now
        self._announcing: set[asyncio.Task[None]] = set()  # announcements to many, under way
        self._started_at = clock()

    def queue(self, records: Records, turn: Turn) -> list[Delivery]:
        """Messages to other people, each to one reachable account of theirs, queued in
        the outbox in this transaction: what the commit announces is sure to go out.
        An account on a platform served here is preferred; one served by another worker
        gets its message queued unclaimed, for that worker to take (`resend`)."""
        if not turn.notices:
            return []
        wanted = {notice.person_id for notice in turn.notices}
        people = records.people.persons(wanted)
        accounts = records.people.identities_of(wanted)
        here: list[tuple[Adapter, Outbound, int | None]] = []
        elsewhere: list[tuple[str, str, int | None]] = []
        for notice in turn.notices:
            person = people[notice.person_id]
            reachable = [
                identity
                for identity in accounts.get(notice.person_id, ())
                if identity.blocked_at is None
                and (notice.via is None or identity.platform_id == notice.via)
            ]
            reachable.sort(key=lambda i: platform_of(i.platform_id) not in self.adapters)
            for identity in reachable:  # those served here first
                platform = platform_of(identity.platform_id)
                adapter = self.adapters.get(platform)
                if adapter is not None:
                    chat = identity.dm_chat or adapter.private_chat(
                        PlatformId(identity.platform_id)
                    )
                    prefix = adapter.command_prefix
                elif platform in self.elsewhere:
                    chat, prefix = identity.dm_chat, self.elsewhere[platform]
                else:
                    continue
                if chat is None:
                    continue
                values = localise(notice.values, person.timezone)
                text = self.catalog.text(
                    notice.key, person.language, command_prefix=prefix, **values
                )
                if adapter is None:
                    elsewhere.append((chat, text, notice.while_open))
                else:
                    message = Outbound(chat=ChatId(chat), text=text, private=True)
                    here.append((adapter, message, notice.while_open))
                break
        records.outbox.queue(elsewhere, at=turn.now, claimed=False)
        ids = records.outbox.queue([(m.chat, m.text, r) for _, m, r in here], at=turn.now)
        return [Delivery(a, m, i) for i, (a, m, _) in zip(ids, here, strict=True)]

    async def deliver(self, messages: list[tuple[Adapter, Outbound]]) -> None:
        """Send a turn's replies, in order (they go to the chat it came from)."""
        for adapter, message in messages:
            await self._send(adapter, message, "reply")

    async def announce(self, notices: list[Delivery]) -> None:
        """Tell other people: a few before returning, so the turn reads as one exchange;
        more (a round opened to everyone) in the background, so the facilitator's next
        message, and the platform's next updates, need not wait a minute for it. Either
        way the messages are in the outbox until delivered."""
        if not notices:
            return
        if len({notice.message.chat for notice in notices}) <= SENDERS:
            await self.send_notices(notices)
            return
        task = asyncio.create_task(self.send_notices(notices))
        self._announcing.add(task)
        task.add_done_callback(self._announced)

    def _announced(self, task: asyncio.Task[None]) -> None:
        self._announcing.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # What did not go out is still in the outbox; the next resend tries it again.
            log.error("announcement stopped error=%s", type(error).__name__)

    async def idle(self) -> None:
        """Wait until the announcements going out in the background are out."""
        while self._announcing:
            await asyncio.gather(*self._announcing, return_exceptions=True)

    async def stop(self, grace: timedelta) -> None:
        """Let announcements under way go on for `grace`, then cancel them (the outbox
        keeps what did not go out for the next start)."""
        if not self._announcing:
            return
        _, late = await asyncio.wait(self._announcing, timeout=grace.total_seconds())
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def resend(self) -> int:
        """Send what stayed in the outbox for the platforms served here: queued by a
        worker that does not serve them, before a crash, or while a platform failed for
        longer than its adapter retries. Each message is claimed first, so that of the
        workers polling the outbox one sends it. Returns how many it tried."""
        before = self.clock() - OUTBOX_GRACE
        if not self.store.shared:
            before = max(before, self._started_at)  # one process: older ones are orphans
        tried: set[int] = set()
        while True:
            fresh = await asyncio.to_thread(self._undelivered, before, tried)
            if not fresh:
                return len(tried)
            log.info("resending %d queued messages", len(fresh))
            tried.update(row.outbox_id for row in fresh if row.outbox_id is not None)
            await self.send_notices(fresh)

    def _undelivered(self, before: datetime, tried: set[int]) -> list[Delivery]:
        """Up to a batch of messages nobody is sending, to chats served here and not
        `tried` already, claimed."""
        now = self.clock()
        cutoff = now - OUTBOX_MAX_AGE
        with self.store.transaction() as records:
            stale = records.outbox.drop_older(cutoff)
            if stale:  # an announcement days late misleads more than it informs
                log.warning("dropping %d queued messages older than %s", stale, OUTBOX_MAX_AGE)
            rows = records.outbox.undelivered(
                before=before, limit=OUTBOX_BATCH, platforms=self.adapters
            )
            untrue = records.outbox.no_longer_true(rows)
            if untrue:  # "round 2 is open" after it closed
                log.warning("dropping %d queued messages about a round now closed", len(untrue))
            spent = {row.id for row in rows if row.attempts >= OUTBOX_ATTEMPTS}
            if spent:
                log.warning(
                    "dropping %d queued messages after %d attempts", len(spent), OUTBOX_ATTEMPTS
                )
            dropped = untrue | spent
            records.outbox.delivered(i for i in dropped if i is not None)
            due = {
                row.id: row
                for row in rows
                if row.id is not None
                and row.id not in dropped
                and row.id not in self._in_flight
                and row.id not in tried
                and (row.tried_at is None or now >= row.tried_at + backoff(row.attempts))
            }
            taken = records.outbox.claim(due, before=before, at=now)
            return [
                Delivery(adapter, Outbound(ChatId(row.chat), row.text, private=True), row.id)
                for row in (due[i] for i in taken)
                if (adapter := self.adapters.get(platform_of(row.chat)))
            ]

    async def send_notices(self, deliveries: list[Delivery]) -> None:
        """Send messages from the outbox (an announcement to everyone goes as fast as the
        platforms allow), and delete each one the platform took or refused for good."""
        chats: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            chats.setdefault(delivery.message.chat, []).append(delivery)
        waiting = iter(chats.values())
        done: list[int] = []
        forgotten = time.monotonic()
        queued = {d.outbox_id for d in deliveries if d.outbox_id is not None}
        self._in_flight |= queued

        forgetting = False
        retry_at = 0.0  # after a failed delete, the next waits a second

        async def forget_done() -> None:
            # Deleted a hundred or a second at a time: a crash repeats at most those.
            # The store may be busy a while (SQLite's one writer summarising a large round
            # at its close): the ids wait a second for the next try, the announcement goes
            # on meanwhile.
            nonlocal forgotten, forgetting, retry_at
            if forgetting or not done:
                return
            forgetting, ids = True, done[:]
            try:
                await asyncio.to_thread(self._delivered, ids)
            except Exception as error:
                log.warning("delivered messages not yet forgotten error=%s", type(error).__name__)
                retry_at = time.monotonic() + 1
            else:
                del done[: len(ids)]
                self._in_flight.difference_update(ids)
            finally:
                forgetting, forgotten = False, time.monotonic()

        failed: list[int] = []

        async def sender() -> None:
            for in_order in waiting:
                for delivery in in_order:
                    sent = await self._send(delivery.adapter, delivery.message, "notice")
                    if not sent and delivery.outbox_id is not None:
                        failed.append(delivery.outbox_id)
                    if sent and delivery.outbox_id is not None:
                        done.append(delivery.outbox_id)
                        now = time.monotonic()
                        due = len(done) >= OUTBOX_BATCH or now - forgotten >= 1
                        if due and now >= retry_at:
                            await forget_done()

        try:
            await asyncio.gather(*(sender() for _ in range(min(SENDERS, len(chats)))))
        finally:
            for _ in range(FORGET_TRIES):
                await forget_done()
                if not done:
                    break
                await asyncio.sleep(1)
            if failed:
                await asyncio.to_thread(self._failed, failed)
            self._in_flight -= queued

    async def _send(self, adapter: Adapter, message: Outbound, kind: str) -> bool:
        """Send one message (a "reply" or a "notice"); False if it could not go now (it
        may be tried again later)."""
        if message.edit_of is not None and Capability.EDITS not in adapter.capabilities:
            return True
        try:
            sent = await adapter.send(message)
        except DeliveryError as error:
            log.warning("delivery refused platform=%s blocked=%s", adapter.platform, error.blocked)
            if error.blocked:
                await asyncio.to_thread(self._mark_blocked, message.chat)
            return True  # refused for good: trying again would not help
        except Exception as error:  # the adapter gave up retrying; keep serving the others
            log.warning(
                "delivery failed platform=%s error=%s", adapter.platform, type(error).__name__
            )
            log.debug("delivery failure", exc_info=True)
            return False
        self.metrics.messages_out.labels(adapter.platform, kind).inc()
        if (
            sent
            and message.choices
            and (Capability.REACTIONS in adapter.capabilities or _shows_paragraph(message))
        ):
            await asyncio.to_thread(self._remember_choices, message, sent)
        return True

    def _failed(self, ids: list[int]) -> None:
        with self.store.transaction() as records:
            records.outbox.failed(ids, self.clock())

    def _delivered(self, ids: list[int]) -> None:
        with self.store.transaction() as records:
            records.outbox.delivered(ids)

    def _remember_choices(self, message: Outbound, sent: MessageId) -> None:
        data = [c.data for row in message.choices for c in row if c.prefill is None]
        with self.store.transaction() as records:
            records.values.set(offered_key(message.chat, sent), json.dumps(data))

    def _mark_blocked(self, chat: str) -> None:
        with self.store.transaction() as records:
            records.people.mark_chat_blocked(chat, self.clock())


def _shows_paragraph(message: Outbound) -> bool:
    """Whether the message shows a paragraph under review: a reply to it is input on
    that paragraph, so its buttons are remembered on every platform."""
    return any(
        isinstance(decode(c.data), Review) for row in message.choices for c in row if not c.prefill
    )
