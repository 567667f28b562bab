"""Amending by editing: the paragraph's text to change, its diff shown before it counts."""

from __future__ import annotations

from adapters.memory import MemoryAdapter
from bot.events import Mark
from tests.conversation.scenario import FACILITATOR, open_round

MEMBERS = {"ana": "government", "ben": "civil-society"}
P2 = "We will refuse export licences where there is a clear risk of misuse."
P2_EDITED = "We will refuse export licences where there is a substantial risk of misuse."
P3 = "We call on companies to respect human rights."


async def _amend_paragraph_2(chat: MemoryAdapter, name: str = "ben") -> None:
    await chat.say(name, "/review")
    await chat.press(name, "Skip")
    await chat.press(name, "Amend")


async def test_amend_offers_the_text_to_edit_and_shows_the_diff_before_recording(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await _amend_paragraph_2(chat)
    prompt = chat.inbox[chat.chat_of("ben")][-1]
    assert "copy the paragraph below" in prompt.text and P2 in prompt.text
    assert prompt.message.styled is not None
    code = [s.text for s in prompt.message.styled.spans if s.mark is Mark.CODE]
    assert code == [P2]  # the copy to edit, marked so a platform shows it as code
    (edit_here,) = [c for row in prompt.message.choices for c in row]
    assert edit_here.prefill == P2  # where the platform can, straight into the input field

    await chat.say("ben", P2_EDITED)
    preview = chat.inbox[chat.chat_of("ben")][-1]
    assert "[clear → substantial]" in preview.text and "Record this amendment?" in preview.text
    assert preview.message.styled is not None
    marks = [(s.mark, s.text) for s in preview.message.styled.spans if s.mark]
    assert marks == [(Mark.DELETED, "clear"), (Mark.INSERTED, "substantial")]
    await chat.say("ben", "/mine")
    assert "amendment" not in chat.last("ben")  # nothing recorded before the confirmation

    await chat.say("ben", "/review all")
    await chat.press("ben", "Skip")
    await chat.press("ben", "Amend")
    await chat.say("ben", P2_EDITED)
    await chat.press("ben", "Record it")
    recorded = chat.last("ben")
    assert recorded.startswith("Recorded #") and "amendment on paragraph 2" in recorded
    assert "Paragraph 3 of 3" in recorded  # the walk goes on
    await chat.say("ben", "/mine")
    assert f"paragraph 2 · amendment: {P2_EDITED}" in chat.last("ben")


async def test_edit_again_offers_the_proposal_and_cancel_records_nothing(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await _amend_paragraph_2(chat)
    await chat.say("ben", P2_EDITED)
    await chat.press("ben", "Edit again")
    again = chat.inbox[chat.chat_of("ben")][-1]
    assert "to change further" in again.text
    assert [c.prefill for row in again.message.choices for c in row] == [P2_EDITED]
    await chat.say("ben", P2_EDITED.replace("misuse", "serious misuse"))
    assert "[+serious ]" in chat.last("ben") or "[+serious]" in chat.last("ben")
    await chat.press("ben", "Cancel")
    cancelled = chat.last("ben")
    assert "Your proposed text for paragraph 2 was not sent." in cancelled
    assert "Paragraph 2 of 3" in cancelled  # back on the paragraph, to choose again
    await chat.say("ben", "/mine")
    assert "amendment" not in chat.last("ben")


async def test_an_identical_edit_is_refused_and_the_edit_still_awaited(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await _amend_paragraph_2(chat)
    await chat.say("ben", "We will refuse export  licences where there is a clear risk of misuse.")
    assert "same as the paragraph" in chat.last("ben")
    await chat.say("ben", P2_EDITED)
    assert "[clear → substantial]" in chat.last("ben")


async def test_an_unrelated_text_is_described_and_can_be_a_comment(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await _amend_paragraph_2(chat)
    await chat.say("ben", P3)  # another paragraph pasted
    seen = chat.last("ben")
    assert "keeps only" in seen and "words of paragraph 2" in seen
    assert "Record it as a comment on the paragraph, or propose it as" in seen
    await chat.press("ben", "As a comment")
    assert "comment on paragraph 2" in chat.last("ben")
    await chat.say("ben", "/mine")
    assert f"paragraph 2 · comment: {P3}" in chat.last("ben")


async def test_a_much_longer_text_is_described_and_can_still_be_the_new_text(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await _amend_paragraph_2(chat)
    longer = " ".join([P2] * 10)
    await chat.say("ben", longer)
    assert "about 10× as long as paragraph 2" in chat.last("ben")
    await chat.press("ben", "As its new text")
    assert "Record this amendment?" in chat.last("ben")
    await chat.press("ben", "Record it")
    assert "amendment on paragraph 2" in chat.last("ben")


async def test_an_empty_edit_and_an_over_long_one_are_answered_and_still_awaited(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await _amend_paragraph_2(chat)
    await chat.say("ben", "…")
    assert "Nothing of paragraph 2 is left in your edit" in chat.last("ben")
    await chat.say("ben", "x" * 4001)
    assert "4,000" in chat.last("ben") or "4000" in chat.last("ben")
    await chat.say("ben", P2_EDITED)
    assert "[clear → substantial]" in chat.last("ben")


async def test_a_reply_to_a_paragraph_is_a_comment_or_an_edit(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/review")
    shown = chat.last_id("ana", "Paragraph 1 of 3")
    await chat.say("ana", "Too vague about who is concerned.", reply_to=shown)
    assert "comment on paragraph 1" in chat.last("ana")
    assert "Paragraph 2 of 3" in chat.last("ana")  # replying to the paragraph shown: on
    second = chat.last_id("ana", "Paragraph 2 of 3")
    await chat.say("ana", P2_EDITED, reply_to=second)
    assert "[clear → substantial]" in chat.last("ana")
    await chat.press("ana", "Record it")
    assert "amendment on paragraph 2" in chat.last("ana")
    # Half the words kept: the bot asks rather than guess.
    await chat.say(
        "ana", "We worry about spyware sold to abusive governments and its misuse.", reply_to=shown
    )
    assert "Record it as a comment on the paragraph" in chat.last("ana")
    await chat.press("ana", "As its new text")
    await chat.press("ana", "Record it")
    assert "amendment on paragraph 1" in chat.last("ana")


async def test_the_facilitator_sees_each_amendment_as_its_diff_and_the_full_text_on_request(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await _amend_paragraph_2(chat)
    await chat.say("ben", P2_EDITED)
    await chat.press("ben", "Record it")
    await chat.say(FACILITATOR, "/amendments")
    listing = chat.last(FACILITATOR)
    assert "[clear → substantial]" in listing and P2_EDITED not in listing
    amendment_id = listing.split("#", 1)[1].split(" ", 1)[0]
    await chat.say(FACILITATOR, f"/amendment {amendment_id}")
    full = chat.last(FACILITATOR)
    assert P2_EDITED in full and "[clear → substantial]" in full
