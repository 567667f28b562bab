"""Two workers on one PostgreSQL database: no double processing, no lost update.

Two Dispatchers, each with its own engine (its own connection pool) on the same
PostgreSQL database and its own memory adapter, stand for two bot processes behind a
load balancer. People are the same on both (`memory:ana` is one Telegram account whose
updates may reach either worker).

Races are forced, not hoped for: `race(Repository, "method")` makes the two
transactions meet at a barrier at a chosen point of the storage layer (both have begun
and read what they need, neither has written yet), then lets them go on together. Where the product
serialises correctly, the second one blocks on a lock before the barrier and the barrier
times out after a moment; the test still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from bot.events import ChatId, Inbound, PlatformId
from storage.audit import Audit
from storage.engine import make_engine
from storage.events import Events
from storage.invites import Invites
from storage.people import People
from storage.records import Records, Store
from storage.submissions import Submissions
from storage.tables import AmendmentDecision
from tests.clocks import Clock
from tests.conversation.scenario import FACILITATOR, invite, open_round

pytestmark = pytest.mark.postgres

MEMBERS = {"ana": "government", "ben": "civil-society", "fay": "facilitator"}
BARRIER_WAIT = 3.0  # seconds a transaction waits at the barrier for the other one


class Workers:
    """Two bots on one database; `a` and `b` are what people type into, on each."""

    def __init__(self, url: str, clock: Clock) -> None:
        self.engines: list[Engine] = []
        self.a, self.b = self._worker(url, clock), self._worker(url, clock)

    def _worker(self, url: str, clock: Clock) -> MemoryAdapter:
        engine = make_engine(url)
        self.engines.append(engine)
        adapter = MemoryAdapter()
        # One key for the pseudonyms of handled events, as workers share in production.
        store = Store(engine, event_key=b"one key for both workers")
        dispatcher = Dispatcher(store, admins=[f"memory:{FACILITATOR}"], clock=clock)
        dispatcher.add(adapter)
        adapter.dispatcher = dispatcher  # type: ignore[attr-defined]
        return adapter

    async def start(self) -> None:
        for adapter in (self.a, self.b):
            await adapter.dispatcher.start()  # type: ignore[attr-defined]

    def everything_said_to(self, name: str) -> list[str]:
        return self.a.messages(name) + self.b.messages(name)

    def take(self, name: str) -> list[str]:
        return self.a.take(name) + self.b.take(name)

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
async def workers(postgres_engine: Engine, clock: Clock) -> AsyncIterator[Workers]:
    _truncate(postgres_engine)
    url = postgres_engine.url.render_as_string(hide_password=False)
    pair = Workers(url, clock)
    await pair.start()
    await open_round(pair.a, MEMBERS)
    yield pair
    pair.dispose()


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


@contextlib.contextmanager
def race(
    owner: type, method: str, parties: int = 2, when: Callable[..., bool] = lambda *a, **k: True
) -> Iterator[threading.Barrier]:
    """Hold each transaction at `owner.<method>` until `parties` of them are there."""
    barrier = threading.Barrier(parties)
    original = getattr(owner, method)

    def meeting(self: Any, *args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=BARRIER_WAIT)
        return original(self, *args, **kwargs)

    setattr(owner, method, meeting)
    try:
        yield barrier
    finally:
        setattr(owner, method, original)


def event(name: str, message_id: str, body: str) -> Inbound:
    return Inbound(
        sender=PlatformId(f"memory:{name}"),
        chat=ChatId(f"memory:{name}"),
        message_id=message_id,
        text=body,
        display_name=name.capitalize(),
    )


# ---- the same event delivered to both workers ---------------------------------------------


async def test_one_event_delivered_to_both_workers_is_stored_once(
    workers: Workers, postgres_engine: Engine
) -> None:
    for attempt in range(5):
        workers.take("ana")
        same = event("ana", f"update-{attempt}", f"/comment 1 Delivered twice, attempt {attempt}.")
        with race(Events, "claim"):
            await asyncio.gather(workers.a.deliver(same), workers.b.deliver(same))
        answers = workers.take("ana")
        assert len([a for a in answers if "Recorded #" in a]) == 1, answers
        stored = scalar(
            postgres_engine,
            "SELECT count(*) FROM submission WHERE text = :t",
            t=f"Delivered twice, attempt {attempt}.",
        )
        assert stored == 1


async def test_a_burst_split_across_workers_is_stored_once_each(
    workers: Workers, postgres_engine: Engine
) -> None:
    """Many stakeholders, every update delivered to both workers: each stored exactly once."""
    people = [f"p{i}" for i in range(6)]
    code = await invite(workers.a, "industry", uses=len(people))
    for name in people:
        await workers.a.say(name, f"/start {code}")
        await workers.a.say(name, f"{name} Org")
    sends = []
    for name in people:
        for k in range(8):
            update = event(name, f"{name}-{k}", f"/comment {1 + k % 3} {name} says {k}.")
            sends += [workers.a.deliver(update), workers.b.deliver(update)]
    await asyncio.gather(*sends)
    total = scalar(postgres_engine, "SELECT count(*) FROM submission WHERE text LIKE 'p_ says %'")
    distinct = scalar(
        postgres_engine, "SELECT count(DISTINCT text) FROM submission WHERE text LIKE 'p_ says %'"
    )
    assert (total, distinct) == (48, 48)
    for name in people:
        acks = [a for a in workers.everything_said_to(name) if "Recorded #" in a]
        assert len(acks) == 8, (name, acks)


# ---- two facilitators deciding the same amendment -----------------------------------------


async def amendment_ready(workers: Workers) -> int:
    workers.take("ana")
    await workers.a.say("ana", "/amend 2 We will refuse licences where there is any risk.")
    match = re.search(r"Recorded #(\d+)", workers.a.last("ana"))
    assert match, workers.a.last("ana")
    await workers.a.say(FACILITATOR, "/round close")
    workers.take(FACILITATOR)
    workers.take("fay")
    return int(match.group(1))


async def test_two_facilitators_accepting_one_amendment_one_wins_the_other_is_told(
    workers: Workers, postgres_engine: Engine
) -> None:
    amendment = await amendment_ready(workers)

    def deciding(*rows: Any, **kwargs: Any) -> bool:
        return any(isinstance(row, AmendmentDecision) for row in rows)

    with race(Records, "save", when=deciding):
        await asyncio.gather(
            workers.a.say(FACILITATOR, f"/accept {amendment} first"),
            workers.b.say("fay", f"/accept {amendment} second"),
        )
    decisions = scalar(
        postgres_engine,
        "SELECT count(*) FROM amendment_decision WHERE submission_id = :id",
        id=amendment,
    )
    assert decisions == 1  # the constraint holds either way
    answers = workers.take(FACILITATOR) + workers.take("fay")
    assert len([a for a in answers if f"Amendment #{amendment} accepted" in a]) == 1, answers
    assert len([a for a in answers if "already been decided" in a]) == 1, answers


async def test_deciding_an_amendment_decided_a_moment_ago_is_refused(
    workers: Workers, postgres_engine: Engine
) -> None:
    """The same, one after the other: the second facilitator is told."""
    amendment = await amendment_ready(workers)
    await workers.a.say(FACILITATOR, f"/accept {amendment}")
    assert f"Amendment #{amendment} accepted" in workers.a.last(FACILITATOR)
    await workers.b.say("fay", f"/reject {amendment} too late")
    assert "already been decided" in workers.b.last("fay")
    assert scalar(postgres_engine, "SELECT decision FROM amendment_decision") == "accepted"


# ---- an invite code used by two people at once ---------------------------------------------


async def test_a_one_use_code_used_by_two_people_at_once_admits_one(
    workers: Workers, postgres_engine: Engine
) -> None:
    for attempt in range(3):
        code = await invite(workers.a, "academia", uses=1)
        first, second = f"x{attempt}", f"y{attempt}"
        with race(Invites, "use"):
            await asyncio.gather(
                workers.a.say(first, f"/start {code}"), workers.b.say(second, f"/start {code}")
            )
        answers = workers.take(first) + workers.take(second)
        assert len([a for a in answers if "You have joined" in a]) == 1, answers
        assert len([a for a in answers if "not valid" in a]) == 1, answers
        members = scalar(
            postgres_engine,
            "SELECT count(*) FROM membership m JOIN identity i ON i.person_id = m.person_id "
            "WHERE i.platform_id IN (:a, :b)",
            a=f"memory:{first}",
            b=f"memory:{second}",
        )
        assert members == 1
        assert scalar(postgres_engine, "SELECT min(uses_left) FROM invite") == 0


async def test_a_two_use_code_used_by_three_people_at_once_admits_two(
    workers: Workers, postgres_engine: Engine
) -> None:
    code = await invite(workers.a, "academia", uses=2)
    with race(Invites, "use", parties=3):
        await asyncio.gather(
            workers.a.say("u1", f"/start {code}"),
            workers.b.say("u2", f"/start {code}"),
            workers.a.say("u3", f"/start {code}"),
        )
    answers = workers.take("u1") + workers.take("u2") + workers.take("u3")
    assert len([a for a in answers if "You have joined" in a]) == 2, answers
    assert len([a for a in answers if "not valid" in a]) == 1, answers


# ---- no lost updates -----------------------------------------------------------------------


async def test_two_stances_at_once_leave_one_live(
    workers: Workers, postgres_engine: Engine
) -> None:
    with race(Submissions, "add"):
        await asyncio.gather(workers.a.say("ana", "/support 1"), workers.b.say("ana", "/oppose 1"))
    live = rows(
        postgres_engine,
        "SELECT kind FROM submission WHERE kind IN ('support', 'oppose', 'abstain') "
        "AND superseded_at IS NULL AND withdrawn_at IS NULL AND paragraph_uid = 'p1'",
    )
    assert len(live) == 1, live


async def test_two_audited_actions_at_once_keep_one_chain(
    workers: Workers, postgres_engine: Engine
) -> None:
    with race(Audit, "append"):
        await asyncio.gather(
            workers.a.say(FACILITATOR, "/invite government 1"),
            workers.b.say("fay", "/invite industry 1"),
        )
    chain = rows(postgres_engine, "SELECT id, prev_hash, hash FROM audit_event ORDER BY id")
    for (_, _, previous), (event_id, prev_hash, _) in itertools.pairwise(chain):
        assert prev_hash == previous, f"audit event {event_id} does not follow the one before"


async def test_a_new_persons_first_two_messages_on_both_workers_are_both_answered(
    workers: Workers,
) -> None:
    with race(People, "person_for"):
        await asyncio.gather(
            workers.a.deliver(event("zed", "first", "/help")),
            workers.b.deliver(event("zed", "second", "/start")),
        )
    answers = workers.take("zed")
    assert any("Commands you can use" in a for a in answers), answers
    assert any("Welcome to consultbot" in a for a in answers), answers


async def test_withdrawals_and_comments_at_once_lose_nothing(
    workers: Workers, postgres_engine: Engine
) -> None:
    """Each person's own updates on both workers, interleaved: every one of them lands."""
    ids = []
    for k in range(6):
        workers.take("ben")
        await workers.a.say("ben", f"/comment 2 Comment {k}.")
        match = re.search(r"Recorded #(\d+)", workers.a.last("ben"))
        assert match
        ids.append(int(match.group(1)))
    await asyncio.gather(
        *(workers.b.say("ben", f"/withdraw {i}") for i in ids[:3]),
        *(workers.a.say("ana", f"/comment 3 Meanwhile {k}.") for k in range(6)),
    )
    withdrawn = scalar(
        postgres_engine, "SELECT count(*) FROM submission WHERE withdrawn_at IS NOT NULL"
    )
    assert withdrawn == 3
    meanwhile = scalar(
        postgres_engine, "SELECT count(*) FROM submission WHERE text LIKE 'Meanwhile %'"
    )
    assert meanwhile == 6
