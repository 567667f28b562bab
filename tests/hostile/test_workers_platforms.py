"""Two workers on one PostgreSQL database that do not serve the same platforms, as when
Matrix runs in one worker only (its device cannot be shared): what one worker has to say
to a person on a platform only the other serves reaches them, through the outbox, in
that platform's words; and of two workers polling the outbox, one sends each message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from storage.engine import make_engine
from storage.records import Store
from tests.clocks import Clock
from tests.conversation.scenario import FACILITATOR, consultation, invite
from tests.hostile.test_two_workers import _truncate

pytestmark = pytest.mark.postgres


class Pair:
    """Worker `a` serves the memory platform only; worker `b` serves it and "other",
    whose people type commands with "!"."""

    def __init__(self, url: str, clock: Clock) -> None:
        self.engines = [make_engine(url), make_engine(url)]
        key = b"one key for both workers"
        self.a_dispatcher = Dispatcher(
            Store(self.engines[0], event_key=key),
            admins=[f"memory:{FACILITATOR}"],
            clock=clock,
            served_elsewhere={"other": "!"},
        )
        self.b_dispatcher = Dispatcher(
            Store(self.engines[1], event_key=key), admins=[f"memory:{FACILITATOR}"], clock=clock
        )
        self.a, self.b = MemoryAdapter(), MemoryAdapter()
        self.other = MemoryAdapter(platform="other")
        self.other.command_prefix = "!"
        self.a_dispatcher.add(self.a)
        self.b_dispatcher.add(self.b)
        self.b_dispatcher.add(self.other)

    async def start(self) -> None:
        await self.a_dispatcher.start()
        await self.b_dispatcher.start()


@pytest.fixture
async def pair(postgres_engine: Engine, clock: Clock) -> AsyncIterator[Pair]:
    _truncate(postgres_engine)
    workers = Pair(postgres_engine.url.render_as_string(hide_password=False), clock)
    await workers.start()
    yield workers
    for engine in workers.engines:
        engine.dispose()


async def test_a_notice_for_a_platform_only_the_other_worker_serves_reaches_it(
    pair: Pair,
) -> None:
    await consultation(pair.a, {"ana": "government"})
    code = await invite(pair.a, "civil-society")
    await pair.other.say("ola", f"/start {code}")  # joins through worker b, on "other"
    await pair.other.say("ola", "Ola Org")
    pair.other.take("ola")

    await pair.a.say(FACILITATOR, "/round open 3d")  # worker a opens the round
    assert "Round 1 is open" in pair.a.last(FACILITATOR)
    assert any("is open" in text for text in pair.a.take("ana"))  # at once, from a
    assert pair.other.messages("ola") == []  # a cannot reach ola; b has not polled yet

    assert await pair.a_dispatcher.resend() == 0  # not a's to send
    assert await pair.b_dispatcher.resend() == 1
    [told] = pair.other.take("ola")
    assert "is open" in told
    assert "!review" in told and "/review" not in told  # in the words of ola's platform
    assert await pair.b_dispatcher.resend() == 0  # sent once
    assert pair.b.messages("ana") == []  # ana was told once, by a


async def test_of_two_workers_polling_the_outbox_one_sends_each_message(
    pair: Pair, clock: Clock
) -> None:
    await consultation(pair.a, {"ana": "government", "ben": "civil-society"})
    with pair.a_dispatcher.store.transaction() as records:
        records.outbox.queue(
            [
                (f"memory:{name}", f"Message {n} for {name}")
                for n in range(40)
                for name in ("ana", "ben")
            ],
            at=clock(),
            claimed=False,  # as a worker queues what it does not send itself
        )
    tried = await asyncio.gather(pair.a_dispatcher.resend(), pair.b_dispatcher.resend())
    assert sum(tried) == 80
    for name in ("ana", "ben"):
        said = pair.a.messages(name) + pair.b.messages(name)
        assert sorted(said) == sorted(f"Message {n} for {name}" for n in range(40))
