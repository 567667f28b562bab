"""Everyone can read the current text and see what changed since they last reviewed it."""

from __future__ import annotations

import re

from adapters.memory import MemoryAdapter
from bot.events import Mark
from tests.conversation.scenario import FACILITATOR, open_round

MEMBERS = {"ana": "government", "ben": "civil-society", "sam": "secretariat"}
SUBSTANTIAL = "We will refuse export licences where there is a substantial risk of misuse."


async def second_version(chat: MemoryAdapter) -> int:
    """Ana and Ben review version 1; Ben's amendment to paragraph 2 makes version 2.
    Returns the amendment's id."""
    await open_round(chat, MEMBERS)
    for n in (1, 2, 3):
        await chat.say("ana", f"/support {n}")
    await chat.say("ben", f"/amend 2 {SUBSTANTIAL}")
    found = re.search(r"Recorded #(\d+)", chat.last("ben"))
    assert found, chat.last("ben")
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, f"/accept {found.group(1)}")
    await chat.say(FACILITATOR, "/publish")
    return int(found.group(1))


async def test_a_stakeholder_reads_the_current_text_during_a_round(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/read")
    text = chat.last("ana")
    assert text.startswith("“Spyware statement”, version 1 of 2026-12-01 09:00 UTC:")
    assert "Round 1 is open: it closes on Fri, Dec 4 at 09:00 UTC (3 days left)." in text
    assert "¶1 We are concerned about the misuse of intrusion software." in text
    assert "¶3 We call on companies to respect human rights." in text
    assert "changed" not in text  # the first version: nothing to compare with
    await chat.say("ana", "read 2")  # the bare word works as well
    assert "¶2 We will refuse export licences" in chat.last("ana")
    assert "¶1" not in chat.last("ana")
    await chat.say("ana", "/read 7")
    assert "There is no paragraph 7: the draft has paragraphs 1 to 3." in chat.last("ana")
    await chat.say("sam", "/read")  # the secretariat reads it too; it gives no input
    assert "¶1 We are concerned" in chat.last("sam") and "/review" not in chat.last("sam")


async def test_a_stakeholder_asking_for_the_draft_gets_its_text(chat: MemoryAdapter) -> None:
    """The opening message says "the draft"; a delegate who sends `draft` reads it, while
    the secretariat gets the document's outline."""
    await open_round(chat, MEMBERS)
    await chat.say("ben", "draft")
    text = chat.last("ben")
    assert text.startswith("“Spyware statement”, version 1 of 2026-12-01 09:00 UTC:"), text
    assert "¶3 We call on companies to respect human rights." in text
    await chat.say("sam", "/draft")
    assert "¶3 We call on companies" not in chat.last("sam")
    assert "3 paragraphs" in chat.last("sam"), chat.last("sam")


async def test_after_publishing_each_reader_sees_what_changed_and_who_changed_it(
    chat: MemoryAdapter,
) -> None:
    amendment = await second_version(chat)
    notice = chat.last("ana")
    assert "Version 2 of “Spyware statement” has been published (1 amendment accepted)" in notice
    assert "Send /read to read it, /diff to see what changed." in notice

    await chat.say("ana", "/read")
    text = chat.last("ana")
    assert "1 paragraph changed since version 1, which you reviewed: ¶2." in text
    assert "¶2 We will refuse export licences where there is a [clear → substantial] risk" in text
    assert f"(changed by amendment #{amendment} (Civil society))" in text
    assert "¶1 We are concerned about the misuse of intrusion software." in text
    styled = chat.inbox[chat.chat_of("ana")][-1].message.styled
    assert styled is not None
    assert [(s.mark, s.text) for s in styled.spans if s.mark] == [
        (Mark.DELETED, "clear"),
        (Mark.INSERTED, "substantial"),
    ]

    # The secretariat reviews nothing: it sees what changed since the previous version.
    await chat.say("sam", "/read")
    assert "1 paragraph changed since version 1: ¶2." in chat.last("sam")

    # Versions and diffs are the negotiated text: stakeholders read them too.
    await chat.say("ana", "/timezone Asia/Tokyo")
    await chat.say("ana", "/versions")
    assert "v1 · 2026-12-01 18:00 Asia/Tokyo · 3 paragraphs · 0 changed by amendments" in (
        chat.last("ana")
    )
    assert "v2 · 2026-12-01 18:00 Asia/Tokyo · 3 paragraphs · 1 changed by an amendment" in (
        chat.last("ana")
    )
    await chat.say("ben", "/diff")
    assert "[clear → substantial]" in chat.last("ben")


async def test_a_new_round_offers_only_the_changed_paragraphs_first(chat: MemoryAdapter) -> None:
    amendment = await second_version(chat)
    await chat.say(FACILITATOR, "/round open 2d")
    chat.take("ana")
    await chat.say("ana", "/review")
    offer = chat.last("ana")
    assert "Review of “Spyware statement”, version 2, round 2" in offer
    assert "You have answered 0 of 3 paragraphs." in offer
    assert "Since version 1, which you reviewed, 1 paragraph has changed: ¶2." in offer
    await chat.press("ana", "Only the changed paragraphs")
    shown = chat.last("ana")
    assert shown.startswith("Paragraph 2 of 3:")
    assert f"Changed since version 1 by amendment #{amendment} (Civil society):" in shown
    assert "where there is a [clear → substantial] risk" in shown
    await chat.press("ana", "Support")
    done = chat.last("ana")
    assert done.startswith("Recorded #") and "support on paragraph 2." in done
    assert "End of the changed paragraphs. You have answered 1 of 3 paragraphs" in done

    # Someone who has not reviewed before walks every paragraph, from the first.
    await chat.say("ben", "/review")  # Ben amended paragraph 2 in round 1: he reviewed v1
    await chat.press("ben", "All paragraphs")
    assert chat.last("ben").startswith("Paragraph 1 of 3:")
