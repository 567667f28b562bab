"""A delegate always knows where they stand: what the review says, how every input is
acknowledged, what cancel stops, which words work, and who has answered."""

from __future__ import annotations

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from bot.events import Capability
from storage.records import Store
from tests.clocks import Clock
from tests.conversation.scenario import FACILITATOR, consultation, invite, open_round

MEMBERS = {"ana": "government", "ben": "civil-society", "cho": "industry"}


async def plain_chat(store: Store, clock: Clock, capabilities: Capability) -> MemoryAdapter:
    """A platform with `capabilities` (none: numbered choices, as in the console)."""
    adapter = MemoryAdapter(capabilities=capabilities)
    dispatcher = Dispatcher(store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(adapter)
    await dispatcher.start()
    return adapter


async def test_review_says_where_the_person_stands_and_goes_on_where_they_left(
    chat: MemoryAdapter, clock: Clock
) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/timezone Europe/Zurich")
    clock.advance(days=2, hours=23)  # 2026-12-04 08:00 UTC: an hour to go
    await chat.say("ana", "/support 1")
    await chat.say("ana", "/review")
    header, paragraph = chat.messages("ana")[-2:]
    assert header == (
        "Review of “Spyware statement”, version 1, round 1: it closes today at 10:00 CET"
        " (1 hour left).\nAttribution: by stakeholder group only (Chatham House): others see"
        " “a member of” your group, never your name.\nYou have answered 1 of 3 paragraphs.\n"
        "Going on from paragraph 2, the first you have not answered (/review all starts again"
        " from paragraph 1)."
    )
    assert paragraph.startswith("Paragraph 2 of 3:")
    await chat.press("ana", "Support")
    await chat.press("ana", "Skip")
    assert chat.last("ana").startswith("End of the review: you have answered 2 of 3 paragraphs.")
    await chat.say("ana", "/review")
    assert chat.last("ana").startswith("Paragraph 3 of 3:")  # the one left
    await chat.say("ana", "/support 3")
    await chat.say("ana", "/review")
    assert "You have answered every paragraph. Send /review all to go through them again" in (
        chat.last("ana")
    )
    await chat.say("ana", "/review all")
    assert chat.last("ana").startswith("Paragraph 1 of 3:")


async def test_joining_while_a_round_is_open_says_so(chat: MemoryAdapter, clock: Clock) -> None:
    await open_round(chat, {"ana": "government"})
    code = await invite(chat, "civil-society")
    clock.advance(hours=1)
    await chat.say("ben", f"/start {code}")
    assert "Which organisation do you represent?" in chat.last("ben")
    await chat.say("ben", "Ben Org")
    thanks, news = chat.messages("ben")[-2:]
    assert thanks == "Thank you. Your organisation is recorded as “Ben Org”."
    assert news == (
        "Round 1 is open: 3 paragraphs of version 1 to review. It closes on Fri, Dec 4 at"
        " 09:00 UTC (2 days 23 hours left). Send /review to begin."
    )


async def test_joining_before_a_scheduled_round_says_when_it_opens(chat: MemoryAdapter) -> None:
    await consultation(chat)
    await chat.say(FACILITATOR, "/round schedule 2026-12-02 09:00 2d")
    code = await invite(chat, "government")
    await chat.say("ana", f"/start {code}")
    await chat.say("ana", "Ana Org")
    assert chat.last("ana") == (
        "Round 1 opens tomorrow at 09:00 UTC and closes on Fri, Dec 4 at 09:00 UTC."
        " You will be told when it opens."
    )


async def test_every_path_acknowledges_input_the_same_way(
    sqlite_store: Store, clock: Clock
) -> None:
    """A number where there are no buttons, a reaction, a command: 'Recorded #…'."""
    numbers = await plain_chat(sqlite_store, clock, Capability.NONE)
    await open_round(numbers, MEMBERS)
    await numbers.say("ana", "/review")
    assert "6. Back" in numbers.last("ana")
    await numbers.say("ana", "9")
    assert numbers.last("ana") == "Reply with a number from 1 to 6."
    await numbers.say("ana", "I agree with this one")  # words where a number was asked for
    assert numbers.last("ana") == (
        "I did not understand that. Reply with a number from 1 to 6, or send a command"
        " (/help lists them)."
    )
    await numbers.say("ana", "1")
    assert numbers.last("ana").startswith("Recorded #1: support on paragraph 1. Send /withdraw 1")
    assert "Paragraph 2 of 3" in numbers.last("ana")
    await numbers.say("ana", "/support 3")
    assert (
        numbers.last("ana")
        == "Recorded #2: support on paragraph 3. Send /withdraw 2 to take it back."
    )


async def test_a_reaction_is_acknowledged_like_a_button(sqlite_store: Store, clock: Clock) -> None:
    reacting = await plain_chat(sqlite_store, clock, Capability.REACTIONS | Capability.EDITS)
    await open_round(reacting, MEMBERS)
    await reacting.say("ana", "/review")
    paragraph = reacting.inbox[reacting.chat_of("ana")][-1]
    await reacting.react("ana", paragraph.id, "👍")
    assert paragraph.text.startswith("Paragraph 1: Support (#1)")  # the message, edited
    assert reacting.last("ana").startswith("Recorded #1: support on paragraph 1.")


async def test_opposing_invites_a_reason_that_one_tap_skips(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", "/review")
    await chat.press("ben", "Oppose")
    asked = chat.last("ben")
    assert asked.startswith("Recorded #1: oppose on paragraph 1.")
    assert "Why do you oppose paragraph 1? A reason helps the drafters" in asked
    await chat.say("ben", "It names no one responsible.")
    assert chat.last("ben").startswith("Recorded #2: comment on paragraph 1.")
    assert "Paragraph 2 of 3" in chat.last("ben")
    await chat.press("ben", "Oppose")
    await chat.press("ben", "Skip")  # no reason
    assert chat.last("ben").startswith("Paragraph 3 of 3")
    await chat.say("ben", "/mine")
    mine = chat.last("ben")
    assert "paragraph 1 · oppose" in mine
    assert "paragraph 1 · comment: It names no one responsible." in mine
    assert "paragraph 2 · oppose" in mine and "paragraph 2 · comment" not in mine
    await chat.say("ben", "/oppose 3")  # the direct command suggests a reason too
    assert "To say why, send /comment 3 followed by your reason." in chat.last("ben")


async def test_cancel_says_what_it_stopped_and_what_stays_recorded(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/cancel")
    assert chat.last("ana") == "There was nothing to cancel."
    await chat.say("ana", "/review")
    for _ in range(3):
        await chat.press("ana", "Support")
    await chat.say("ana", "/review all")
    await chat.press("ana", "Skip")
    await chat.press("ana", "Comment")
    await chat.say("ana", "cancel")  # the bare word, while a comment is awaited
    assert chat.last("ana") == (
        "Your comment on paragraph 2 was not sent.\n"
        "Your 3 answers in round 1 stay recorded: /mine shows them, /review goes on."
    )
    await chat.say("ana", "/review all")
    await chat.say("ana", "/cancel")
    assert chat.last("ana").startswith("Review stopped at paragraph 1.\nYour 3 answers")


async def test_bare_words_work_in_a_private_chat_and_not_in_a_group(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "help")
    assert chat.last("ana").startswith("Commands you can use:")
    assert "/review — review the open round's paragraphs one by one" in chat.last("ana")
    await chat.say("ana", "Review")
    assert "Paragraph 1 of 3" in chat.last("ana")
    await chat.say("ana", "support 2")
    assert chat.last("ana").startswith("Recorded #1: support on paragraph 2.")
    await chat.say("ana", "mine")
    assert "paragraph 2 · support" in chat.last("ana")
    await chat.say("ana", "comment two")
    assert chat.messages("ana")[-2] == "“two” is not a valid N."
    assert chat.last("ana") == "Usage: /comment N TEXT..."
    await chat.say("ana", "hello")
    assert chat.last("ana") == (
        "I did not understand that. Send /help to see the commands you can use."
    )
    chat.take("ana")
    await chat.say("ana", "help", group="coalition")
    await chat.say("ana", "support 1", group="coalition")
    assert chat.messages("memory:coalition") == [] and chat.messages("ana") == []


async def test_counts_read_as_a_person_would_write_them(chat: MemoryAdapter) -> None:
    await consultation(chat, {"ana": "government"})
    await chat.say(FACILITATOR, "/round open 5m")
    opened = chat.last(FACILITATOR)
    assert "it closes today at 09:05 UTC (5 minutes left). 1 stakeholder has been told." in opened
    await chat.say(FACILITATOR, "/invite government")
    assert "(1 use, until" in chat.last(FACILITATOR)


async def test_status_names_only_where_the_policy_and_the_person_allow(
    chat: MemoryAdapter,
) -> None:
    await consultation(chat, {**MEMBERS, "dan": "government"})
    await chat.say(FACILITATOR, "/policy attribution organisation")
    for name in ("ana", "ben"):
        await chat.say(name, "/consent yes")
    await chat.say(FACILITATOR, "/round open 3d")
    for n in (1, 2, 3):
        await chat.say("ana", f"/support {n}")
    await chat.say("ben", "/oppose 2")
    await chat.say("dan", "/support 1")
    await chat.say(FACILITATOR, "/status")
    status = chat.last(FACILITATOR).splitlines()
    assert status[2:] == [
        "Government: every paragraph 1, some 1, none 0 (of 2)",
        "  every paragraph: Ana Org",
        "  some: 1 person not named",  # Dan did not agree to be named
        "Civil society: every paragraph 0, some 1, none 0 (of 1)",
        "  some: Ben Org (1/3)",
        "Private sector: every paragraph 0, some 0, none 1 (of 1)",
        "  none yet: 1 person not named",
    ]
