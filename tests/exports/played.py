"""A consultation worth exporting, played through the bot as people would play it.

Two rounds on a three-paragraph draft: stances from three stakeholder groups, comments
that try formula and markup injection, an amendment from each of civil society and the
private sector accepted into version 2, one rejected, a withdrawn comment, a stance
changed (superseded), a comment a facilitator hid, and a delegate who then erased their
data. Two delegates agreed to be named where the policy allows; the third did not.
Names and organisations are distinctive so a test can show they never leak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from adapters.memory import MemoryAdapter
from bot.catalog import Catalog
from bot.handlers.record import build_record
from consultations.exports import Record
from storage.records import Store

FACILITATOR = "fac"
DRAFT = """# Statement on spyware

We are concerned about the misuse of intrusion software.

We will refuse export licences where there is a clear risk of misuse.

We call on companies to respect human rights.
"""
V2_P2 = "We will refuse export licences where there is a substantial risk of misuse."
V2_P3 = "We call on companies to respect human rights and publish due diligence."
REJECTED_P2 = "We will refuse export licences where misuse is likely."
# name -> (group, organisation); display names are the capitalised names
PEOPLE = {
    "quinta": ("government", "Quintessa Ministry"),
    "rurik": ("civil-society", "Rurikov Watch"),
    "xiomara": ("industry", "Xiomara Systems"),
}
CONSENTING = ("quinta", "rurik")  # agree to be named where the policy allows; xiomara does not
SECRETARIAT = "sam"
IDENTIFYING = ("Quinta", "Quintessa", "Rurik", "Xiomara", "Sam")
INJECTIONS = (
    '=HYPERLINK("http://evil.example","click")',
    "+1 from us, add a reporting duty",
    "-5 points for vagueness here",
    "@SUM(A1:A9) is what this paragraph needs",
)
MARKUP = '<script>alert("x")</script><img src="http://evil.example/x.png"> & more'
HIDDEN = "Something hidden by the facilitator."
WITHDRAWN = "On reflection, never mind this remark."
NUMBER = re.compile(r"#(\d+)")
CODE = re.compile(r"^([A-Za-z0-9_-]{20,})$", re.MULTILINE)


class Clock(Protocol):
    """The test clock of tests/conftest.py."""

    def advance(self, **kwargs: float) -> None: ...


@dataclass(frozen=True)
class Played:
    """What the scenario produced: the ids a test needs to find things again."""

    chat: MemoryAdapter
    store: Store
    amendment_cs: int  # civil society's, accepted on paragraph 2
    amendment_ps: int  # the private sector's, accepted on paragraph 3
    amendment_rejected: int
    hidden: int
    withdrawn: int

    def record(self, version: int | None = None, attribution: str | None = None) -> Record:
        with self.store.transaction() as records:
            consultation = records.consultations.get(1)
            assert consultation is not None
            if attribution is not None:
                consultation.attribution = attribution
                records.save(consultation)
            return build_record(
                records, Catalog(), None, consultation, datetime(2027, 1, 5, tzinfo=UTC), version
            )


def last_id(chat: MemoryAdapter, name: str) -> int:
    return int(NUMBER.findall(chat.last(name))[0])


async def play(chat: MemoryAdapter, store: Store, clock: Clock) -> Played:
    await chat.say(FACILITATOR, "/new Spyware statement")
    await chat.say(FACILITATOR, DRAFT)
    assert "loaded with 3 paragraphs" in chat.last(FACILITATOR)
    for name, (group, organisation) in PEOPLE.items():
        await chat.say(FACILITATOR, f"/invite {group}")
        code = CODE.search(chat.last(FACILITATOR))
        assert code, chat.last(FACILITATOR)
        await chat.say(name, f"/start {code.group(1)}")
        await chat.say(name, organisation)
        if name in CONSENTING:
            await chat.say(name, "/consent yes")
            assert "now: yes" in chat.last(name), chat.last(name)
    await chat.say(FACILITATOR, "/invite secretariat")
    code = CODE.search(chat.last(FACILITATOR))
    assert code
    await chat.say(SECRETARIAT, f"/start {code.group(1)}")
    await chat.say(FACILITATOR, "/round open 3d")
    assert "Round 1 is open" in chat.last(FACILITATOR)

    await chat.say("quinta", "/support 1")
    await chat.say("quinta", "/oppose 2")
    await chat.say("quinta", f"/comment 1 {INJECTIONS[0]}")
    await chat.say("quinta", f"/comment 2 {MARKUP}")
    clock.advance(hours=5)
    await chat.say("rurik", "/support 1")
    await chat.say("rurik", f"/amend 2 {V2_P2}")
    amendment_cs = last_id(chat, "rurik")
    await chat.say("rurik", f"/comment 3 {INJECTIONS[1]}")
    await chat.say("rurik", f"/comment 3 {INJECTIONS[2]}")
    await chat.say("rurik", f"/comment 1 {HIDDEN}")
    hidden = last_id(chat, "rurik")
    clock.advance(hours=20)
    await chat.say("xiomara", "/abstain 1")
    await chat.say("xiomara", "/support 2")
    await chat.say("xiomara", "/oppose 2")  # supersedes the support
    await chat.say("xiomara", f"/amend 3 {V2_P3}")
    amendment_ps = last_id(chat, "xiomara")
    await chat.say("xiomara", f"/amend 2 {REJECTED_P2}")
    rejected = last_id(chat, "xiomara")
    await chat.say("xiomara", f"/comment 2 {INJECTIONS[3]}")
    await chat.say("xiomara", f"/comment 3 {WITHDRAWN}")
    withdrawn = last_id(chat, "xiomara")
    await chat.say("xiomara", f"/withdraw {withdrawn}")
    with store.transaction() as records:
        row = records.submissions.get(hidden)
        assert row is not None
        row.hidden_at, row.hidden_reason = datetime(2026, 12, 1, 10, tzinfo=UTC), "off topic"
        records.save(row)

    clock.advance(hours=30)
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, f"/accept {amendment_cs} Agreed in the drafting group")
    await chat.say(FACILITATOR, f"/accept {amendment_ps}")
    await chat.say(FACILITATOR, f"/reject {rejected} Too vague")
    await chat.say(FACILITATOR, "/publish")
    assert "Version 2 published" in chat.messages(FACILITATOR)[-2], chat.messages(FACILITATOR)

    clock.advance(days=1)
    await chat.say(FACILITATOR, "/round open 2d")
    clock.advance(hours=2)
    await chat.say("quinta", "/support 2")
    clock.advance(hours=9)
    await chat.say("rurik", "/support 2")
    await chat.say("rurik", "/comment 2 Much better than before.")
    clock.advance(days=1)
    await chat.say(FACILITATOR, "/round close")
    await chat.say("rurik", "/forget")
    await chat.press("rurik", "Erase my data")
    assert "has been erased" in chat.last("rurik")
    for name in (*PEOPLE, SECRETARIAT, FACILITATOR):
        chat.take(name)
    return Played(chat, store, amendment_cs, amendment_ps, rejected, hidden, withdrawn)


V3_P1 = "We are deeply concerned about the misuse of intrusion software."


async def play_third_version(played: Played, clock: Clock) -> int:
    """After `play`, a third round on version 2 in which the government's amendment to
    paragraph 1 is accepted, and version 3 published. Returns that amendment's id."""
    chat = played.chat
    clock.advance(days=1)
    await chat.say(FACILITATOR, "/round open 2d")
    await chat.say("quinta", f"/amend 1 {V3_P1}")
    amendment = last_id(chat, "quinta")
    clock.advance(days=1)
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, f"/accept {amendment}")
    await chat.say(FACILITATOR, "/publish")
    assert "Version 3 published" in chat.messages(FACILITATOR)[-2], chat.messages(FACILITATOR)
    for name in (*PEOPLE, SECRETARIAT, FACILITATOR):
        chat.take(name)
    return amendment
