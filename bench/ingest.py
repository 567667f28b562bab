"""Ingest throughput: submissions through the dispatcher against bare inserts of the same rows.

    python bench/ingest.py                      # 20,000 on SQLite, and on PostgreSQL if reachable
    python bench/ingest.py --count 5000 --concurrency 1,8,32 --profile
    python bench/ingest.py --postgres ''        # SQLite only

For each store: a consultation with an open round and `--stakeholders` delegates is set
up through the bot, then `--count` direct `/comment N text` commands from the delegates in
turn go through `Dispatcher.handle` on the memory adapter (the whole path an adapter
uses: claim the event, find the person, check the role and the round, store, reply after
commit). This runs once per `--concurrency` level, in a fresh database each time: 1 is
one person after another, each answered before the next writes; 32 is a busy round, with
that many people's messages in flight at once, as an adapter hands them over (Telegram
delivers up to 100 updates a poll, for many chats), so the dispatcher's group commit
puts the ones waiting for the writer into one transaction. Against it: the same number of
submission rows inserted with SQLAlchemy Core, one transaction per row, on an engine made
by the same `make_engine` (SQLite: WAL, synchronous=NORMAL, BEGIN IMMEDIATE; PostgreSQL:
its defaults), into a second database set up the same way. Both are checked afterwards
(every comment stored once). Goal (issue "Trust"): 2,000/s or more on SQLite, within 4x
of bare inserts.

`--profile` runs the dispatcher's part once more under cProfile (in the event loop's
thread, where the worker thread would run it) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from bot.events import ChatId, Inbound, Outbound, PlatformId
from storage.engine import make_engine, upgrade
from storage.records import Store
from storage.tables import Submission

DEFAULT_POSTGRES = os.environ.get(
    "CONSULTBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FACILITATOR = "fac"
DRAFT = """# Statement on spyware

We are concerned about the misuse of intrusion software.

We will refuse export licences where there is a clear risk of misuse.

We call on companies to respect human rights.
"""
PARAGRAPHS = 3
CODE = re.compile(r"^([A-Za-z0-9_-]{20,})$", re.MULTILINE)


class CountingAdapter(MemoryAdapter):
    """The memory platform, keeping only a count of acknowledgements (20,000 would pile up)."""

    def __init__(self) -> None:
        super().__init__()
        self.acks = 0
        self.keep = True  # keep messages during set-up, where they are read

    async def send(self, message: Outbound) -> str | None:
        if self.keep:
            return await super().send(message)
        if message.text.startswith("Recorded #"):
            self.acks += 1
        return None


def comment(i: int, stakeholders: int) -> tuple[str, int, str]:
    """Who says what for submission `i`: (name, paragraph, text)."""
    return f"d{i % stakeholders}", 1 + i % PARAGRAPHS, f"Submission {i}: the test is too weak."


# ---- stores ---------------------------------------------------------------------------


@contextmanager
def sqlite_database(folder: Path, name: str) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{folder / name}.db")
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def postgres_database(server: str) -> Iterator[Engine]:
    """A fresh database on the server, dropped afterwards."""
    name = f"consultbot_bench_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable(server: str) -> bool:
    try:
        engine = create_engine(server, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


# ---- the two ways in --------------------------------------------------------------------


@dataclass
class Room:
    dispatcher: Dispatcher
    adapter: CountingAdapter
    round_id: int
    persons: dict[str, int]  # stakeholder name -> person id
    group_id: int


async def set_up(engine: Engine, stakeholders: int) -> Room:
    """A consultation with an open round and `stakeholders` delegates, through the bot."""
    adapter = CountingAdapter()
    now = datetime.now(UTC)
    dispatcher = Dispatcher(  # the clock stands still: every input in the same minute
        Store(engine), admins=[f"memory:{FACILITATOR}"], clock=lambda: now, input_per_minute=0
    )
    dispatcher.add(adapter)
    await dispatcher.start()
    await adapter.say(FACILITATOR, "/new Ingest benchmark")
    await adapter.say(FACILITATOR, DRAFT)
    await adapter.say(FACILITATOR, f"/invite government {stakeholders}")
    code = CODE.search(adapter.last(FACILITATOR))
    assert code, adapter.last(FACILITATOR)
    for i in range(stakeholders):
        await adapter.say(f"d{i}", f"/start {code.group(1)}")
        await adapter.say(f"d{i}", f"Delegation {i}")
    await adapter.say(FACILITATOR, "/round open 1w")
    assert "is open" in adapter.last(FACILITATOR), adapter.last(FACILITATOR)
    await dispatcher.idle()  # the announcement to everyone goes out in the background
    adapter.keep = False
    with engine.connect() as connection:
        round_id = connection.execute(text("SELECT max(id) FROM round")).scalar_one()
        group_id = connection.execute(
            text("SELECT id FROM stakeholder_group WHERE key = 'government'")
        ).scalar_one()
        persons = {
            platform_id.split(":", 1)[1]: person_id
            for platform_id, person_id in connection.execute(
                text("SELECT platform_id, person_id FROM identity")
            )
        }
    return Room(dispatcher, adapter, round_id, persons, group_id)


def event(i: int, stakeholders: int) -> Inbound:
    name, paragraph, body = comment(i, stakeholders)
    return Inbound(
        sender=PlatformId(f"memory:{name}"),
        chat=ChatId(f"memory:{name}"),
        message_id=f"bench-{i}",
        text=f"/comment {paragraph} {body}",
        display_name=name,
    )


async def through_dispatcher(room: Room, count: int, stakeholders: int, concurrency: int) -> float:
    """Seconds to handle `count` comments with at most `concurrency` in flight."""
    started = time.perf_counter()
    if concurrency <= 1:
        for i in range(count):
            await room.dispatcher.handle(event(i, stakeholders))
    else:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                await room.dispatcher.handle(event(queue.get_nowait(), stakeholders))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def bare_inserts(engine: Engine, room: Room, count: int, stakeholders: int) -> float:
    """Seconds to insert the same rows with Core, one transaction (and commit) per row."""
    table = Submission.__table__  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    started = time.perf_counter()
    for i in range(count):
        name, paragraph, body = comment(i, stakeholders)
        with engine.begin() as connection:
            connection.execute(
                insert(table).values(
                    round_id=room.round_id,
                    person_id=room.persons[name],
                    group_id=room.group_id,
                    paragraph_uid=f"p{paragraph}",
                    kind="comment",
                    text=body,
                    source=f"memory:{name}/msg/bench-{i}",
                    created_at=now + timedelta(microseconds=i),
                )
            )
    return time.perf_counter() - started


def stored(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(
                text(
                    "SELECT count(*), count(DISTINCT text) FROM submission "
                    "WHERE text LIKE 'Submission %'"
                )
            ).one()
        )


# ---- a run ------------------------------------------------------------------------------


@dataclass
class Result:
    store: str
    count: int
    concurrency: int
    dispatcher_seconds: float
    bare_seconds: float

    @property
    def dispatcher_rate(self) -> float:
        return self.count / self.dispatcher_seconds

    @property
    def bare_rate(self) -> float:
        return self.count / self.bare_seconds

    def line(self) -> str:
        return (
            f"{self.store:<10} {self.count:>7,} submissions, {self.concurrency:>2} in flight  "
            f"dispatcher {self.dispatcher_rate:>7,.0f}/s ({self.dispatcher_seconds:6.1f}s)  "
            f"bare inserts {self.bare_rate:>7,.0f}/s ({self.bare_seconds:6.1f}s)  "
            f"ratio {self.bare_rate / self.dispatcher_rate:4.1f}x"
        )


async def measure(
    store: str,
    database: Callable[[str], contextmanager[Engine]],  # type: ignore[type-arg]
    args: argparse.Namespace,
) -> list[Result]:
    with database("bare") as engine:
        room = await set_up(engine, args.stakeholders)
        bare_seconds = bare_inserts(engine, room, args.count, args.stakeholders)
        assert stored(engine) == (args.count, args.count), stored(engine)
    results = []
    for concurrency in args.concurrency:
        with database(f"dispatcher{concurrency}") as engine:
            room = await set_up(engine, args.stakeholders)
            seconds = await through_dispatcher(room, args.count, args.stakeholders, concurrency)
            assert room.adapter.acks == args.count, room.adapter.acks
            assert stored(engine) == (args.count, args.count), stored(engine)
        results.append(Result(store, args.count, concurrency, seconds, bare_seconds))
        print(results[-1].line(), flush=True)
    return results


async def profile(folder: Path, args: argparse.Namespace) -> str:
    """cProfile of the dispatcher's work, run in this thread so the profiler sees it all,
    in batches as large as the highest `--concurrency`."""
    with sqlite_database(folder, "profile") as engine:
        room = await set_up(engine, args.stakeholders)
        count = min(args.count, 5000)
        size = max(args.concurrency)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for first in range(0, count, size):
            batch = [event(i, args.stakeholders) for i in range(first, min(count, first + size))]
            for outcome in room.dispatcher.process_batch(batch):
                await room.dispatcher.deliver(outcome.messages)
        profiler.disable()
        seconds = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(
        f"\nProfile: {count:,} comments on SQLite in batches of {size}, without the worker thread: "
        f"{count / seconds:,.0f}/s under the profiler\n"
    )
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--stakeholders", type=int, default=100)
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 32],
        help="events in flight at once; a comma-separated list runs each (default 1,32)",
    )
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help="server URL; empty to skip PostgreSQL"
    )
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="consultbot-bench-") as tmp:
        folder = Path(tmp)

        @contextmanager
        def sqlite(name: str) -> Iterator[Engine]:
            with sqlite_database(folder, name) as engine:
                yield engine

        results += asyncio.run(measure("SQLite", sqlite, args))
        if args.postgres and postgres_reachable(args.postgres):

            @contextmanager
            def postgres(name: str) -> Iterator[Engine]:
                with postgres_database(args.postgres) as engine:
                    yield engine

            results += asyncio.run(measure("PostgreSQL", postgres, args))
        elif args.postgres:
            print(f"PostgreSQL: {args.postgres} is not reachable; skipped")
        for result in results:
            if result.store != "SQLite":
                continue
            goal_rate = result.dispatcher_rate >= 2000
            goal_ratio = result.bare_rate / result.dispatcher_rate <= 4
            print(
                f"Goal on SQLite with {result.concurrency} in flight: "
                f">= 2,000/s {'met' if goal_rate else 'MISSED'}; "
                f"within 4x of bare inserts {'met' if goal_ratio else 'MISSED'} "
                f"({args.stakeholders} stakeholders)"
            )
        if args.profile:
            print(asyncio.run(profile(folder, args)))


if __name__ == "__main__":
    main()
