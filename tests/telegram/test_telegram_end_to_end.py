"""The whole consultation in Telegram: `consultbot run` as a process, the Bot API on loopback.

A facilitator (an admin) and three delegates from three stakeholder groups, each in their
private chat with the bot, plus a group chat where all of them sit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.telegram.loopback import INVITE_LINK, RECORDED, BotProcess, Participant
from tests.telegram_api import BadGateway, BotAPIServer, ChatMessage, TooManyRequests

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)
BOT = "consultbot_test_bot"
DRAFT = b"""# Joint statement on surveillance exports

We are concerned about the misuse of intrusion software & <b>interception</b> tools.

We will refuse export licences where there is a clear risk of misuse.

We call on companies to respect human rights.
"""
AMENDED = "We will refuse export licences where there is a substantial risk of misuse."


class Consultation:
    """The people of one consultation, and the steps they all take to set it up."""

    def __init__(self, server: BotAPIServer) -> None:
        self.server = server
        self.fatima = Participant(server, server.create_user("Fatima", language_code="en"))
        self.ana = Participant(server, server.create_user("Ana", language_code="pt"))
        self.ben = Participant(server, server.create_user("Ben", last_name="Okafor"))
        self.cho = Participant(server, server.create_user("Cho"))
        self.groups = {self.ana: "government", self.ben: "civil-society", self.cho: "industry"}

    @property
    def delegates(self) -> list[Participant]:
        return list(self.groups)

    async def load_draft(self) -> None:
        created = await self.fatima.say("/new Surveillance exports", expect="created")
        assert created.force_reply  # the draft is the answer to this
        loaded = await self.fatima.send_file("draft.md", DRAFT, expect="loaded with 3 paragraphs")
        assert "intrusion software & <b>interception</b>" in loaded.text  # escaped, not bold

    async def join(self) -> None:
        """Each delegate joins through the deep link the facilitator got from invite."""
        for delegate, group in self.groups.items():
            invite = await self.fatima.say(f"/invite {group}", expect="Invite code")
            link = INVITE_LINK.search(invite.text or "")
            assert link is not None and link.group(1) == BOT, invite.text
            code = link.group(2)
            # Tapping https://t.me/<bot>?start=<code> makes the client send "/start <code>".
            await delegate.say(f"/start {code}", expect="Which organisation")
            await delegate.answer(f"{delegate.user.first_name} Institute", expect="Thank you")

    async def open_round(self) -> None:
        await self.fatima.say("/round open 3d", expect="Round 1 is open")
        for delegate in self.delegates:
            await delegate.receive("Send /review to begin")


Launch = Callable[[Consultation], Awaitable[BotProcess]]


def marked(message: ChatMessage) -> list[tuple[str, str]]:
    """(type, text) of each formatted stretch the person sees, other than commands."""
    units = (message.text or "").encode("utf-16-le")
    return [
        (e["type"], units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"))
        for e in message.entities
        if e["type"] not in ("bot_command", "url", "mention", "hashtag")
    ]


@pytest.fixture
async def launch(bot_api_server: BotAPIServer, tmp_path: Path) -> AsyncIterator[Launch]:
    """Starts consultbot with the consultation's facilitator as admin; killed afterwards."""
    started: list[BotProcess] = []

    async def launch(people: Consultation) -> BotProcess:
        bot = BotProcess(bot_api_server, tmp_path, admins=[people.fatima.user])
        started.append(bot)
        await bot.start()
        return bot

    yield launch
    for bot in started:
        await bot.kill()


async def test_a_whole_round_in_telegram(bot_api_server: BotAPIServer, launch: Launch) -> None:
    server = bot_api_server
    people = Consultation(server)
    bot = await launch(people)
    await people.load_draft()
    await people.join()

    # Menus: each person's own, Telegram-shaped (no spaces: `round` stands for round open...).
    fatima_menu, ana_menu = people.fatima.menu(), people.ana.menu()
    assert {"round", "invite", "publish", "export"} <= set(fatima_menu)
    assert {"review", "comment", "mine"} <= set(ana_menu)
    assert "round" not in ana_menu and "review" not in fatima_menu

    await people.open_round()

    # Stances are never taken in a group: the delegate is asked to write privately.
    coalition = server.create_group("Coalition", [p.user for p in (people.fatima, *people.groups)])
    server.user_sends_text(people.ben.user, f"/oppose@{BOT} 1", coalition)
    [refusal] = await server.wait_for_messages(coalition)
    assert "for a private chat: write to me directly" in (refusal.text or "")

    # Ana reviews with the buttons: Support, Comment through a force-reply prompt, and Amend
    # by editing the paragraph's text in her input field (inline mode), then confirming.
    ana = people.ana
    first = await ana.say("/review", expect="Paragraph 1 of 3")
    assert [label for label, _ in first.buttons] == [
        "Support", "Oppose", "Comment", "Amend", "Skip", "Back"
    ]  # fmt: skip
    await ana.press("Support", expect="Paragraph 2 of 3")
    shown = server.message(ana.user, first.message_id)  # the pressed message, edited
    assert shown.text.startswith("Paragraph 1: Support (#") and shown.buttons == []
    assert all(q.answered for q in server.callback_queries.values())
    prompt = await ana.press("Comment", expect="Your comment on paragraph 2")
    assert prompt.force_reply
    await ana.answer("Clear risk is too weak a test.", expect="Paragraph 3 of 3")
    await ana.press("Back", expect="Paragraph 2 of 3")
    asked = await ana.press("Amend", expect="Your proposed text for paragraph 2")
    original = "We will refuse export licences where there is a clear risk of misuse."
    assert marked(asked) == [("code", original)]  # one tap copies it
    query = server.user_presses_inline_switch(ana.user, asked, "Edit it here")
    assert query.query == original  # in her input field, after the bot's name
    [offered] = await server.wait_for_inline_answer(query)
    assert offered["input_message_content"]["message_text"] == original
    edited = server.user_types_inline_query(ana.user, AMENDED)  # she edits the field
    [result] = await server.wait_for_inline_answer(edited)
    assert result["title"] == "Send this text" and edited.answer is not None
    assert edited.answer["is_personal"] and edited.answer["cache_time"] == 0
    before = len(ana.messages())
    server.user_chooses_inline_result(ana.user, edited, result["id"])
    preview = await ana.receive("Record this amendment?", after=before)
    assert marked(preview) == [("strikethrough", "clear"), ("bold", "substantial")]
    await ana.press("Record it", expect="Paragraph 3 of 3")
    why = await ana.press("Oppose", expect="Why do you oppose paragraph 3?")
    assert [label for label, _ in why.buttons] == ["Skip"]
    await ana.press("Skip", expect="You have answered all 3 paragraphs")

    # Ben and Cho use buttons, bare words and the direct commands.
    await people.ben.say("review", expect="Paragraph 1 of 3")  # no / needed in private
    await people.ben.press("Oppose", expect="Why do you oppose paragraph 1?")
    await people.ben.say("Nobody is named responsible.", expect="Paragraph 2 of 3")
    await people.cho.say("/support 2", expect="Recorded #")
    server.user_blocks_bot(people.cho.user)  # Cho has had enough of it
    mine = await ana.say("mine", expect="Your input")
    assert "paragraph 2 · comment: Clear risk is too weak a test." in (mine.text or "")
    helped = await ana.say("help", expect="Commands you can use")
    assert "\n/review — " in (helped.text or "")  # the form that works on Telegram

    # Close, decide, publish, export.
    fatima = people.fatima
    await fatima.say("/round close", expect="Round 1 is closed")
    await people.ben.receive("is closed. Thank you")
    amendments = await fatima.say("/amendments", expect="Amendments of round 1")
    amendment_id = (amendments.text or "").split("#")[1].split(" ")[0]
    await fatima.say(f"/accept {amendment_id} Stronger test", expect="accepted")
    await ana.receive(f"Your amendment #{amendment_id}")
    await fatima.say("/publish", expect="Version 2 published with 1 accepted")
    diff = await fatima.receive("Changes from version 1 to version 2")
    assert marked(diff) == [("strikethrough", "clear"), ("bold", "substantial")]
    await people.ben.receive("Version 2 of")
    read = await people.ben.say("read", expect="changed since version 1, which you reviewed")
    assert marked(read) == [("strikethrough", "clear"), ("bold", "substantial")]
    export = await fatima.say("/export markdown", expect="Here is")
    assert export.document is not None and export.document.file_name.endswith(".md")
    record = export.document.data.decode()
    assert AMENDED in record and "Surveillance exports" in record

    assert await bot.stop() == 0
    assert "Clear risk" not in bot.log()  # no message text in the logs

    # Cho blocked the bot: the round's close was refused (403) and marked him; the
    # announcement of version 2 then skipped him instead of trying again.
    refused = [
        call
        for call in server.calls_to("sendMessage")
        if str(call.params["chat_id"]) == str(people.cho.id) and call.status == 403
    ]
    assert len(refused) == 1
    blocked = bot.query("SELECT platform_id FROM identity WHERE blocked_at IS NOT NULL")
    assert blocked == [(f"telegram:{people.cho.id}",)]


async def test_with_flaky_telegram_every_message_arrives_once(
    bot_api_server: BotAPIServer, launch: Launch
) -> None:
    server = bot_api_server
    server.faults.randomly("*", 0.10, [TooManyRequests(retry_after=1), BadGateway()])
    people = Consultation(server)
    bot = await launch(people)
    await people.load_draft()
    await people.join()
    await people.open_round()
    # A burst: every delegate sends four comments without waiting for the answers.
    for n in range(1, 5):
        for delegate in people.delegates:
            server.user_sends_text(delegate.user, f"/comment {n % 3 + 1} Note {n}")
    for delegate in people.delegates:
        # handled after the burst (each chat's updates in order), so answered after it too
        await delegate.say("/mine", expect="Note 4")

    assert server.stats.faults_served["TooManyRequests"] > 0
    assert server.stats.faults_served["BadGateway"] > 0
    for person in (people.fatima, *people.delegates):
        texts = person.texts()
        assert len(texts) == len(set(texts)), Counter(texts).most_common(2)  # none twice
    for delegate in people.delegates:
        recorded = [t for t in delegate.texts() if t.startswith("Recorded #")]
        assert len(recorded) == 4  # every one arrived
    assert await bot.stop() == 0


async def test_killed_mid_burst_nothing_acknowledged_is_lost(
    bot_api_server: BotAPIServer, launch: Launch
) -> None:
    server = bot_api_server
    people = Consultation(server)
    bot = await launch(people)
    await people.load_draft()
    await people.join()
    await people.open_round()

    comments = {
        delegate: [f"Comment {k} of {delegate.user.first_name}" for k in range(17)]
        for delegate in people.delegates
    }  # 51 in all
    for k in range(17):
        for delegate, texts in comments.items():
            server.user_sends_text(delegate.user, f"/comment 1 {texts[k]}")

    def acknowledged() -> set[int]:
        return {
            int(match.group(1))
            for delegate in people.delegates
            for text in delegate.texts()
            if (match := RECORDED.search(text))
        }

    await server.wait_for(lambda: len(acknowledged()) >= 10, 20, "ten acknowledgements")
    await bot.kill()
    before_restart = acknowledged()
    assert len(before_restart) < 51, "the burst was over before the kill"

    await bot.start()
    await server.wait_for_updates_confirmed(timeout=30)
    for delegate in people.delegates:
        await delegate.say("/mine", expect="Your input")  # handled after the whole burst
    await bot.stop()

    stored = bot.query("SELECT id, text FROM submission WHERE kind = 'comment'")
    stored_ids = {row[0] for row in stored}
    assert acknowledged() <= stored_ids  # every acknowledged submission is stored
    assert before_restart <= stored_ids
    texts = Counter(row[1] for row in stored)
    assert max(texts.values()) == 1  # none twice
    # and because updates are confirmed only once handled, even the unacknowledged ones
    assert set(texts) == {text for texts_ in comments.values() for text in texts_}
