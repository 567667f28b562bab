"""Announcements are not lost: a message to other people is kept with the change it
announces until the platform took it, so a platform outage or a crash in the middle of a
fan-out only delays it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from bot.events import ChatId, Outbound
from bot.outbox import OUTBOX_ATTEMPTS, OUTBOX_GRACE, Courier, Delivery
from storage.records import Store
from tests.clocks import Clock
from tests.conversation.scenario import FACILITATOR, consultation

PEOPLE = {f"d{i}": ("government", "civil-society", "industry")[i % 3] for i in range(9)}
OPENED = "Round 1 is open"  # what the facilitator is told
ANNOUNCED = "Round 1 of “Spyware statement” is open"  # what each stakeholder is told


class FlakyPlatform(MemoryAdapter):
    """The memory platform, down for some chats, or hanging after a number of messages."""

    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()
        self.hang_after: int | None = None
        self.sent = 0
        self.hanging = asyncio.Event()

    async def send(self, message: Outbound) -> str | None:
        if message.chat in self.down:
            raise ConnectionError("the platform did not answer")
        if self.hang_after is not None and self.sent >= self.hang_after:
            self.hanging.set()
            await asyncio.Event().wait()  # never returns: the process is about to die
        self.sent += 1
        return await super().send(message)


async def started(store: Store, adapter: MemoryAdapter, clock: Clock) -> Dispatcher:
    dispatcher = Dispatcher(store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(adapter)
    await dispatcher.start()
    return dispatcher


def announcements(adapter: MemoryAdapter) -> dict[str, int]:
    return {name: sum(ANNOUNCED in text for text in adapter.messages(name)) for name in PEOPLE}


def queued(store: Store, clock: Clock) -> list[tuple[str, str]]:
    with store.transaction() as records:
        rows = records.outbox.undelivered(before=clock() + timedelta(days=1), limit=10_000)
        return [(row.chat, row.text) for row in rows]


async def test_people_the_platform_could_not_reach_get_the_announcement_later(
    store: Store, clock: Clock
) -> None:
    platform = FlakyPlatform()
    dispatcher = await started(store, platform, clock)
    await consultation(platform, PEOPLE)
    platform.down = {"memory:d1", "memory:d4"}

    await platform.say(FACILITATOR, "/round open 3d")

    assert OPENED in platform.last(FACILITATOR)
    got = announcements(platform)
    assert got == {name: 0 if name in ("d1", "d4") else 1 for name in PEOPLE}, got
    assert sorted(chat for chat, _ in queued(store, clock)) == ["memory:d1", "memory:d4"]

    platform.down.clear()
    assert await dispatcher.resend() == 0  # too fresh: another worker may be sending them
    clock.advance(seconds=OUTBOX_GRACE.total_seconds() + 1)
    assert await dispatcher.resend() == 2

    assert announcements(platform) == {name: 1 for name in PEOPLE}
    assert queued(store, clock) == []
    assert await dispatcher.resend() == 0


async def test_after_a_crash_in_the_middle_of_an_announcement_everyone_gets_it_once(
    store: Store, clock: Clock
) -> None:
    platform = FlakyPlatform()
    await started(store, platform, clock)
    await consultation(platform, PEOPLE)
    platform.hang_after = platform.sent + 1 + 4  # the facilitator's answer, then four people

    opening = asyncio.ensure_future(platform.say(FACILITATOR, "/round open 3d"))
    await asyncio.wait_for(platform.hanging.wait(), timeout=10)
    opening.cancel()  # the process dies with the fan-out half done
    await asyncio.gather(opening, return_exceptions=True)
    assert sum(announcements(platform).values()) == 4

    # A new process on the same database, the platform reachable again.
    restarted = FlakyPlatform()
    restarted.inbox = platform.inbox  # the same people's chats
    clock.advance(seconds=5)
    dispatcher = await started(store, restarted, clock)
    if store.shared:  # shared: another worker may be sending them
        assert await dispatcher.resend() == 0
        clock.advance(seconds=OUTBOX_GRACE.total_seconds())
    assert await dispatcher.resend() == len(PEOPLE) - 4

    assert announcements(restarted) == {name: 1 for name in PEOPLE}
    assert queued(store, clock) == []


async def test_messages_for_a_platform_not_running_wait_and_days_old_ones_are_dropped(
    store: Store, clock: Clock
) -> None:
    with store.transaction() as records:
        records.outbox.queue(
            [("elsewhere:1", "For a platform not configured here."), ("memory:ana", "Hello.")],
            at=clock(),
        )
    platform = MemoryAdapter()
    clock.advance(hours=1)
    dispatcher = await started(store, platform, clock)

    assert await dispatcher.resend() == 1
    assert platform.messages("ana") == ["Hello."]
    assert queued(store, clock) == [("elsewhere:1", "For a platform not configured here.")]

    clock.advance(days=3)  # an announcement this late would mislead: dropped, not sent
    assert await dispatcher.resend() == 0
    assert queued(store, clock) == []


async def test_the_outbox_keeps_messages_in_order_until_delivered(store: Store, clock) -> None:
    with store.transaction() as records:
        ids = records.outbox.queue(
            [(f"memory:p{i}", f"Message {i}") for i in range(250)], at=clock()
        )
    assert ids == sorted(ids) and len(set(ids)) == 250
    with store.transaction() as records:
        first = records.outbox.undelivered(before=clock() + timedelta(seconds=1), limit=100)
        assert [m.text for m in first] == [f"Message {i}" for i in range(100)]
        assert records.outbox.undelivered(before=clock() - timedelta(seconds=1), limit=100) == []
        records.outbox.delivered(m.id for m in first if m.id is not None)
    with store.transaction() as records:
        rest = records.outbox.undelivered(before=clock() + timedelta(seconds=1), limit=1000)
        assert [m.text for m in rest] == [f"Message {i}" for i in range(100, 250)]


class SlowPlatform(MemoryAdapter):
    """The memory platform, holding messages to stakeholders until `let_go` is set: an
    announcement as slow as the test needs, whatever the machine's speed."""

    def __init__(self) -> None:
        super().__init__()
        self.let_go = asyncio.Event()
        self.let_go.set()

    async def send(self, message: Outbound) -> str | None:
        if message.chat != f"memory:{FACILITATOR}":
            await self.let_go.wait()
        return await super().send(message)


async def test_an_announcement_to_many_goes_on_while_the_facilitator_carries_on(
    sqlite_store: Store, clock: Clock
) -> None:
    crowd = {f"s{i}": "government" for i in range(40)}
    platform = SlowPlatform()
    dispatcher = Dispatcher(sqlite_store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(platform)
    await dispatcher.start()
    await consultation(platform, crowd)
    platform.let_go.clear()  # from now on the announcement goes out when the test says

    async with asyncio.timeout(30):  # were the facilitator to wait for the crowd: forever
        await platform.say(FACILITATOR, "/round open 3d")
        assert OPENED in platform.last(FACILITATOR)
        await platform.say(FACILITATOR, "/status")
        assert "round 1 (open)" in platform.last(FACILITATOR)

    platform.let_go.set()
    await dispatcher.idle()
    for name in crowd:
        assert sum(ANNOUNCED in t for t in platform.messages(name)) == 1
    assert queued(sqlite_store, clock) == []


async def test_a_failing_send_is_tried_a_bounded_number_of_times_with_back_off(
    store: Store, clock: Clock
) -> None:
    platform = FlakyPlatform()
    dispatcher = await started(store, platform, clock)
    await consultation(platform, PEOPLE)
    platform.down = {"memory:d1"}
    await platform.say(FACILITATOR, "/round open 3d")
    clock.advance(seconds=OUTBOX_GRACE.total_seconds() + 1)
    tries = 0
    for _ in range(200):  # polls every 30 seconds for 100 minutes
        tries += await dispatcher.resend()
        clock.advance(seconds=30)
    assert tries == OUTBOX_ATTEMPTS - 1  # with the first, five; then it is dropped
    assert queued(store, clock) == []
    platform.down.clear()
    assert await dispatcher.resend() == 0 and announcements(platform)["d1"] == 0


async def test_a_round_open_notice_is_dropped_once_the_round_closed(
    store: Store, clock: Clock
) -> None:
    platform = FlakyPlatform()
    dispatcher = await started(store, platform, clock)
    await consultation(platform, PEOPLE)
    platform.down = {"memory:d1"}
    await platform.say(FACILITATOR, "/round open 3d")
    await platform.say(FACILITATOR, "/round close")
    platform.down.clear()
    clock.advance(seconds=OUTBOX_GRACE.total_seconds() + 1)
    await dispatcher.resend()
    assert announcements(platform)["d1"] == 0  # no "round 1 is open" after it closed
    assert [m for m in platform.messages("d1") if "is closed" in m]  # what is still true goes


async def test_an_announcement_goes_on_while_the_store_is_busy_and_forgets_what_went_later(
    store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has one writer: at the close of a large round it may be busy longer than the
    busy timeout. The announcement under way goes on; what went out is deleted later."""
    platform = MemoryAdapter()
    dispatcher = await started(store, platform, clock)
    with store.transaction() as records:
        ids = records.outbox.queue([(f"memory:p{i}", f"Message {i}") for i in range(250)], clock())
    deliveries = [
        Delivery(platform, Outbound(ChatId(f"memory:p{i}"), f"Message {i}", private=True), n)
        for i, n in enumerate(ids)
    ]
    tries: list[int] = []
    forget = Courier._delivered

    def busy_at_first(self: Courier, done: list[int]) -> None:
        tries.append(len(done))
        if len(tries) == 1:
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
        forget(self, done)

    monkeypatch.setattr(Courier, "_delivered", busy_at_first)
    await dispatcher.courier.send_notices(deliveries)
    assert all(platform.messages(f"p{i}") == [f"Message {i}"] for i in range(250))
    assert tries[0] == 100 and tries[1] > 100  # the first hundred, then with those after
    assert queued(store, clock) == []
