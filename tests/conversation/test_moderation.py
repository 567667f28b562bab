"""Policies, consent to be named, hiding and flagging, retention."""

from __future__ import annotations

import re

from adapters.memory import MemoryAdapter
from bot.handlers.moderation import purge
from storage.records import Store
from tests.conversation.scenario import FACILITATOR, consultation, invite, open_round

MEMBERS = {"ana": "government", "ben": "civil-society", "sam": "secretariat"}


def first_id(text: str) -> int:
    return int(re.search(r"#(\d+)", text).group(1))


async def test_named_attribution_needs_the_persons_consent(chat: MemoryAdapter) -> None:
    await consultation(chat)
    await chat.say(FACILITATOR, "/policy attribution organisation")
    assert "attribution is now organisation" in chat.last(FACILITATOR)
    for name, group in {"ana": "government", "ben": "civil-society"}.items():
        code = await invite(chat, group)
        await chat.say(name, f"/start {code}")
        assert any("consent yes" in m for m in chat.messages(name))
        await chat.say(name, f"{name.capitalize()} Ministry")
    await chat.say(FACILITATOR, "/round open 1d")
    await chat.say("ana", "/consent yes")
    await chat.say("ana", "/comment 1 Ana agrees to be named.")
    await chat.say("ben", "/comment 1 Ben did not agree.")
    await chat.say(FACILITATOR, "/summary 1")
    summary = chat.last(FACILITATOR)
    assert "Ana Ministry (Government): “Ana agrees to be named.”" in summary
    assert "a member of Civil society: “Ben did not agree.”" in summary
    assert "Ben Ministry" not in summary


async def test_hidden_submissions_leave_summaries_and_exports(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", "/comment 1 Spam spam spam, buy now.")
    spam = first_id(chat.last("ben"))
    await chat.say("ana", f"/flag {spam} advertising")
    assert "flagged to the facilitators" in chat.last("ana")
    assert f"#{spam}" in chat.last(FACILITATOR) and "advertising" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, f"/hide {spam} advertising")
    assert "is hidden" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/summary 1")
    assert "Spam spam" not in chat.last(FACILITATOR)
    await chat.say("sam", "/export markdown")
    assert b"Spam spam" not in chat.files("sam")[-1].data
    await chat.say("ben", "/mine")
    assert "hidden by a facilitator" in chat.last("ben")
    await chat.say(FACILITATOR, f"/unhide {spam}")
    await chat.say(FACILITATOR, "/summary 1")
    assert "Spam spam" in chat.last(FACILITATOR)
    await chat.say("ana", f"/hide {spam} no")
    assert "not allowed" in chat.last("ana")


async def test_retention_blanks_old_text_but_keeps_counts(
    chat: MemoryAdapter, sqlite_store: Store, clock
) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/support 1")
    await chat.say("ben", "/comment 1 A sensitive remark.")
    await chat.say(FACILITATOR, "/policy retention 30")
    await chat.say(FACILITATOR, "/round close")
    with sqlite_store.transaction() as records:
        assert purge(records, clock.now) == {}  # not yet 30 days
    clock.advance(days=31)
    with sqlite_store.transaction() as records:
        assert purge(records, clock.now) == {1: 2}
    await chat.say(FACILITATOR, "/summary 1")
    summary = chat.last(FACILITATOR)
    assert "A sensitive remark" not in summary
    assert "Government: 1 support" in summary
    await chat.say(FACILITATOR, "/policy")
    assert "30" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/policy retention forever")
    assert "Set one of" in chat.last(FACILITATOR)
