"""Joining, help, roles and refusals, as people see them."""

from __future__ import annotations

from adapters.memory import MemoryAdapter
from bot.events import Attachment
from tests.conversation.scenario import FACILITATOR, consultation, invite, open_round


async def test_start_without_code_explains_how_to_join(chat: MemoryAdapter) -> None:
    await chat.say("ana", "/start")
    assert "invite code" in chat.last("ana")


async def test_joining_with_a_code_asks_the_organisation_and_states_attribution(
    chat: MemoryAdapter,
) -> None:
    await consultation(chat)
    code = await invite(chat, "civil-society")
    await chat.say("ana", f"/start {code}")
    joined, question = chat.messages("ana")[-2:]
    assert "Spyware statement" in joined and "Civil society" in joined
    assert "Chatham House" in joined
    assert "organisation" in question
    await chat.say("ana", "Digital Rights Watch")
    assert "Digital Rights Watch" in chat.last("ana")


async def test_a_file_alone_does_not_answer_the_organisation_question(
    chat: MemoryAdapter,
) -> None:
    await consultation(chat)
    await chat.say("ana", f"/start {await invite(chat, 'civil-society')}")
    await chat.say("ana", "", attachment=Attachment("logo.png", b"\x89PNG", "image/png"))
    assert chat.last("ana").startswith("I did not understand that.")
    await chat.say("ana", "  Digital   Rights Watch ")
    assert "Digital Rights Watch" in chat.last("ana")


async def test_a_single_use_code_admits_one_person(chat: MemoryAdapter) -> None:
    await consultation(chat)
    code = await invite(chat, "government")
    await chat.say("ana", f"/start {code}")
    await chat.say("ben", f"/start {code}")
    assert "not valid" in chat.last("ben")
    await chat.say("ben", "/review")
    assert "not working on any consultation" in chat.last("ben")


async def test_an_expired_code_is_refused(chat: MemoryAdapter, clock) -> None:
    await consultation(chat)
    chat.take(FACILITATOR)
    await chat.say(FACILITATOR, "/invite industry 5 2d")
    code = chat.last(FACILITATOR).split("\n")[1]
    clock.advance(days=3)
    await chat.say("ana", f"/start {code}")
    assert "not valid" in chat.last("ana")


async def test_unknown_group_lists_the_groups(chat: MemoryAdapter) -> None:
    await consultation(chat)
    await chat.say(FACILITATOR, "/invite bankers")
    answer = chat.last(FACILITATOR)
    assert "“bankers” is not a stakeholder group" in answer
    assert "government" in answer and "civil-society" in answer


async def test_stakeholder_cannot_use_facilitator_commands_and_nothing_changes(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, {"ana": "government"})
    for command in ("/round close", "/invite government", "/publish", "/accept 1", "/remind"):
        await chat.say("ana", command)
        assert "not allowed" in chat.last("ana"), command
    await chat.say(FACILITATOR, "/status")
    assert "(open)" in chat.last(FACILITATOR)


async def test_the_secretariat_is_welcomed_without_a_group_or_attribution(
    chat: MemoryAdapter,
) -> None:
    await chat.say(FACILITATOR, "/new Spyware statement")
    code = await invite(chat, "secretariat")
    await chat.say("sam", f"/start {code}")
    assert chat.last("sam") == (
        "You have joined “Spyware statement” as secretariat.\nSend /help to see what you can do."
    )


async def test_secretariat_reads_but_does_not_run_rounds(chat: MemoryAdapter) -> None:
    await open_round(chat, {"sam": "secretariat", "ana": "government"})
    await chat.say("sam", "/status")
    assert "Government: every paragraph 0, some 0, none 1 (of 1)" in chat.last("sam")
    await chat.say("sam", "/round close")
    assert "not allowed" in chat.last("sam")
    await chat.say("sam", "/support 1")
    assert "not allowed" in chat.last("sam")


async def test_help_lists_only_what_the_person_may_do(chat: MemoryAdapter) -> None:
    await open_round(chat, {"ana": "government"})
    await chat.say("ana", "/help")
    stakeholder_help = chat.last("ana")
    assert "review" in stakeholder_help and "comment N TEXT..." in stakeholder_help
    assert "round close" not in stakeholder_help and "publish" not in stakeholder_help
    await chat.say(FACILITATOR, "/help")
    assert "round close" in chat.last(FACILITATOR) and "publish" in chat.last(FACILITATOR)


async def test_unknown_command_and_bad_arguments_show_usage(chat: MemoryAdapter) -> None:
    await open_round(chat, {"ana": "government"})
    await chat.say("ana", "/frobnicate")
    assert "no command “frobnicate”" in chat.last("ana")
    await chat.say("ana", "/comment")
    assert "Usage: /comment N TEXT..." in chat.last("ana")
    await chat.say("ana", "/support two")
    assert "“two” is not a valid N" in chat.messages("ana")[-2]
    assert "Usage: /support N" in chat.last("ana")
    await chat.say(FACILITATOR, "/round")
    assert "/round open DURATION" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/round open soon")
    assert "“soon” is not a valid DURATION" in chat.messages(FACILITATOR)[-2]


async def test_a_non_admin_cannot_create_a_consultation(chat: MemoryAdapter) -> None:
    await chat.say("eve", "/new My own consultation")
    assert "not allowed" in chat.last("eve")


async def test_stakeholder_input_is_not_taken_in_a_group_chat(chat: MemoryAdapter) -> None:
    await open_round(chat, {"ana": "government"})
    await chat.say("ana", "/support 1", group="coalition-room")
    assert "private chat" in chat.messages("coalition-room")[-1]
    await chat.say("ana", "/mine")
    assert "not given any input" in chat.last("ana")


async def test_switching_between_consultations(chat: MemoryAdapter) -> None:
    await consultation(chat)
    await chat.say(FACILITATOR, "/new Second statement")
    await chat.say(FACILITATOR, "/cancel")
    await chat.say(FACILITATOR, "/consultations")
    listing = chat.last(FACILITATOR)
    assert "1. Spyware statement" in listing and "→ 2. Second statement" in listing
    await chat.say(FACILITATOR, "/use 1")
    assert "Spyware statement" in chat.last(FACILITATOR)
    await chat.say("ana", "/use 1")
    assert "no consultation 1" in chat.last("ana")
