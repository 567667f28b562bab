"""consultbot on Matrix, end to end: `consultbot run` as a subprocess, people as nio clients,
a real Synapse between them.

Each test registers fresh users on the session's homeserver and starts its own bot
process with its own database and store; waits poll with timeouts.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import stat
import urllib.request
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import nio
import pytest

from tests.matrix.matrix_chat import CODE, TIMEOUT, BotProcess, Person, bot_env
from tests.waits import eventually

if TYPE_CHECKING:
    from tests.matrix.conftest import MatrixUserFactory
    from tests.matrix_homeserver import SynapseServer

DRAFT = """# Statement on spyware

We are concerned about the misuse of intrusion software.

We will refuse export licences where there is a clear risk of misuse.

We call on companies to respect human rights.
"""
AMENDED = "We will refuse export licences where there is a substantial risk of misuse."

PeopleFactory = Callable[..., Awaitable[Person]]
BotFactory = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def person(matrix_user: MatrixUserFactory) -> AsyncIterator[PeopleFactory]:
    """``await person("ana", bot, encryption=True, server=...)`` -> a Person who syncs."""
    made: list[Person] = []

    async def make(name: str, bot: str, **kwargs: object) -> Person:
        someone = Person(await matrix_user(name, **kwargs), bot)  # type: ignore[arg-type]
        made.append(someone)
        return someone

    yield make
    for someone in made:
        await someone.close()


@pytest.fixture
async def consultbot(
    tmp_path: Path, synapse: SynapseServer
) -> AsyncIterator[Callable[..., tuple[str, Callable[..., Awaitable[BotProcess]]]]]:
    """``user_id, start = consultbot(admins=[...])``: a bot account; ``await start()`` runs it.

    The account is registered first, so people can invite it before it runs.
    """
    bots: list[BotProcess] = []

    def account(
        *, admins: list[str], server: SynapseServer | None = None, use_token: bool = False
    ) -> tuple[str, Callable[[], Awaitable[BotProcess]]]:
        server = server or synapse
        password = secrets.token_urlsafe(16)
        user_id, token = server.register_user(f"consultbot-{secrets.token_hex(4)}", password)
        workdir = tmp_path / user_id.split(":")[0].lstrip("@")
        workdir.mkdir()
        env = bot_env(
            workdir,
            homeserver=server.base_url,
            user_id=user_id,
            admins=admins,
            password=None if use_token else password,
            access_token=token if use_token else None,
        )
        process = BotProcess(workdir, env)
        bots.append(process)

        async def start() -> BotProcess:
            await process.start()
            return process

        return user_id, start

    yield account
    for process in bots:
        process.stop()


def devices(server: SynapseServer, token: str) -> list[str]:
    request = urllib.request.Request(
        server.base_url + "/_matrix/client/v3/devices",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [d["device_id"] for d in json.load(response)["devices"]]


def code_in(event: nio.Event) -> str:
    match = CODE.search(event.body)
    assert match, event.body
    return match.group(1)


def submission_id(event: nio.Event) -> int:
    match = re.search(r"Recorded #(\d+)", event.body)
    assert match, event.body
    return int(match.group(1))


# ---- (a) a whole round ------------------------------------------------------------------


async def test_a_whole_round_in_direct_messages(
    consultbot: Callable[..., tuple[str, Callable[[], Awaitable[BotProcess]]]],
    person: PeopleFactory,
    matrix_user: MatrixUserFactory,
) -> None:
    fac_client = await matrix_user("fac", encryption=True)
    bot_id, start = consultbot(admins=[fac_client.user_id])
    fac = Person(fac_client, bot_id)
    ana = await person("ana", bot_id, encryption=True)
    ben = await person("ben", bot_id)
    cho = await person("cho", bot_id)
    bot = await start()
    try:
        # The facilitator, in an encrypted DM: a consultation from a draft file.
        await fac.open_dm(encrypted=True)
        await fac.ask("!new Spyware statement", "created")
        await fac.send_file("spyware.md", DRAFT.encode(), "text/markdown")
        await fac.expect("Draft version 1 loaded with 3 paragraphs")
        codes = {}
        for name, group in (("ana", "government"), ("ben", "civil-society"), ("cho", "industry")):
            codes[name] = code_in(await fac.ask(f"!invite {group} 1", "Invite code"))

        # Three stakeholders join, each in their own DM; ana's is encrypted.
        for someone, name in ((ana, "ana"), (ben, "ben"), (cho, "cho")):
            await someone.open_dm(encrypted=someone is ana)
            await someone.ask(f"!start {codes[name]}", "Which organisation")
            await someone.ask(f"{name.capitalize()} Org", "Thank you")

        await fac.ask("!round open 1d", "Round 1 is open")
        for someone in (ana, ben, cho):
            announced = await someone.expect("Round 1 of")
            assert "Send !review to begin." in announced.body  # the form Matrix takes

        # ana walks the review with numbers, and bare words: every answer acknowledged.
        await ana.say("review")
        first = await ana.expect("Paragraph 1 of 3")
        assert "Reply with a number" in first.body and "1. Support" in first.body
        await ana.ask("9", "Reply with a number from 1 to 6.")
        supported = await ana.ask("1", "Paragraph 2 of 3")
        assert supported.body.startswith("Recorded #1: support on paragraph 1.")
        await ana.ask("3", "Your comment on paragraph 2")
        commented = await ana.ask("Clear risk is too weak a test.", "Paragraph 3 of 3")
        assert commented.body.startswith("Recorded #2: comment on paragraph 2.")
        why = await ana.ask("2", "Why do you oppose paragraph 3?")
        assert why.body.startswith("Recorded #3: oppose on paragraph 3.") and "1. Skip" in why.body
        await ana.ask("1", "You have answered all 3 paragraphs")

        # ben supports paragraph 1 with a reaction, then amends paragraph 2 directly.
        await ben.say("!review")
        paragraph = await ben.expect("Paragraph 1 of 3")
        await ben.react(paragraph.event_id, "👍")
        edit = await ben.expect("Paragraph 1: Support")
        relates = edit.source["content"]["m.relates_to"]
        assert relates == {"rel_type": "m.replace", "event_id": paragraph.event_id}
        assert edit.source["content"]["m.new_content"]["body"].startswith("Paragraph 1: Support")
        after_reaction = await ben.expect("Paragraph 2 of 3")
        assert after_reaction.body.startswith("Recorded #4: support on paragraph 1.")
        amendment = submission_id(await ben.ask(f"!amend 2 {AMENDED}", "Recorded #"))

        # cho comments directly.
        await cho.ask("!comment 1 Please define intrusion software.", "Recorded #")

        # The facilitator closes, decides, publishes and exports.
        await fac.ask("!round close", "Round 1 is closed")
        summary = await fac.expect("Summary of")
        for group in ("Government", "Civil society", "Private sector"):
            assert group in summary.body, summary.body  # every group was heard
        await fac.ask(f"!accept {amendment}", f"Amendment #{amendment} accepted")
        await ben.expect(f"Your amendment #{amendment}")
        await fac.ask("!publish", "Version 2 published")
        diff = await fac.expect("Changes from version 1 to version 2")
        changed = "<del>clear</del><ins><b>substantial</b></ins>"
        assert changed in diff.source["content"]["formatted_body"]
        assert "[clear → substantial]" in diff.body  # for clients without HTML
        await ben.expect("Send !read to read it")
        read = await ben.ask("read", "changed since version 1, which you reviewed")
        assert changed in read.source["content"]["formatted_body"]
        await fac.ask("!export markdown", "Here is")
        exported = await fac.expect_file()
        assert isinstance(exported, nio.RoomEncryptedFile)  # the DM is encrypted
        assert exported.body.endswith(".md")
        record = (await fac.download(exported)).decode()
        assert "substantial risk of misuse" in record
        assert "Spyware statement" in record or "Statement on spyware" in record

        # Replies are plain text with the same text as escaped HTML.
        content = first.source["content"]
        assert content["format"] == "org.matrix.custom.html"
        assert "<br>" in content["formatted_body"]
        assert "<script" not in content["formatted_body"]
    finally:
        await fac.close()
    assert "Traceback" not in bot.log(), bot.log()[-3000:]


async def test_amending_by_replying_or_editing_a_copy_with_the_diff_to_confirm(
    consultbot: Callable[..., tuple[str, Callable[[], Awaitable[BotProcess]]]],
    person: PeopleFactory,
    matrix_user: MatrixUserFactory,
) -> None:
    fac_client = await matrix_user("fac")
    bot_id, start = consultbot(admins=[fac_client.user_id])
    fac = Person(fac_client, bot_id)
    ben = await person("ben", bot_id)
    await start()
    try:
        await fac.open_dm()
        await fac.ask("!new Spyware statement", "created")
        await fac.ask(DRAFT, "Draft version 1 loaded with 3 paragraphs")
        code = code_in(await fac.ask("!invite civil-society 1", "Invite code"))
        await ben.open_dm()
        await ben.ask(f"!start {code}", "Which organisation")
        await ben.ask("Ben Org", "Thank you")
        await fac.ask("!round open 1d", "Round 1 is open")
        await ben.expect("Round 1 of")

        # A reply to the paragraph, Element's quote of it and all: the edit, as a diff.
        paragraph = await ben.ask("!review", "Paragraph 1 of 3")
        await ben.reply(
            "We are deeply concerned about the misuse of intrusion software.", paragraph
        )
        preview = await ben.expect("Record this amendment?")
        assert "<ins><b>deeply </b></ins>concerned" in preview.source["content"]["formatted_body"]
        assert "1. Record it" in preview.body and "3. Cancel" in preview.body
        recorded = await ben.ask("1", "Paragraph 2 of 3")
        assert "amendment on paragraph 1" in recorded.body

        # Amend: a copy of the paragraph in a code block, to edit and send back.
        asked = await ben.ask("4", "Your proposed text for paragraph 2")
        original = "We will refuse export licences where there is a clear risk of misuse."
        assert f"<pre><code>{original}</code></pre>" in asked.source["content"]["formatted_body"]
        await ben.ask(original, "same as the paragraph")
        unrelated = await ben.ask("We call on companies to respect human rights.", "keeps only")
        assert "1. As a comment" in unrelated.body and "2. As its new text" in unrelated.body
        cancelled = await ben.ask("3", "Your proposed text for paragraph 2 was not sent.")
        assert "Paragraph 2 of 3" in cancelled.body
        await ben.ask("4", "Your proposed text for paragraph 2")
        await ben.ask(AMENDED.replace("misuse", "serious misuse"), "Record this amendment?")
        again = await ben.ask("2", "to change further")
        assert "serious misuse" in again.source["content"]["formatted_body"]
        preview = await ben.ask(AMENDED, "Record this amendment?")
        assert (
            "<del>clear</del><ins><b>substantial</b></ins>"
            in (preview.source["content"]["formatted_body"])
        )
        await ben.ask("1", "amendment on paragraph 2")

        listed = await fac.ask("!amendments", "Amendments of round 1")
        assert "[clear → substantial]" in listed.body and AMENDED not in listed.body
        assert "!amendment ID" in listed.body
    finally:
        await fac.close()


# ---- (b) killed and restarted ----------------------------------------------------------


async def test_killed_mid_conversation_answers_each_message_once(
    synapse: SynapseServer,
    consultbot: Callable[..., tuple[str, Callable[[], Awaitable[BotProcess]]]],
    matrix_user: MatrixUserFactory,
) -> None:
    fac_client = await matrix_user("fac")
    bot_id, start = consultbot(admins=[fac_client.user_id])
    fac = Person(fac_client, bot_id)
    bot = await start()
    try:
        await fac.open_dm()
        credentials = bot.credentials()
        mode = stat.S_IMODE((bot.store_path / "credentials.json").stat().st_mode)
        assert mode == 0o600, oct(mode)
        assert credentials["device_id"] and credentials["access_token"]
        devices_before = devices(synapse, credentials["access_token"])
        assert credentials["device_id"] in devices_before

        # In the middle of a conversation: the bot waits for the draft of a new consultation.
        await fac.ask("!new Spyware statement", "created")
        bot.kill()

        # While it is down: the draft, and a burst of messages. They come to the next start
        # as one sync batch, and the bot is killed again as soon as it has answered the
        # first: in the middle of that batch, whose position was not kept.
        await fac.say(DRAFT)
        burst = [f"ping{i}" for i in range(12)]
        for word in burst:
            await fac.say(f"!{word}")
        await bot.start()
        await fac.expect("Draft version 1 loaded with 3 paragraphs")
        bot.kill()
        answered_before_kill = sum(any(f"“{w}”" in t for t in fac.texts()) for w in burst)
        assert answered_before_kill < len(burst), "the batch was done before the kill"

        # Down again: more messages. The third start gets the whole batch again, plus these.
        down = [f"down{i}" for i in range(5)]
        for word in down:
            await fac.say(f"!{word}")
        await bot.start()
        for word in down:
            await fac.expect(f"“{word}”")
        await fac.ask("!last", "“last”")  # everything before it has been handled

        counts = Counter(word for text in fac.texts() for word in re.findall(r"“(\w+)”", text))
        assert all(counts[word] == 1 for word in [*down, "last"]), counts
        assert all(counts[word] <= 1 for word in burst), counts  # never twice
        # A reply is sent after its input is stored: the one message in hand at the kill
        # may be stored without its reply having gone out; no other may go missing.
        assert sum(counts[word] == 0 for word in burst) <= 1, counts
        assert sum("Draft version 1 loaded" in text for text in fac.texts()) == 1

        # Later starts restored the session: same device, no second login.
        assert bot.credentials()["device_id"] == credentials["device_id"]
        assert devices(synapse, credentials["access_token"]) == devices_before  # no new one
        assert bot.log().count("logged in with the password") == 1
    finally:
        await fac.close()


# ---- (c) the homeserver restarts -------------------------------------------------------


async def test_reconnects_after_the_homeserver_restarts(
    synapse: SynapseServer,
    consultbot: Callable[..., tuple[str, Callable[[], Awaitable[BotProcess]]]],
    matrix_user: MatrixUserFactory,
) -> None:
    fac_client = await matrix_user("fac")
    bot_id, start = consultbot(admins=[fac_client.user_id])
    fac = Person(fac_client, bot_id)
    bot = await start()
    try:
        await fac.open_dm()
        await fac.ask("!before", "“before”")
        await asyncio.to_thread(synapse.restart)
        await fac.ask("!after", "“after”")
        assert bot.running
        assert fac.texts().count(fac.texts()[-1]) == 1
    finally:
        await fac.close()


# ---- (d) rate limits -------------------------------------------------------------------


async def test_rate_limited_replies_all_arrive(
    synapse_rate_limited: SynapseServer,
    consultbot: Callable[..., tuple[str, Callable[[], Awaitable[BotProcess]]]],
    person: PeopleFactory,
) -> None:
    server = synapse_rate_limited
    # With the bot's token (no login: logins are rate limited too).
    bot_id, start = consultbot(admins=[], server=server, use_token=True)
    ana = await person("ana", bot_id, server=server)
    ben = await person("ben", bot_id, server=server)
    bot = await start()
    await ana.open_dm()
    await ben.open_dm()
    # Synapse's default rc_message allows a burst of 10, then one message per 5 s: these
    # 12 replies go past it.
    words = {ana: [f"a{i}" for i in range(6)], ben: [f"b{i}" for i in range(5)]}

    async def burst(someone: Person, batch: list[str]) -> None:
        for word in batch:
            await someone.say(f"!{word}")

    await asyncio.gather(*(burst(someone, batch) for someone, batch in words.items()))

    def answered(someone: Person) -> Counter[str]:
        return Counter(w for t in someone.texts() for w in re.findall(r"“(\w+)”", t))

    for someone, batch in words.items():
        await eventually(
            lambda s=someone, b=batch: all(answered(s)[w] for w in b),
            f"answers to {someone.user_id}",
            timeout=TIMEOUT + 30,
        )
    await ana.ask("!last", "“last”")  # nothing more is on its way
    assert "M_LIMIT_EXCEEDED" in bot.log() or "ratelimited" in bot.log(), bot.log()[-2000:]
    for someone, batch in words.items():
        assert all(answered(someone)[word] == 1 for word in batch), answered(someone)


# ---- group rooms ----------------------------------------------------------------------------


async def test_an_invite_code_in_a_group_room_joins_nobody_and_points_to_a_dm(
    consultbot: Callable[..., tuple[str, Callable[[], Awaitable[BotProcess]]]],
    person: PeopleFactory,
    matrix_user: MatrixUserFactory,
) -> None:
    fac_client = await matrix_user("fac")
    bot_id, start = consultbot(admins=[fac_client.user_id])
    fac = Person(fac_client, bot_id)
    ana = await person("ana", bot_id)
    ben = await person("ben", bot_id)
    await start()
    await fac.open_dm()
    await fac.ask("!new Spyware statement", "created")
    await fac.send_file("spyware.md", DRAFT.encode(), "text/markdown")
    await fac.expect("Draft version 1 loaded with 3 paragraphs")
    code = code_in(await fac.ask("!invite government 1", "Invite code"))

    # A room of three: Ana, Ben (invited) and the bot.
    ana.start_syncing()
    created = await ana.client.room_create(invite=[bot_id, ben.user_id])
    assert isinstance(created, nio.RoomCreateResponse), created
    ana.room_id = created.room_id
    await eventually(ana._bot_joined, "the bot in the group room", timeout=TIMEOUT)
    await ana.say(f"!start {code}")
    pointer = await ana.expect("write to me directly")
    assert "organisation" not in pointer.body.lower()

    await ana.open_dm()  # the code was not used up in the group
    await ana.ask(f"!start {code}", "You have joined")


async def test_a_notice_is_not_sent_into_a_direct_chat_that_became_a_group(
    consultbot: Callable[..., tuple[str, Callable[[], Awaitable[BotProcess]]]],
    person: PeopleFactory,
    matrix_user: MatrixUserFactory,
) -> None:
    fac_client = await matrix_user("fac")
    bot_id, start = consultbot(admins=[fac_client.user_id])
    fac = Person(fac_client, bot_id)
    ana = await person("ana", bot_id)
    ben = await person("ben", bot_id)
    bot = await start()
    await fac.open_dm()
    await fac.ask("!new Spyware statement", "created")
    await fac.send_file("spyware.md", DRAFT.encode(), "text/markdown")
    await fac.expect("Draft version 1 loaded with 3 paragraphs")
    code = code_in(await fac.ask("!invite government 1", "Invite code"))
    room = await ana.open_dm()
    await ana.ask(f"!start {code}", "Which organisation")
    await ana.ask("Ana Org", "Thank you")

    # Ana brings Ben into what was her direct chat with the bot.
    invited = await ana.client.room_invite(room, ben.user_id)
    assert isinstance(invited, nio.RoomInviteResponse), invited
    joined = await ben.client.join(room)
    assert isinstance(joined, nio.JoinResponse), joined
    await ana.say("!help")  # the bot has seen the room become a group
    await ana.expect("write to me directly")

    await fac.ask("!round open 1d", "Round 1 is open")
    await eventually(lambda: "delivery refused" in bot.log(), "the notice refused", timeout=TIMEOUT)
    assert not [text for text in ana.texts() if "Round 1 of" in text]
