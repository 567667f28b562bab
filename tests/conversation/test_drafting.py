"""The draft as a document, as a facilitator loads, checks and fixes it, and as delegates
then review it: the FOC statement from Markdown, Word and pasted text; the fixes before
the first round; archiving and deleting consultations."""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from adapters.memory import MemoryAdapter
from bot.events import Attachment
from tests.conversation.scenario import FACILITATOR, invite
from tests.statements import FOC_MARKDOWN, foc_docx, foc_pasted

FOC_LOADED = (
    "Draft version 1 loaded with 8 paragraphs to review in 2 sections (Statement; Freedom "
    "Online Coalition Background), and 3 notes nobody votes on (date, link ×2). "
    "Master language: English."
)
FOC_OUTLINE = """  · note 1 (date): October 2014
§ Statement
  1. The Freedom Online Coalition is concerned that the use of surveillance…
  2. In particular, the Coalition is concerned by the increase in the use of…
  3. The Coalition notes that, as reflected in the UN Guiding Principles on Business…
  4. In addressing new and emerging challenges to Internet freedom, the members of…
§ Freedom Online Coalition Background
  5. The Freedom Online Coalition is a cross-regional group of 23 governments that…
  6. The mission and vision of the Freedom Online Coalition are founded upon the…
  7. The FOC seeks to identify best practices regarding the application of human…
  8. The FOC, through the Digital Defenders Partnership, also provides rapid response…
  · note 2 (link): www.freedomonlinecoalition.com
  · note 3 (link): twitter.com/FO_Coalition"""
NOTES = ("October 2014", "freedomonlinecoalition.com", "twitter.com")


def audited(chat: MemoryAdapter) -> list[str]:
    with chat.dispatcher.store.transaction() as records:  # type: ignore[attr-defined]
        return [event.action for event in records.audit.trail()]


async def load_foc(chat: MemoryAdapter, how: str) -> None:
    await chat.say(FACILITATOR, "/new FOC statement")
    if how == "markdown":
        await chat.say(FACILITATOR, "", attachment=Attachment("foc.md", FOC_MARKDOWN.encode()))
    elif how == "word":
        await chat.say(FACILITATOR, "", attachment=Attachment("foc.docx", foc_docx()))
    else:
        await chat.say(FACILITATOR, foc_pasted())


@pytest.mark.parametrize("how", ["markdown", "word", "pasted"])
async def test_the_foc_statement_loads_as_eight_paragraphs_and_is_reviewed_without_notes(
    chat: MemoryAdapter, how: str
) -> None:
    await load_foc(chat, how)
    loaded = chat.last(FACILITATOR).split("\n")
    assert loaded[0] == FOC_LOADED
    assert "\n".join(loaded[1:-1]) == FOC_OUTLINE
    assert loaded[-1].startswith("To fix the split: /draft exclude N, /draft include N")

    code = await invite(chat, "civil-society")
    await chat.say("ana", f"/start {code}")
    await chat.say("ana", "Access Now")
    await chat.say(FACILITATOR, "/round open 3d")
    assert "8 paragraphs of version 1" in chat.last("ana")
    await chat.say("ana", "/review")
    shown = [chat.last("ana")]
    for _ in range(8):
        await chat.press("ana", "Skip")
        shown.append(chat.last("ana"))
    assert [s.split(":", 1)[0] for s in shown[:-1]] == [f"Paragraph {n} of 8" for n in range(1, 9)]
    assert "answered 0 of 8 paragraphs" in shown[-1]
    for text in shown:
        assert not any(note in text for note in NOTES)
        assert not any(mark in text for mark in ("](", "\\", "##", "<http"))
    assert "http://www.digitaldefenders.org/." in shown[7]  # a link inside a paragraph stays


async def test_the_split_is_fixed_before_the_first_round_and_refused_after(
    chat: MemoryAdapter,
) -> None:
    await load_foc(chat, "markdown")
    await chat.say(FACILITATOR, "/draft exclude 8")
    assert chat.last(FACILITATOR) == (
        "Paragraph 8 is no longer reviewed: it stays in the text as note 2. "
        "The draft now has 7 paragraphs to review and 4 notes."
    )
    await chat.say(FACILITATOR, "/draft include 2")
    assert chat.last(FACILITATOR).startswith("Note 2 is now paragraph 8, to review.")
    await chat.say(FACILITATOR, "/draft merge 2 3")
    assert chat.last(FACILITATOR).startswith("Paragraphs 2 to 3 are now one: paragraph 2.")
    await chat.say(FACILITATOR, "/draft split 2 Curbing such use")
    assert chat.last(FACILITATOR).startswith(
        "Paragraph 2 is now two; the second, paragraph 3, starts at “Curbing such use”."
    )
    await chat.say(FACILITATOR, "/draft edit 1 The Coalition is concerned about surveillance.")
    assert chat.last(FACILITATOR) == (
        "Paragraph 1 now reads:\nThe Coalition is concerned about surveillance."
    )
    await chat.say(FACILITATOR, "/draft merge 4 5")
    assert chat.last(FACILITATOR) == (
        "Paragraphs 4 to 5 are not all in one section, so they cannot become one paragraph."
    )
    await chat.say(FACILITATOR, "/draft include 7")
    assert chat.last(FACILITATOR) == (
        "There is no note 7: the draft has notes 1 to 3. Send /draft to see them."
    )
    await chat.say(FACILITATOR, "/draft split 3 not in this paragraph")
    assert "Paragraph 3 has no “not in this paragraph” after its first words" in chat.last(
        FACILITATOR
    )
    await chat.say(FACILITATOR, "/draft")
    outline = chat.last(FACILITATOR)
    assert outline.startswith(
        "“FOC Joint Statement on the Use and Export of Surveillance Technology”, version 1: "
        "8 paragraphs to review, 3 notes. It can be changed until a round opens on it."
    )
    assert "  1. The Coalition is concerned about surveillance.\n" in outline
    assert "  3. Curbing such use of surveillance technology should be an international…" in outline

    await chat.say(FACILITATOR, "/round open 3d")
    for command in ("/draft exclude 1", "/draft edit 1 Other text.", "/draft load"):
        await chat.say(FACILITATOR, command)
        assert chat.last(FACILITATOR) == (
            "Round 1 has opened on version 1, so its text no longer changes: changes are "
            "amendments now, decided and then published."
        )
    await chat.say(FACILITATOR, "/draft")
    assert "A round has opened on it, so changes are amendments now." in chat.last(FACILITATOR)
    assert audited(chat) == [
        "consultation.created",
        "draft.loaded",
        "draft.excluded",
        "draft.included",
        "draft.merged",
        "draft.split",
        "draft.edited",
        "round.opened",
    ]


async def test_a_consultation_without_a_draft_takes_one_later_and_replaces_it_before_a_round(
    chat: MemoryAdapter,
) -> None:
    await chat.say(FACILITATOR, "/new Spyware statement")
    await chat.say(FACILITATOR, "/cancel")
    await chat.say(FACILITATOR, "/round open 1d")
    assert chat.last(FACILITATOR) == (
        "This consultation has no draft yet. Send /draft load, then the draft as a file or "
        "pasted text."
    )
    await chat.say(FACILITATOR, "/draft load")
    assert chat.last(FACILITATOR).startswith("Send the draft: a .md, .txt or .docx file")
    await chat.say(FACILITATOR, "# Statement\n\n## Preamble\n\n## Operative part")
    assert chat.messages(FACILITATOR)[-2] == (
        "That draft has headings and notes (dates, references, links) but no paragraph to "
        "review. Send the statement's text, paragraphs separated by blank lines."
    )
    await chat.say(FACILITATOR, "First paragraph.\n\nSecond paragraph.")
    assert chat.last(FACILITATOR).startswith("Draft version 1 loaded with 2 paragraphs to review.")

    await chat.say(FACILITATOR, "/translate fr")
    await chat.say(FACILITATOR, "Premier paragraphe.\n\nDeuxième paragraphe.")
    await chat.say(FACILITATOR, "/draft load")
    await chat.say(
        FACILITATOR, "", attachment=Attachment("v.md", b"First paragraph.\n\nSecond, better.")
    )
    replaced = chat.last(FACILITATOR)
    assert replaced.startswith("Draft version 1 loaded with 2 paragraphs to review.")
    assert "Translations loaded for the earlier text are out of date where it changed" in replaced
    code = await invite(chat, "government")
    await chat.say("ana", f"/start {code}")
    await chat.say("ana", "Ministère")
    await chat.say(FACILITATOR, "/round open 1d")
    await chat.say("ana", "/review", language="fr")
    assert "Premier paragraphe." in chat.last("ana")  # its text did not change
    await chat.press("ana", "Passer")
    assert chat.last("ana") == (
        "Paragraphe 2 sur 2\u202f:\n\nSecond, better.\n\n(La version en français de ce "
        "paragraphe est en cours de mise à jour\u202f; voici le texte original.)"
    )
    assert audited(chat)[:3] == ["consultation.created", "draft.loaded", "draft.translated"]
    assert "draft.replaced" in audited(chat)


async def test_archive_hides_a_consultation_and_delete_removes_one_that_never_ran(
    chat: MemoryAdapter,
) -> None:
    await chat.say(FACILITATOR, "/new First statement")
    await chat.say(FACILITATOR, "Only paragraph.")
    code = await invite(chat, "government")
    await chat.say("ana", f"/start {code}")
    await chat.say("ana", "Ministry")
    await chat.say(FACILITATOR, "/round open 1d")
    await chat.say(FACILITATOR, "/new Wrong one")
    await chat.say(FACILITATOR, "/cancel")

    await chat.say("ana", "/consultation archive 1")
    assert "not allowed to use “consultation archive”" in chat.last("ana")
    await chat.say(FACILITATOR, "/consultation archive 1")
    assert chat.last(FACILITATOR) == "Round 1 is open. Close it before archiving the consultation."
    await chat.say(FACILITATOR, "/use 1")
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, "/consultation delete 1")
    assert chat.last(FACILITATOR) == (
        "Consultation 1 has had rounds (the last, round 1), so its record stays. Archive it "
        "instead: /consultation archive 1."
    )
    await chat.say(FACILITATOR, "/consultation archive 1")
    assert chat.last(FACILITATOR).startswith("“First statement” (id 1) is archived")
    await chat.say("ana", "/consultations")
    assert chat.last("ana") == (
        "You are not part of any consultation yet. Join one with /start CODE."
    )
    await chat.say(FACILITATOR, "/consultations")
    assert "First statement" not in chat.last(FACILITATOR)
    assert "Wrong one" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/use 1")
    await chat.say(FACILITATOR, "/export md")  # still there, whole
    assert chat.files(FACILITATOR)[-1].data.decode().startswith("# First statement")

    await chat.say(FACILITATOR, "/consultation delete 2")
    assert chat.last(FACILITATOR) == (
        "Delete “Wrong one” (id 2), with its draft, invites and members? This cannot be undone."
    )
    await chat.press(FACILITATOR, "Delete it")
    assert chat.last(FACILITATOR) == "“Wrong one” (id 2) is deleted."
    await chat.say(FACILITATOR, "/use 2")
    assert "There is no consultation 2" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/consultation delete 2 confirm")
    assert "There is no consultation 2 that you facilitate" in chat.last(FACILITATOR)
    assert audited(chat)[-3:] == [
        "consultation.archived",
        "record.exported",
        "consultation.deleted",
    ]


async def test_a_word_draft_with_tracked_changes_a_table_and_restarted_numbers_is_explained(
    chat: MemoryAdapter,
) -> None:
    document = docx.Document()
    document.add_paragraph("Statement on spyware", style="Title")
    changed = document.add_paragraph("1. Calls upon states to refuse ")
    changed._p.append(
        parse_xml(
            f'<w:ins {nsdecls("w")} w:id="1" w:author="Delegation" w:date="2026-01-01T00:00:00Z">'
            "<w:r><w:t>all </w:t></w:r></w:ins>"
        )
    )
    changed.add_run("licences;")
    document.add_paragraph("2. Urges companies to comply.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Regime", "Members"
    document.add_paragraph("1. Decides to remain seized.")
    out = io.BytesIO()
    document.save(out)
    await chat.say(FACILITATOR, "/new Spyware statement")
    await chat.say(FACILITATOR, "", attachment=Attachment("statement.docx", out.getvalue()))
    assert chat.last(FACILITATOR).split("\n")[:3] == [
        "Draft version 1 loaded with 3 paragraphs to review, and 1 note nobody votes on "
        "(table). Master language: English.",
        "The Word file has tracked changes: I took its text with every change accepted.",
        "The typed numbers start again at paragraph 3 (1.). I number the paragraphs 1 to the "
        "end and keep the typed numbers as labels.",
    ]
    await chat.say(FACILITATOR, "/draft")
    assert "  1. Calls upon states to refuse all licences;" in chat.last(FACILITATOR)
    assert "  · note 1 (table): Regime · Members" in chat.last(FACILITATOR)
    assert "  3. 1. Decides to remain seized." in chat.last(FACILITATOR)  # its label shown
