"""Amending by editing in Telegram: `consultbot run` as a process, the Bot API on loopback.

A paragraph too long for the input field comes as code (one tap copies it); a shorter one
goes into the input field through inline mode; a reply to a paragraph is an edit of it or
a comment on it; every proposal is shown as its diff before it is recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.telegram.loopback import INVITE_LINK, BotProcess, Participant
from tests.telegram.test_telegram_end_to_end import BOT, marked
from tests.telegram_api import BotAPIServer

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)
LONG = (
    "We are concerned about the misuse of intrusion software and interception tools "
    "against journalists, human rights defenders and members of the political opposition, "
    "and about the export of such technology to governments with a record of unlawful "
    "surveillance, without effective oversight, remedy or transparency."
)
DRAFT = f"""# Joint statement on surveillance exports

{LONG}

We will refuse export licences where there is a clear risk of misuse.

We call on companies to respect human rights.
""".encode()


@pytest.fixture
async def started(bot_api_server: BotAPIServer, tmp_path: Path) -> AsyncIterator[Participant]:
    """A round open on DRAFT, and Ben, a delegate, in his private chat with the bot."""
    server = bot_api_server
    fatima = Participant(server, server.create_user("Fatima"))
    ben = Participant(server, server.create_user("Ben"))
    bot = BotProcess(server, tmp_path, admins=[fatima.user])
    await bot.start()
    try:
        await fatima.say("/new Surveillance exports", expect="created")
        await fatima.send_file("draft.md", DRAFT, expect="loaded with 3 paragraphs")
        invite = await fatima.say("/invite civil-society", expect="Invite code")
        link = INVITE_LINK.search(invite.text or "")
        assert link is not None
        await ben.say(f"/start {link.group(2)}", expect="Which organisation")
        await ben.answer("Ben Institute", expect="Thank you")
        await fatima.say("/round open 3d", expect="Round 1 is open")
        await ben.receive("Send /review to begin")
        yield ben
    finally:
        await bot.kill()


async def test_a_long_paragraph_to_copy_replies_edit_again_cancel_identical_unrelated(
    started: Participant,
) -> None:
    ben = started
    assert len(LONG) > 256
    first = await ben.say("/review", expect="Paragraph 1 of 3")
    asked = await ben.press("Amend", expect="Your proposed text for paragraph 1")
    assert marked(asked) == [("code", LONG)]  # too long for the input field: code to copy
    assert asked.buttons == [] and asked.force_reply  # so no inline button; a reply instead

    await ben.answer(LONG, expect="The proposed text is the same as the paragraph")
    other = "We call on companies to respect human rights."
    seen = await ben.answer(other, expect="keeps only")
    assert [label for label, _ in seen.buttons] == ["As a comment", "As its new text", "Cancel"]
    await ben.press("Cancel", expect="Your proposed text for paragraph 1 was not sent.")

    # A reply to the paragraph's message in his own words, a few changed: an edit.
    edited = LONG.replace("concerned about", "alarmed by")
    preview = await ben.say(edited, expect="Record this amendment?", reply_to=first)
    assert marked(preview) == [("strikethrough", "concerned about"), ("bold", "alarmed by")]
    again = await ben.press("Edit again", expect="to change further")
    assert marked(again) == [("code", edited)]  # his proposal, to change further
    final = edited.replace("effective oversight", "independent oversight")
    preview = await ben.answer(final, expect="Record this amendment?")
    assert ("bold", "independent") in marked(preview)
    await ben.press("Record it", expect="amendment on paragraph 1")

    # A reply unlike the paragraph is a comment on it.
    second = next(m for m in reversed(ben.messages()) if "Paragraph 2 of 3" in (m.text or ""))
    await ben.say("Clear risk is too weak.", expect="comment on paragraph 2", reply_to=second)

    # A short paragraph goes into the input field; sent as typed, the bot's name is dropped.
    await ben.say("/review all", expect="Paragraph 1 of 3")
    await ben.press("Skip", expect="Paragraph 2 of 3")
    await ben.press("Skip", expect="Paragraph 3 of 3")
    asked = await ben.press("Amend", expect="Your proposed text for paragraph 3")
    assert asked.inline_switch("Edit it here") == other
    preview = await ben.say(
        f"@{BOT} We call on states to respect human rights.", expect="Record this amendment?"
    )
    assert marked(preview) == [("strikethrough", "companies"), ("bold", "states")]
    mine = await ben.say("/mine", expect="Your input")
    assert "paragraph 3" not in (mine.text or "")  # nothing recorded before Record it
