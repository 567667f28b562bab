"""The Matrix adapter on its own, in this process, against the session's Synapse: what a
person sends becomes which `Inbound`, what the bot says becomes which event.

The handler here records events (and answers where a test says so); the whole bot is
tested in test_consultbot.py.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import nio
import pytest

from adapters.matrix.adapter import SENDS_AT_ONCE, MatrixAdapter
from adapters.matrix.state import StateFile
from adapters.matrix.sync import Position
from adapters.matrix.translate import (
    EVENT_BYTES,
    edit_content,
    event_size,
    split_styled,
    split_text,
    strip_reply_fallback,
    text_content,
)
from bot.events import (
    Attachment,
    ChatId,
    DeliveryError,
    Inbound,
    Mark,
    Outbound,
    PlatformId,
    Styled,
)
from tests.matrix.matrix_chat import TIMEOUT, Person
from tests.waits import eventually

if TYPE_CHECKING:
    from tests.matrix.conftest import MatrixUserFactory
    from tests.matrix_homeserver import SynapseServer


# ---- translation, without a homeserver ---------------------------------------------------


def test_reply_fallback_is_stripped() -> None:
    body = "> <@bot:localhost> Paragraph 1 of 3:\n> \n> We are concerned\n\n2"
    assert strip_reply_fallback(body) == "2"
    assert strip_reply_fallback("no quote here") == "no quote here"


def test_text_is_escaped_html_with_line_breaks() -> None:
    content = text_content("<b>1.</b> Support & more\nnext")
    assert content["body"] == "<b>1.</b> Support & more\nnext"
    assert content["formatted_body"] == "&lt;b&gt;1.&lt;/b&gt; Support &amp; more<br>next"
    edit = edit_content("new", "$original")
    assert edit["body"] == "* new" and edit["m.new_content"]["body"] == "new"
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$original"}


CHANGE = (
    "¶2: where there is a "
    + Styled.of("clear", Mark.DELETED)
    + Styled.of("<b>substantial</b> &", Mark.INSERTED)
    + "\nrisk"
)


def test_styled_text_is_del_and_ins_in_the_html_and_written_out_in_the_body() -> None:
    content = text_content(CHANGE)
    assert content["body"] == "¶2: where there is a [clear → <b>substantial</b> &]\nrisk"
    assert content["formatted_body"] == (
        "¶2: where there is a <del>clear</del>"
        "<ins><b>&lt;b&gt;substantial&lt;/b&gt; &amp;</b></ins><br>risk"
    )
    edit = edit_content(CHANGE, "$original")
    assert edit["m.new_content"]["formatted_body"] == content["formatted_body"]
    assert edit["formatted_body"].startswith("* ¶2")


def test_styled_text_is_split_into_events_under_the_limit_marks_counted() -> None:
    # Every other word changed: the marks weigh more than the words they mark.
    words = Styled.join(" ", [Styled.of(f"w{i}", Mark.DELETED) + " kept" for i in range(4000)])
    parts = split_styled(words)
    assert len(parts) > 1
    assert all(event_size(part) <= EVENT_BYTES for part in parts)
    assert " ".join(part.text for part in parts) == words.text


def test_long_text_is_split_at_paragraphs() -> None:
    paragraphs = [f"Paragraph {i}: " + "x" * 900 for i in range(60)]
    parts = split_text("\n\n".join(paragraphs), limit=10_000)
    assert len(parts) > 1
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)
    assert all(len(part.encode()) * 2 < 10_000 for part in parts)


def test_state_file_is_private_and_replaced_whole(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "store" / "sync.json")
    assert state.load() == {}
    state.save({"next_batch": "s1"})
    state.save({"next_batch": "s2"})
    assert state.load() == {"next_batch": "s2"}
    assert (state.path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in state.path.parent.iterdir()] == ["sync.json"]  # no temp left
    state.path.write_text("{not json")
    assert state.load() == {}


# ---- against Synapse ------------------------------------------------------------------


LAST_WORD = "!last"


class Recorder:
    """The dispatcher's seat: records events; answers with `answer(event)` if set."""

    def __init__(self) -> None:
        self.events: list[Inbound] = []
        self.adapter: MatrixAdapter | None = None
        self.answer: Callable[[Inbound], Outbound | None] | None = None

    async def __call__(self, event: Inbound) -> None:
        self.events.append(event)
        if self.answer is not None and self.adapter is not None:
            reply = self.answer(event)
            if reply is not None:
                await self.adapter.send(reply)

    async def wait(self, count: int, within: float = TIMEOUT) -> list[Inbound]:
        await eventually(lambda: len(self.events) >= count, f"{count} events", timeout=within)
        return self.events

    async def before_last_word(self, person: Person) -> list[Inbound]:
        """The events before `person`'s last word, once it came. Said after everything else
        in the room, it comes after all of it: once it is here, nothing else is on its way."""
        await person.say(LAST_WORD)
        await eventually(
            lambda: any(e.text == LAST_WORD for e in self.events), "the last word", timeout=TIMEOUT
        )
        *before, last = self.events
        assert last.text == LAST_WORD, f"events after the last word: {self.events}"
        return before


AdapterFactory = Callable[..., Awaitable[tuple[MatrixAdapter, Recorder]]]


@pytest.fixture
async def bot_account(synapse: SynapseServer) -> tuple[str, str, str]:
    password = secrets.token_urlsafe(16)
    user_id, token = synapse.register_user(f"bot-{secrets.token_hex(4)}", password)
    return user_id, password, token


@pytest.fixture
async def adapter(
    synapse: SynapseServer, tmp_path: Path, bot_account: tuple[str, str, str]
) -> AsyncIterator[AdapterFactory]:
    """``adapter, recorder = await adapter()``: a running adapter; stopped at the end."""
    running: list[MatrixAdapter] = []
    user_id, password, _ = bot_account

    async def start(**kwargs: object) -> tuple[MatrixAdapter, Recorder]:
        recorder = Recorder()
        options: dict[str, object] = {"store_path": tmp_path / "store", "password": password}
        options.update(kwargs)
        made = MatrixAdapter(synapse.base_url, user_id, **options)  # type: ignore[arg-type]
        recorder.adapter = made
        await made.start(recorder)
        running.append(made)
        await eventually(made.ready.is_set, "first sync", timeout=TIMEOUT)
        return made, recorder

    yield start
    for made in running:
        await made.stop()


@pytest.fixture
async def person(
    matrix_user: MatrixUserFactory, bot_account: tuple[str, str, str]
) -> AsyncIterator[Callable[..., Awaitable[Person]]]:
    made: list[Person] = []

    async def make(name: str = "ana", **kwargs: object) -> Person:
        someone = Person(await matrix_user(name, **kwargs), bot_account[0])  # type: ignore[arg-type]
        made.append(someone)
        return someone

    yield make
    for someone in made:
        await someone.close()


async def test_session_is_kept_and_restored(
    adapter: AdapterFactory, synapse: SynapseServer, tmp_path: Path
) -> None:
    first, _ = await adapter()
    saved = json.loads((tmp_path / "store" / "credentials.json").read_text())
    assert saved["device_id"] == first.client.device_id
    await first.stop()
    second, _ = await adapter()
    assert second.client.device_id == saved["device_id"]
    assert second.client.access_token == saved["access_token"]
    sync = json.loads((tmp_path / "store" / "sync.json").read_text())
    assert sync["next_batch"]


async def test_messages_replies_reactions_and_what_is_ignored(
    adapter: AdapterFactory, person: Callable[..., Awaitable[Person]]
) -> None:
    bot, recorder = await adapter()
    ana = await person("ana")
    await ana.open_dm()
    chat = ChatId(f"matrix:{ana.room_id}")

    said = await ana.say("!help")
    [event] = await recorder.wait(1)
    assert event.sender == f"matrix:{ana.user_id}" and event.chat == chat
    assert (event.text, event.message_id, event.private) == ("!help", said, True)

    sent = await bot.send(Outbound(chat, "Paragraph 1 of 3:\n\nWe are concerned"))
    assert sent is not None
    received = await ana.expect("Paragraph 1 of 3")
    assert received.event_id == sent

    # A reply to the bot's message carries its id, without the quoted fallback.
    await ana.say("> <@bot> Paragraph 1 of 3:\n\n2", reply_to=sent)
    # A reply to one's own message is no reply to the bot.
    await ana.say("and this", reply_to=said)
    # An edit, a notice and a reaction.
    await ana._send(
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": "* !help me",
            "m.new_content": {"msgtype": "m.text", "body": "!help me"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": said},
        },
    )
    await ana._send("m.room.message", {"msgtype": "m.notice", "body": "a bot's notice"})
    reaction = await ana.react(sent, "👍")
    events = await recorder.before_last_word(ana)  # the edit and the notice are not events
    assert len(events) == 4
    reply, other, react = events[1:]
    assert (reply.text, reply.reply_to) == ("2", sent)
    assert (other.text, other.reply_to) == ("and this", None)
    assert (react.reaction, react.reply_to, react.message_id) == ("👍", sent, reaction)

    # The bot edits its message.
    assert await bot.send(Outbound(chat, "Paragraph 1: Support (#1)", edit_of=sent)) == sent
    edit = await ana.expect("Paragraph 1: Support")
    assert edit.source["content"]["m.relates_to"]["rel_type"] == "m.replace"

    # Styled text arrives with its marks in the HTML and written out in the body.
    await bot.send(Outbound.of(chat, CHANGE))
    diff = await ana.expect("[clear → <b>substantial</b> &]")
    assert diff.source["content"]["formatted_body"] == text_content(CHANGE)["formatted_body"]


async def test_group_room_is_not_private(
    adapter: AdapterFactory,
    person: Callable[..., Awaitable[Person]],
    matrix_user: MatrixUserFactory,
) -> None:
    _, recorder = await adapter()
    ana = await person("ana")
    ben = await matrix_user("ben")
    await ana.open_dm()
    invited = await ana.client.room_invite(ana.room_id, ben.user_id)
    assert isinstance(invited, nio.RoomInviteResponse), invited
    await ben.sync(timeout=0)
    assert isinstance(await ben.join(ana.room_id), nio.JoinResponse)
    await eventually(lambda: ben.user_id in ana.room.users, "ben's join", timeout=TIMEOUT)
    await ana.say("!status")
    [event] = await recorder.wait(1)
    assert event.private is False


async def test_files_in_and_out_encrypted(
    adapter: AdapterFactory, person: Callable[..., Awaitable[Person]]
) -> None:
    bot, recorder = await adapter(max_file_bytes=1000)
    ana = await person("ana", encryption=True)
    await ana.open_dm(encrypted=True)
    await ana.send_file("draft.md", b"# Draft\n\nOne paragraph.\n", "text/markdown")
    [event] = await recorder.wait(1)
    assert event.attachment == Attachment(
        "draft.md", b"# Draft\n\nOne paragraph.\n", "text/markdown"
    )

    await ana.send_file("big.txt", b"x" * 2000, "text/plain")
    await ana.expect("too large")
    assert len(recorder.events) == 1

    chat = ChatId(f"matrix:{ana.room_id}")
    export = Attachment("record.md", b"# The record\n", "text/markdown")
    await bot.send(Outbound(chat, "Here is record.md.", attachment=export))
    await ana.expect("Here is record.md")
    sent = await ana.expect_file()
    assert isinstance(sent, nio.RoomEncryptedFile)
    assert sent.body == "record.md"
    assert await ana.download(sent) == b"# The record\n"


async def test_sends_to_several_rooms_go_side_by_side_each_room_in_order(
    adapter: AdapterFactory, person: Callable[..., Awaitable[Person]]
) -> None:
    """A fan-out does not wait for one room before the next; each room still gets its
    messages in the order they were sent, the encrypted one too."""
    bot, _ = await adapter()
    people = [await person("ana", encryption=True), await person("ben"), await person("cyd")]
    await people[0].open_dm(encrypted=True)
    for someone in people[1:]:
        await someone.open_dm()
    client = bot.client
    assert client is not None
    await eventually(
        lambda: all(someone.room_id in client.rooms for someone in people),
        "the bot's own sync seeing the three rooms",
        timeout=TIMEOUT,
    )
    room_send = client.room_send
    in_flight: dict[str, int] = {}
    most = {"rooms": 0, "in one room": 0}

    async def counted(room_id: str, *args: object, **kwargs: object) -> object:
        in_flight[room_id] = in_flight.get(room_id, 0) + 1
        most["rooms"] = max(most["rooms"], sum(1 for n in in_flight.values() if n))
        most["in one room"] = max(most["in one room"], in_flight[room_id])
        try:
            return await room_send(room_id, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            in_flight[room_id] -= 1

    client.room_send = counted  # type: ignore[method-assign]
    count = 12
    await asyncio.gather(
        *(
            bot.send(Outbound(ChatId(f"matrix:{someone.room_id}"), f"notice {n} of {count}"))
            for n in range(1, count + 1)
            for someone in people
        )
    )
    for someone in people:
        await someone.expect(f"notice {count} of {count}")
        assert [t for t in someone.texts() if t.startswith("notice")] == [
            f"notice {n} of {count}" for n in range(1, count + 1)
        ]
    assert most == {"rooms": len(people), "in one room": 1}
    assert len(people) <= SENDS_AT_ONCE


async def test_messages_while_stopped_arrive_once_even_past_the_timeline_limit(
    adapter: AdapterFactory, person: Callable[..., Awaitable[Person]]
) -> None:
    bot, recorder = await adapter(timeline_limit=3)
    ana = await person("ana")
    await ana.open_dm()
    await ana.say("!one")
    await recorder.wait(1)
    await bot.stop()
    for i in range(9):
        await ana.say(f"!while-down {i}")
    _, again = await adapter(timeline_limit=3)
    events = await again.before_last_word(ana)  # and no more: none twice, not "!one" again
    assert [e.text for e in events] == [f"!while-down {i}" for i in range(9)]


async def test_unknown_room_is_a_delivery_error(adapter: AdapterFactory) -> None:
    bot, _ = await adapter()
    with pytest.raises(DeliveryError):
        await bot.send(Outbound(ChatId("matrix:!nowhere:localhost"), "hello"))
    with pytest.raises(DeliveryError):
        await bot.send(Outbound(ChatId("telegram:42"), "hello"))


async def test_a_bad_password_is_a_setup_error(
    synapse: SynapseServer, tmp_path: Path, bot_account: tuple[str, str, str]
) -> None:
    from bot.app import SetupError

    made = MatrixAdapter(
        synapse.base_url, bot_account[0], store_path=tmp_path / "s", password="wrong"
    )
    with pytest.raises(SetupError, match="login"):
        await made.start(Recorder())


async def test_access_token_gives_the_device(
    adapter: AdapterFactory, bot_account: tuple[str, str, str], tmp_path: Path
) -> None:
    bot, _ = await adapter(password=None, access_token=bot_account[2])
    assert bot.client.device_id
    saved = json.loads((tmp_path / "store" / "credentials.json").read_text())
    assert "access_token" not in saved and saved["device_id"] == bot.client.device_id


async def test_history_from_before_the_invitation_is_not_answered(
    adapter: AdapterFactory, person: Callable[..., Awaitable[Person]]
) -> None:
    _, recorder = await adapter()
    ana = await person("ana")
    ana.start_syncing()
    created = await ana.client.room_create(preset=nio.RoomPreset.private_chat)
    assert isinstance(created, nio.RoomCreateResponse), created
    ana.room_id = created.room_id
    await eventually(lambda: created.room_id in ana.client.rooms, "the room", timeout=TIMEOUT)
    await ana.say("!old (before the bot was invited)")
    invited = await ana.client.room_invite(created.room_id, ana.bot)
    assert isinstance(invited, nio.RoomInviteResponse), invited
    await ana.say("!new (while the bot is invited)")
    await eventually(ana._bot_joined, "join of the bot", timeout=TIMEOUT)
    await ana.say("!newer (after the bot joined)")
    events = await recorder.before_last_word(ana)  # and not "!old"
    assert [e.text for e in events] == [
        "!new (while the bot is invited)",
        "!newer (after the bot joined)",
    ]


async def test_a_dm_the_person_left_is_left_and_refuses_messages(
    adapter: AdapterFactory, person: Callable[..., Awaitable[Person]]
) -> None:
    bot, _ = await adapter()
    ana = await person("ana")
    await ana.open_dm()
    chat = ChatId(f"matrix:{ana.room_id}")
    person_id = PlatformId(f"matrix:{ana.user_id}")
    await eventually(
        lambda: bot.private_chat(person_id) == chat, "the DM known to the bot", timeout=TIMEOUT
    )
    left = await ana.client.room_leave(ana.room_id)
    assert isinstance(left, nio.RoomLeaveResponse), left
    await eventually(
        lambda: ana.room_id not in bot.client.rooms, "the bot leaving", timeout=TIMEOUT
    )
    with pytest.raises(DeliveryError) as refused:
        await bot.send(Outbound(chat, "Round 1 is open"))
    assert refused.value.blocked
    assert bot.private_chat(person_id) is None


async def test_a_session_ended_by_the_homeserver_is_renewed_with_the_password(
    adapter: AdapterFactory, person: Callable[..., Awaitable[Person]], tmp_path: Path
) -> None:
    bot, recorder = await adapter()
    ana = await person("ana")
    await ana.open_dm()
    device = bot.client.device_id
    old_token = bot.client.access_token
    # The device is logged out (an admin, or a password change elsewhere).
    ended = nio.AsyncClient(bot.homeserver, bot.user_id)
    ended.restore_login(bot.user_id, device, old_token)
    assert isinstance(await ended.logout(), nio.LogoutResponse)
    await ended.close()
    await ana.say("!after the logout")
    await recorder.wait(1)
    assert recorder.events[-1].text == "!after the logout"
    assert bot.client.device_id == device and bot.client.access_token != old_token
    saved = json.loads((tmp_path / "store" / "credentials.json").read_text())
    assert saved["access_token"] == bot.client.access_token


def test_an_event_whose_key_is_late_waits_for_it(tmp_path: Path) -> None:
    """Kept (ciphertext only, also across restarts) until the key comes, for an hour."""
    raw = {
        "type": "m.room.encrypted",
        "event_id": "$late",
        "sender": "@ana:x",
        "origin_server_ts": 1,
        "content": {
            "algorithm": "m.megolm.v1.aes-sha2",
            "sender_key": "key",
            "ciphertext": "secret",
            "session_id": "session",
            "device_id": "ANA",
        },
    }
    event = nio.Event.parse_event(raw)
    assert isinstance(event, nio.MegolmEvent)
    readable = nio.RoomMessageText.from_dict(
        {**raw, "type": "m.room.message", "content": {"msgtype": "m.text", "body": "!help"}}
    )
    key_arrived = False

    def decrypt(pending: nio.MegolmEvent) -> nio.Event:
        if not key_arrived:
            raise nio.EncryptionError("no session")
        return readable

    client = type("Client", (), {"olm": object(), "decrypt_event": staticmethod(decrypt)})()
    position = Position(tmp_path / "sync.json", "@bot:x")
    position.late.keep("!room:x", [event, event])  # the same event twice: kept once
    assert position.late.readable(client) == []
    position.since = "s1"
    position.save()
    assert (
        "secret" in (tmp_path / "sync.json").read_text()
        and "!help" not in (tmp_path / "sync.json").read_text()
    )
    again = Position(tmp_path / "sync.json", "@bot:x")  # a restart
    again.load()
    assert again.since == "s1"
    assert [e.event_id for _, e, _ in again.late.waiting] == ["$late"]
    key_arrived = True
    assert again.late.readable(client) == [("!room:x", readable)]
    assert again.late.waiting == []

    key_arrived = False  # a key that never comes: given up after an hour
    position.late.waiting = [("!room:x", event, 0.0)]
    assert position.late.readable(client) == [] and position.late.waiting == []
