"""Delphi feedback: after a round, delegates see what the groups said and what was decided."""

from __future__ import annotations

import re

from adapters.memory import MemoryAdapter
from tests.conversation.scenario import FACILITATOR, open_round

MEMBERS = {
    "ana": "government",
    "ben": "civil-society",
    "bea": "civil-society",
    "cho": "industry",
    "sam": "secretariat",
}
AMEND_2 = "We will refuse export licences where there is a substantial risk of misuse."
OTHER_2 = "We will refuse export licences where misuse is established."
CONCERN = "A clear risk test is unworkable for companies that sell to many countries."


def ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"#(\d+)", text)]


async def a_round_with_amendments(chat: MemoryAdapter) -> tuple[int, int]:
    await open_round(chat, MEMBERS)
    for name in ("ana", "ben", "bea"):
        await chat.say(name, "/support 2")
    await chat.say("cho", "/oppose 2")
    await chat.say("cho", f"/comment 2 {CONCERN}")
    await chat.say("ben", f"/amend 2 {AMEND_2}")
    accepted = ids(chat.last("ben"))[0]
    await chat.say("cho", f"/amend 2 {OTHER_2}")
    rejected = ids(chat.last("cho"))[0]
    return accepted, rejected


async def test_feedback_is_off_until_a_facilitator_turns_it_on(chat: MemoryAdapter) -> None:
    await a_round_with_amendments(chat)
    await chat.say(FACILITATOR, "/feedback")
    assert chat.last(FACILITATOR).startswith("Delphi feedback is off")
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, "/feedback send")
    assert "Delphi feedback is off for this consultation. Turn it on" in chat.last(FACILITATOR)
    await chat.say("ana", "/feedback on")
    assert "not allowed" in chat.last("ana")
    for name in ("ana", "ben", "bea", "cho"):
        assert not any("What the groups said" in m for m in chat.messages(name))


async def test_delegates_receive_the_digest_with_the_decisions_when_the_version_is_published(
    chat: MemoryAdapter,
) -> None:
    accepted, rejected = await a_round_with_amendments(chat)
    await chat.say(FACILITATOR, "/feedback on")
    assert chat.last(FACILITATOR).startswith("Delphi feedback is on")
    await chat.say("bea", "/language fr")
    await chat.say(FACILITATOR, "/round close")
    assert "Delphi feedback is on: delegates will receive" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, f"/accept {accepted} Agreed in the drafting group.")
    await chat.say(FACILITATOR, f"/reject {rejected} Weaker than the UN Guiding Principles.")
    for name in ("ana", "ben", "bea", "cho"):
        chat.take(name)

    await chat.say(FACILITATOR, "/feedback")  # what delegates will read, before it goes
    preview = chat.last(FACILITATOR)
    assert "What the groups said in round 1 of “Spyware statement”" in preview

    await chat.say(FACILITATOR, "/publish")
    assert "The digest of round 1 has been sent to 4 delegates." in chat.last(FACILITATOR)
    digest = next(m for m in chat.take("ana") if "What the groups said" in m)
    assert (
        "  Groups divided: Government 1 of 1 support · Civil society 2 of 2 support"
        " · Private sector 1 of 1 oppose" in digest
    )
    assert f"a member of Private sector: “{CONCERN}”" in digest  # by group, never by name
    assert "Cho Org" not in digest
    assert f"Amendment #{accepted} by a member of Civil society" in digest
    assert "accepted. Agreed in the drafting group." in digest
    assert "rejected. Reason: Weaker than the UN Guiding Principles." in digest
    assert "Nobody said anything on: ¶1, ¶3" in digest and "¶1 “" not in digest
    assert "send /review when it opens" in digest
    # each delegate in their own language
    french = next(m for m in chat.take("bea") if "Ce que les groupes ont dit" in m)
    assert "rejeté. Motif\u202f: Weaker than the UN Guiding Principles." in french
    assert any("What the groups said" in m for m in chat.take("cho"))

    await chat.say(FACILITATOR, "/feedback send")  # nobody receives it twice
    assert "already received the digest of round 1" in chat.last(FACILITATOR)


async def test_feedback_sent_without_publishing(chat: MemoryAdapter) -> None:
    await a_round_with_amendments(chat)
    await chat.say(FACILITATOR, "/feedback on")
    await chat.say(FACILITATOR, "/feedback send")
    assert "Round 1 is not closed yet" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, "/feedback send")
    assert "sent to 4 delegates" in chat.last(FACILITATOR)
    digest = chat.last("ben")
    assert "not decided yet" in digest
    assert chat.messages("sam")[-1] != digest  # the secretariat is no delegate
