"""Identity and authorization: linking accounts, throttling guesses, every command x role."""

from __future__ import annotations

import logging
import re

import pytest

from adapters.memory import MemoryAdapter
from bot.commands import registry
from bot.dispatcher import Dispatcher
from bot.permissions import GRANTS, allowed_roles
from storage.records import Store
from tests.conversation.scenario import FACILITATOR, open_round

MEMBERS = {"ana": "government", "ben": "civil-society", "sam": "secretariat", "fay": "facilitator"}


async def test_linking_a_second_platform_account(sqlite_store: Store, clock) -> None:
    telegram, matrix = MemoryAdapter(), MemoryAdapter(platform="other")
    dispatcher = Dispatcher(sqlite_store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(telegram)
    dispatcher.add(matrix)
    await dispatcher.start()
    await open_round(telegram, {"ana": "government"})
    await telegram.say("ana", "/comment 1 Said on the first platform.")
    await telegram.say("ana", "/link")
    code = telegram.last("ana").rsplit(" ", 1)[1]
    await matrix.say("ana", "/link wrong-code")
    assert "not valid" in matrix.last("ana")
    await matrix.say("ana", f"/link {code}")
    assert "/link yes" in matrix.last("ana") and "confirm" in matrix.last("ana")
    assert "like to be linked" in telegram.last("ana")
    await telegram.say("ana", "/link yes")
    assert "now linked" in telegram.last("ana") and "now linked" in matrix.last("ana")
    await matrix.say("ana", "/mine")
    assert "Said on the first platform." in matrix.last("ana")
    await matrix.say("ana", f"/link {code}")  # single use
    assert "not valid" in matrix.last("ana") or "already" in matrix.last("ana")


async def test_an_account_that_already_takes_part_cannot_be_merged(
    sqlite_store: Store, clock
) -> None:
    first, second = MemoryAdapter(), MemoryAdapter(platform="other")
    dispatcher = Dispatcher(
        sqlite_store, admins=[f"memory:{FACILITATOR}", f"other:{FACILITATOR}"], clock=clock
    )
    dispatcher.add(first)
    dispatcher.add(second)
    await dispatcher.start()
    await open_round(first, {"ana": "government"})
    await second.say(FACILITATOR, "/new Other consultation")  # this account takes part already
    await first.say("ana", "/link")
    code = first.last("ana").rsplit(" ", 1)[1]
    await second.say(FACILITATOR, "/cancel")
    await second.say(FACILITATOR, f"/link {code}")
    assert "cannot be merged" in second.last(FACILITATOR)


async def test_repeated_wrong_invite_codes_are_throttled(chat: MemoryAdapter, clock) -> None:
    await open_round(chat)
    for attempt in range(5):
        await chat.say("eve", f"/start guess-{attempt}-aaaaaaaaaaaaaaaaaaaa")
        assert "not valid" in chat.last("eve")
    await chat.say("eve", "/start guess-6-aaaaaaaaaaaaaaaaaaaa")
    assert "Too many wrong invite codes" in chat.last("eve")
    chat.take(FACILITATOR)
    await chat.say(FACILITATOR, "/invite government")
    code = re.search(r"^([A-Za-z0-9_-]{20,})$", chat.last(FACILITATOR), re.MULTILINE).group(1)
    await chat.say("eve", f"/start {code}")  # even a right code waits out the throttle
    assert "Too many wrong invite codes" in chat.last("eve")
    clock.advance(minutes=16)
    await chat.say("eve", f"/start {code}")
    assert "You have joined" in chat.messages("eve")[-2]


def test_the_permission_table_covers_every_command_and_role() -> None:
    table = allowed_roles()
    assert set(table) == set(registry.commands)
    assert table["round close"] == {"facilitator", "admin"}
    assert table["review"] == {"stakeholder"}
    assert table["summary"] == {"facilitator", "secretariat", "admin"}
    assert table["help"] == {"none", "stakeholder", "facilitator", "secretariat", "admin"}
    assert set(GRANTS) | {"anyone", "organiser"} >= {
        c.access.value for c in registry.commands.values()
    }


ROLE_OF = {
    "stakeholder": "ana",
    "secretariat": "sam",
    "facilitator": "fay",
    "admin": FACILITATOR,
    "none": "zed",
}
SAMPLE_ARGS = {
    "start": "",
    "use": "1",
    "withdraw": "1",
    "accept": "1",
    "reject": "1 because",
    "invite": "government",
    "comment": "1 text",
    "amend": "1 new text",
    "support": "1",
    "oppose": "1",
    "abstain": "1",
    "round open": "1d",
    "round extend": "1d",
    "round schedule": "2027-01-05 09:00 3d",
    "remind": "",
    "summary": "1",
    "diff": "",
    "export": "markdown",
    "new": "Another",
    "timezone": "",
    "link": "",
    "endorse": "1",
    "merge": "1 merged text",
    "forget": "",
    "hide": "1 spam",
    "unhide": "1",
    "flag": "1",
    "language": "en",
}


@pytest.mark.parametrize("command", sorted(registry.commands))
@pytest.mark.parametrize("role", sorted(ROLE_OF))
async def test_every_command_for_every_role(chat: MemoryAdapter, command: str, role: str) -> None:
    """Allowed commands do not answer 'not allowed'; refused ones do, and change nothing."""
    await open_round(chat, MEMBERS)
    person = ROLE_OF[role]
    before = await _snapshot(chat)
    await chat.say(person, f"/{command} {SAMPLE_ARGS.get(command, '')}".rstrip())
    answer = "\n".join(chat.take(person))
    refused = "not allowed" in answer or "not working on any consultation" in answer
    expected_allowed = role in allowed_roles()[command]
    assert refused is not expected_allowed, answer
    if refused:
        assert await _snapshot(chat) == before


async def _snapshot(chat: MemoryAdapter) -> tuple[str, str, str]:
    await chat.say(FACILITATOR, "/status")
    await chat.say(FACILITATOR, "/versions")
    await chat.say(FACILITATOR, "/summary")
    status, versions, summary = chat.take(FACILITATOR)[-3:]
    return status, versions, summary


async def test_logs_carry_no_message_text_and_no_platform_ids(chat: MemoryAdapter, caplog) -> None:
    caplog.set_level(logging.INFO)
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/comment 1 A very confidential position on spyware.")
    chat.blocked.add(chat.chat_of("ben"))
    await chat.say(FACILITATOR, "/remind")
    await chat.say(FACILITATOR, "/round close")
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "confidential" not in text and "spyware" not in text.lower()
    assert "memory:" not in text and "ana" not in text and "ben" not in text
