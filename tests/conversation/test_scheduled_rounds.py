"""Rounds on a schedule, with a clock the test moves: open, remind the silent, close."""

from __future__ import annotations

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from bot.scheduler import RoundScheduler
from storage.records import Store
from tests.conversation.scenario import FACILITATOR, consultation

MEMBERS = {"ana": "government", "ben": "civil-society", "sam": "secretariat"}


async def scheduled(store: Store, clock) -> tuple[MemoryAdapter, RoundScheduler]:
    chat = MemoryAdapter()
    dispatcher = Dispatcher(store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(chat)
    scheduler = RoundScheduler(dispatcher)
    await dispatcher.start()
    dispatcher.on_schedule_change = None  # the test ticks by hand with its own clock
    return chat, scheduler


async def test_a_scheduled_round_opens_reminds_the_silent_and_closes(
    sqlite_store: Store, clock
) -> None:
    chat, scheduler = await scheduled(sqlite_store, clock)
    await consultation(chat, MEMBERS)
    await chat.say("ana", "/timezone America/New_York")
    await chat.say(FACILITATOR, "/round schedule 2026-12-02 09:00 2026-12-05 17:00 Europe/Zurich")
    answer = chat.last(FACILITATOR)  # in the zone the schedule was given in
    assert (
        "Round 1 will open tomorrow at 09:00 CET and close on Sat, Dec 5 at 17:00 CET"
        " (3 days 8 hours)" in answer
    )
    assert "Reminders to those who have not answered every paragraph of round 1:" in answer
    assert "(24 hours before the close), on Sat, Dec 5 at 15:00 CET (2 hours before" in answer
    # shown in her zone
    assert "open tomorrow at 03:00 EST and close on Sat, Dec 5 at 11:00 EST" in chat.last("ana")
    await chat.say(FACILITATOR, "/timezone")
    assert "Your time zone is UTC" in chat.last(FACILITATOR)  # a schedule leaves it as it was

    await chat.say("ana", "/support 1")
    assert "not opened yet" in chat.last("ana")
    assert await scheduler.tick() == 0  # nothing due yet

    clock.advance(days=1, hours=1)  # 2026-12-02 10:00 UTC: past the opening
    assert await scheduler.tick() == 1
    assert "Round 1 of “Spyware statement” is open" in chat.last("ben")
    opened = chat.last(FACILITATOR)  # the facilitator is told too
    assert "Round 1 of “Spyware statement” opened as scheduled on version 1" in opened
    assert "2 stakeholders told. It closes on Sat, Dec 5 at 16:00 UTC (3 days 6 hours left)" in (
        opened
    )
    for n in (1, 2, 3):
        await chat.say("ana", f"/support {n}")
        assert "Recorded" in chat.last("ana")

    chat.take("ana")
    chat.take("ben")
    clock.advance(days=2, hours=6)  # 2026-12-04 16:00 UTC: 24 h before the close
    assert await scheduler.tick() == 1
    assert "Reminder: round 1 of “Spyware statement” closes tomorrow at 16:00 UTC" in (
        chat.last("ben")
    )
    assert "(24 hours left)" in chat.last("ben")
    assert chat.messages("ana") == []  # she has answered every paragraph
    assert await scheduler.tick() == 0  # the same reminder is not sent twice

    clock.advance(hours=25)  # past the close; the 2 h reminder is long stale: dropped
    chat.take("ben")
    assert await scheduler.tick() == 1
    assert "Thank you for your input" in chat.last("ben")
    assert not any("Reminder" in m for m in chat.messages("ben"))
    assert "Summary of “Spyware statement”, round 1" in chat.last("sam")
    assert "Summary" in chat.last(FACILITATOR)
    await chat.say("ana", "/oppose 1")
    assert "closed" in chat.last("ana")


async def test_a_close_that_fell_due_while_down_runs_once_at_start(
    sqlite_store: Store, clock
) -> None:
    chat, scheduler = await scheduled(sqlite_store, clock)
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/round open 1d")

    clock.advance(days=2)  # the bot was down when the round should have closed
    chat2, restarted = await scheduled(sqlite_store, clock)
    assert await restarted.tick() == 1
    assert await restarted.tick() == 0
    assert await scheduler.tick() == 0  # an old worker ticking late changes nothing
    assert "Summary" in chat2.last(FACILITATOR)
    await chat2.say(FACILITATOR, "/status")
    assert "(closed)" in chat2.last(FACILITATOR)


async def test_bad_schedules_get_clear_answers(sqlite_store: Store, clock) -> None:
    chat, _ = await scheduled(sqlite_store, clock)
    await consultation(chat, MEMBERS)
    cases = {
        "2026-11-01 09:00 3d": "already past",
        "2027-03-28 02:30 3d Europe/Zurich": "does not exist",
        "2027-10-31 02:30 3d Europe/Zurich": "happens twice",
        "2026-12-02 09:00 2026-12-01 09:00": "must close after it opens",
        "2026-12-02 09:00 3d Mars/Olympus": "not a time zone",
        "tomorrow": "not a time I can read",
    }
    for text, expected in cases.items():
        await chat.say(FACILITATOR, f"/round schedule {text}")
        assert expected in chat.last(FACILITATOR), (text, chat.last(FACILITATOR))
    await chat.say(FACILITATOR, "/status")
    assert "No round has been opened" in chat.last(FACILITATOR)


async def test_extending_moves_the_close(sqlite_store: Store, clock) -> None:
    chat, scheduler = await scheduled(sqlite_store, clock)
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/round open 1d")
    clock.advance(hours=23)
    await chat.say(FACILITATOR, "/round extend 24h")
    clock.advance(hours=2)
    await scheduler.tick()
    await chat.say("ana", "/support 1")
    assert "Recorded" in chat.last("ana")  # still open: the close moved
    clock.advance(days=1)
    await scheduler.tick()
    await chat.say(FACILITATOR, "/status")
    assert "(closed)" in chat.last(FACILITATOR)


async def test_a_short_round_still_reminds_at_half_time_and_near_the_end(
    sqlite_store: Store, clock
) -> None:
    chat, scheduler = await scheduled(sqlite_store, clock)
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/round open 1h")
    assert (
        "Reminders to those who have not answered every paragraph of round 1: today at 09:30"
        " UTC (30 minutes before the close), today at 09:50 UTC (10 minutes before the close)"
    ) in chat.last(FACILITATOR)
    await chat.say("ana", "/support 1")
    chat.take("ana")
    chat.take("ben")
    clock.advance(minutes=30)
    assert await scheduler.tick() == 1
    assert "You have answered 1 of its 3 paragraphs" in chat.last("ana")
    assert "closes today at 10:00 UTC (30 minutes left)" in chat.last("ben")
    clock.advance(minutes=20)
    assert await scheduler.tick() == 1
    assert "(10 minutes left)" in chat.last("ben")


async def test_the_facilitator_sets_a_rounds_reminders(sqlite_store: Store, clock) -> None:
    chat, scheduler = await scheduled(sqlite_store, clock)
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/round reminders")
    assert "There is no open or scheduled round to remind for" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/round open 3d")
    for wrong in ("soon", "4d", "0h"):
        await chat.say(FACILITATOR, f"/round reminders {wrong}")
        assert f"“{wrong}” is not a time before the close" in chat.last(FACILITATOR), wrong
    await chat.say(FACILITATOR, "/round reminders 2h 48h")
    assert (
        "of round 1: tomorrow at 09:00 UTC (2 days before the close), on Fri, Dec 4 at"
        " 07:00 UTC (2 hours before the close)."
    ) in chat.last(FACILITATOR)
    chat.take("ben")
    clock.advance(days=1)
    assert await scheduler.tick() == 1
    assert "Reminder: round 1" in chat.last("ben")
    await chat.say(FACILITATOR, "/round reminders off")
    assert chat.last(FACILITATOR).startswith("Round 1 sends no reminders; /remind nudges by hand.")
    clock.advance(days=1, hours=22)
    chat.take("ben")
    assert await scheduler.tick() == 0
    assert chat.messages("ben") == []


async def test_a_round_opened_a_little_late_still_says_the_time_it_has(
    sqlite_store: Store, clock
) -> None:
    chat, scheduler = await scheduled(sqlite_store, clock)
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/round schedule 2026-12-01 09:30 5m")
    clock.advance(minutes=30, seconds=2)  # the tick comes two seconds after the opening
    assert await scheduler.tick() == 1
    assert "It closes today at 09:35 UTC (5 minutes left)." in chat.last("ben")
