"""Many people at once: events that arrive together share a transaction, and each person
still gets exactly their own answer, their input stored once, whatever else is in the batch."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Sequence

import pytest

from adapters.memory import MemoryAdapter
from bot.commands import registry
from bot.commit import GroupCommit
from bot.dispatcher import Dispatcher, Outcome
from bot.events import ChatId, Inbound, PlatformId
from storage.records import Store
from tests.conversation.scenario import FACILITATOR, open_round

PEOPLE = {f"d{i}": ("government", "civil-society", "industry")[i % 3] for i in range(12)}


@pytest.fixture
async def crowd(store: Store, clock) -> MemoryAdapter:  # type: ignore[no-untyped-def]
    """A round open to twelve delegates, on SQLite and on PostgreSQL."""
    adapter = MemoryAdapter()
    dispatcher = Dispatcher(store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(adapter)
    await dispatcher.start()
    adapter.dispatcher = dispatcher  # type: ignore[attr-defined]
    await open_round(adapter, PEOPLE)
    return adapter


def batch_sizes(dispatcher: Dispatcher) -> list[int]:
    """Record how many events each transaction handled (wraps the writer's batch call)."""
    sizes: list[int] = []
    handle = dispatcher.process_batch

    def counting(events: Sequence[Inbound]) -> list[Outcome]:
        sizes.append(len(events))
        return handle(events)

    dispatcher._writer._run = counting  # type: ignore[assignment]
    return sizes


def comment(name: str, message_id: str, text: str, paragraph: int = 1) -> Inbound:
    return Inbound(
        sender=PlatformId(f"memory:{name}"),
        chat=ChatId(f"memory:{name}"),
        message_id=message_id,
        text=f"/comment {paragraph} {text}",
        display_name=name,
    )


def stored_comments(store: Store) -> list[str]:
    with store.transaction() as records:
        rounds = [r.id for r in records.rounds.live() if r.id is not None]
        return sorted(
            s.text or "" for s in records.submissions.in_rounds(rounds) if s.kind == "comment"
        )


async def test_everyone_writing_at_once_is_answered_and_stored_once(
    crowd: MemoryAdapter, store: Store
) -> None:
    dispatcher: Dispatcher = crowd.dispatcher  # type: ignore[attr-defined]
    sizes = batch_sizes(dispatcher)
    events = [comment(name, f"m-{name}", f"Remark from {name}.") for name in PEOPLE]
    redelivered = [comment(name, f"m-{name}", f"Remark from {name}.") for name in list(PEOPLE)[:4]]

    await asyncio.gather(*(crowd.deliver(event) for event in events + redelivered))

    assert max(sizes) > 1, sizes  # they did share transactions
    assert stored_comments(store) == sorted(f"Remark from {name}." for name in PEOPLE)
    for name in PEOPLE:
        answers = crowd.take(name)
        assert len(answers) == 1 and answers[0].startswith("Recorded #"), answers
        assert "comment on paragraph 1" in answers[0]


async def test_a_refusal_or_a_failure_in_a_batch_concerns_only_its_sender(
    crowd: MemoryAdapter, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatcher: Dispatcher = crowd.dispatcher  # type: ignore[attr-defined]
    sizes = batch_sizes(dispatcher)

    def broken(turn: object) -> None:
        raise RuntimeError("a bug in one command")

    monkeypatch.setitem(
        registry.commands, "help", dataclasses.replace(registry.commands["help"], handler=broken)
    )
    well = [name for name in PEOPLE if name not in ("d0", "d1")]
    events = [comment(name, f"m-{name}", f"Remark from {name}.") for name in well]
    events.append(comment("d0", "m-d0", "On a paragraph that is not there.", paragraph=9))
    events.append(
        Inbound(
            sender=PlatformId("memory:d1"),
            chat=ChatId("memory:d1"),
            message_id="m-d1",
            text="/help",
        )
    )

    await asyncio.gather(*(crowd.deliver(event) for event in events))

    assert max(sizes) > 1, sizes
    assert stored_comments(store) == sorted(f"Remark from {name}." for name in well)
    for name in well:
        assert [a[:10] for a in crowd.take(name)] == ["Recorded #"]
    assert "There is no paragraph 9" in " ".join(crowd.take("d0"))
    assert crowd.take("d1") == [
        "Something went wrong on my side and nothing was recorded. Please try again."
    ]
    # The person whose command failed is not stuck: the next thing they send works.
    await crowd.say("d1", "/comment 2 Once more, with feeling.")
    assert crowd.last("d1").startswith("Recorded #")


async def test_a_refusal_after_the_turn_wrote_undoes_the_write_alone_and_in_a_batch(
    crowd: MemoryAdapter, store: Store
) -> None:
    """`round schedule` keeps the zone a facilitator names as theirs before it finds that
    a round is already open: the refusal must take that back, in a batch as well."""
    dispatcher: Dispatcher = crowd.dispatcher  # type: ignore[attr-defined]
    sizes = batch_sizes(dispatcher)
    schedule = Inbound(
        sender=PlatformId(f"memory:{FACILITATOR}"),
        chat=ChatId(f"memory:{FACILITATOR}"),
        message_id="m-schedule",
        text="/round schedule 2027-01-05 09:00 3d Asia/Tokyo",
    )
    crowd.take(FACILITATOR)
    events = [comment(name, f"m-{name}", f"Remark from {name}.") for name in PEOPLE]
    await asyncio.gather(*(crowd.deliver(event) for event in [*events, schedule]))

    assert max(sizes) > 1, sizes
    assert crowd.take(FACILITATOR) == ["Round 1 is already open. Close it before opening another."]
    await crowd.say(FACILITATOR, "/timezone")
    assert crowd.last(FACILITATOR).startswith("Your time zone is UTC.")
    assert stored_comments(store) == sorted(f"Remark from {name}." for name in PEOPLE)
    for name in PEOPLE:
        assert [a[:10] for a in crowd.take(name)] == ["Recorded #"]

    await crowd.say(FACILITATOR, "/round schedule 2027-01-05 09:00 3d Asia/Tokyo")  # alone
    assert "already open" in crowd.last(FACILITATOR)
    await crowd.say(FACILITATOR, "/timezone")
    assert crowd.last(FACILITATOR).startswith("Your time zone is UTC.")


async def test_events_queued_while_a_batch_is_written_go_together_into_the_next() -> None:
    started, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def run(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        if items == [0]:
            started.set()
            release.wait(10)
        if 13 in items:
            raise ValueError("this batch failed")
        return [item * 10 for item in items]

    writer: GroupCommit[int, int] = GroupCommit(run, limit=4)
    first = asyncio.ensure_future(writer.submit(0))
    await asyncio.to_thread(started.wait, 10)
    rest = [asyncio.ensure_future(writer.submit(item)) for item in (1, 2, 3, 4, 5, 13)]
    await asyncio.sleep(0)  # one turn of the loop, not a wait: each submits, behind the batch
    release.set()
    results = await asyncio.gather(first, *rest, return_exceptions=True)

    assert batches == [[0], [1, 2, 3, 4], [5, 13]]
    assert results[:5] == [0, 10, 20, 30, 40]
    assert all(isinstance(r, ValueError) for r in results[5:])
