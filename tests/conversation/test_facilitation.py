"""The facilitator's and secretariat's side: rounds, decisions, versions, exports, erasure."""

from __future__ import annotations

import io
import re

import docx

from adapters.memory import MemoryAdapter
from bot.events import Attachment, Mark
from tests.conversation.scenario import FACILITATOR, consultation, open_round

MEMBERS = {"ana": "government", "ben": "civil-society", "cho": "industry", "sam": "secretariat"}
BETTER_2 = "We will refuse export licences where there is a substantial risk of misuse."
OTHER_2 = "We will refuse export licences where misuse is likely."


def ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"#(\d+)", text)]


async def test_opening_a_round_tells_every_stakeholder(chat: MemoryAdapter) -> None:
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/round open 72h")
    assert "3 stakeholders have been told" in chat.last(FACILITATOR)
    for name in ("ana", "ben", "cho"):
        assert "Round 1 of “Spyware statement” is open" in chat.last(name)
        assert "3 paragraphs" in chat.last(name) and "(3 days left)" in chat.last(name)
    assert chat.messages("sam") == []
    await chat.say(FACILITATOR, "/round open 1d")
    assert "already open" in chat.last(FACILITATOR)


async def test_a_round_cannot_open_without_a_draft(chat: MemoryAdapter) -> None:
    await chat.say(FACILITATOR, "/new Empty one")
    await chat.say(FACILITATOR, "/cancel")
    await chat.say(FACILITATOR, "/round open 1d")
    assert "no draft yet" in chat.last(FACILITATOR)


async def test_a_bad_draft_gets_a_clear_answer_and_a_good_one_follows(chat: MemoryAdapter) -> None:
    await chat.say(FACILITATOR, "/new From a file")
    await chat.say(FACILITATOR, "", attachment=Attachment("draft.pdf", b"%PDF-1.4"))
    assert "draft.pdf is not a format I can read" in chat.messages(FACILITATOR)[-2]
    document = docx.Document()
    document.add_heading("Statement", level=1)
    document.add_paragraph("First paragraph of the statement.")
    document.add_paragraph("Second paragraph of the statement.")
    buffer = io.BytesIO()
    document.save(buffer)
    await chat.say(FACILITATOR, "", attachment=Attachment("draft.docx", buffer.getvalue()))
    assert "loaded with 2 paragraphs" in chat.last(FACILITATOR)


async def test_status_remind_extend_and_close(chat: MemoryAdapter, clock) -> None:
    await open_round(chat, MEMBERS)
    for n in (1, 2, 3):
        await chat.say("ana", f"/support {n}")
    await chat.say("ben", "/oppose 2")
    await chat.say(FACILITATOR, "/status")
    status = chat.last(FACILITATOR)
    assert "It closes on Fri, Dec 4 at 09:00 UTC (3 days left)." in status
    assert "Government: every paragraph 1, some 0, none 0 (of 1)" in status
    assert "Civil society: every paragraph 0, some 1, none 0 (of 1)" in status
    assert "Private sector: every paragraph 0, some 0, none 1 (of 1)" in status
    assert "Org" not in status  # attribution by group: counted, never named
    chat.take("ana")
    await chat.say(FACILITATOR, "/remind")
    assert "sent to 2 stakeholders who have not answered every paragraph" in chat.last(FACILITATOR)
    assert chat.messages("ana") == []  # she has answered every paragraph: no nudge
    assert "You have answered 1 of its 3 paragraphs" in chat.last("ben")
    assert "we have not heard from you yet" in chat.last("cho")
    await chat.say(FACILITATOR, "/remind industry")
    assert "sent to 1 stakeholder who has" in chat.last(FACILITATOR)
    clock.advance(hours=1)
    await chat.say(FACILITATOR, "/round extend 1d")
    assert "it now closes on Sat, Dec 5 at 09:00 UTC (3 days 23 hours left)" in chat.last(
        FACILITATOR
    )
    assert "has been extended" in chat.last("ben")
    await chat.say(FACILITATOR, "/round close")
    assert "Round 1 is closed" in chat.messages(FACILITATOR)[-2]
    assert "Summary of “Spyware statement”, round 1" in chat.last(FACILITATOR)
    assert "Summary" in chat.last("sam")  # the secretariat gets the summary too
    assert "Thank you for your input" in chat.last("ana")
    await chat.say(FACILITATOR, "/round close")
    assert "no open round" in chat.last(FACILITATOR)


async def test_amendments_decided_published_and_diffed(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", f"/amend 2 {BETTER_2}")
    better = ids(chat.last("ben"))[0]
    await chat.say("cho", f"/amend 2 {OTHER_2}")
    other = ids(chat.last("cho"))[0]
    await chat.say(
        "cho", "/amend 3 We call on companies to respect human rights and publish due diligence."
    )
    third = ids(chat.last("cho"))[0]
    await chat.say(FACILITATOR, f"/accept {better}")
    assert "still open" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, "/amendments")
    listing = chat.last(FACILITATOR)
    assert f"#{better} · paragraph 2 · a member of Civil society · open" in listing
    assert "Cho Org" not in listing  # attribution by group only
    await chat.say(FACILITATOR, f"/accept {better} Agreed in the drafting group")
    assert "Your amendment" in chat.last("ben") and "accepted" in chat.last("ben")
    await chat.say(FACILITATOR, f"/accept {better}")
    assert "already been decided" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, f"/reject {other}")
    assert "Usage: /reject ID REASON..." in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, f"/reject {other} Too vague")
    assert "rejected. Reason: Too vague" in chat.last("cho")
    await chat.say(FACILITATOR, f"/accept {third}")
    assert chat.last("cho") == f"Your amendment #{third} to “Spyware statement” was accepted."
    await chat.say(FACILITATOR, "/publish")
    published, diff = chat.messages(FACILITATOR)[-2:]
    assert "Version 2 published with 2 accepted amendments" in published
    assert "[clear → substantial]" in diff
    assert "Version 2 of “Spyware statement” has been published" in chat.last("ana")
    await chat.say(FACILITATOR, "/publish")
    assert "No accepted amendment is waiting" in chat.last(FACILITATOR)
    await chat.say("sam", "/versions")
    assert (
        "v1" in chat.last("sam")
        and "v2" in chat.last("sam")
        and "2 changed by amendments" in chat.last("sam")
    )
    await chat.say("sam", "/diff 1 2")
    assert "[clear → substantial]" in chat.last("sam")  # the plain form
    styled = chat.inbox[chat.chat_of("sam")][-1].message.styled
    assert styled is not None  # where a platform shows styles: struck through, bold
    assert [(s.mark, s.text) for s in styled.spans if s.mark] == [
        (Mark.DELETED, "clear"),
        (Mark.INSERTED, "substantial"),
        (Mark.INSERTED, " and publish due diligence"),
    ]
    await chat.say("sam", "/diff 1 7")
    assert "no version 1 or 7" in chat.last("sam")


async def test_two_accepted_amendments_on_one_paragraph_must_be_resolved(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", f"/amend 2 {BETTER_2}")
    await chat.say("cho", f"/amend 2 {OTHER_2}")
    first, second = ids(chat.last("ben"))[0], ids(chat.last("cho"))[0]
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, f"/accept {first}")
    await chat.say(FACILITATOR, f"/accept {second}")
    await chat.say(FACILITATOR, "/publish")
    assert "more than one accepted amendment" in chat.last(FACILITATOR)
    await chat.say("sam", "/versions")
    assert "v2" not in chat.last("sam")


async def test_the_record_exports_as_markdown(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", "/comment 1 A *bold* [link](http://evil.example) claim")
    await chat.say(FACILITATOR, "/round close")
    await chat.say("sam", "/export pdf")
    assert "not an export format" in chat.last("sam")
    await chat.say("sam", "/export markdown")
    files = chat.files("sam")
    assert len(files) == 1 and files[0].filename.endswith(".md")
    text = files[0].data.decode()
    assert text.startswith("# Spyware statement")
    assert "a member of Civil society" in text and "Ben Org" not in text
    assert r"\[link\](`http://evil.example`)" in text  # no live link injected into the record
    await chat.say("ana", "/export markdown")
    assert "not allowed" in chat.last("ana")


async def test_forget_erases_identity_and_keeps_input_pseudonymous(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", "/comment 1 Something worth keeping.")
    await chat.say("ben", "/forget")
    assert "cannot be undone" in chat.last("ben")
    await chat.press("ben", "Erase my data")
    assert "has been erased" in chat.last("ben")
    await chat.say(FACILITATOR, "/summary 1")
    summary = chat.last(FACILITATOR)
    assert "a member of Civil society: “Something worth keeping.”" in summary
    await chat.say("ben", "/mine")  # a new contact: nothing links back to the old person
    assert "not working on any consultation" in chat.last("ben")
