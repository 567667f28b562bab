"""What an outside review of privacy and authorization found, each as the conversation
that showed it: group chats, account linking, erasure, the history of closed rounds."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.memory import MemoryAdapter
from bot.app import event_key
from bot.dispatcher import Dispatcher
from bot.events import Inbound, MessageId, PlatformId
from bot.handlers.moderation import purge
from bot.handlers.people import WRONG_CODES_EVERYONE
from bot.settings import Settings
from storage.engine import make_engine, upgrade
from tests.clocks import Clock
from tests.conversation.scenario import CODE, FACILITATOR, invite, open_round

MEMBERS = {"ana": "government", "ben": "civil-society", "sam": "secretariat"}
POINTER = "write to me directly"


# ---- group chats: only help, and a pointer to the private chat ---------------------------


@pytest.mark.parametrize(
    ("who", "command"),
    [
        (FACILITATOR, "/invite facilitator"),
        (FACILITATOR, "/invite government 5"),
        (FACILITATOR, "/summary"),
        (FACILITATOR, "/status"),
        (FACILITATOR, "/export markdown"),
        (FACILITATOR, "/consultations"),
        ("sam", "/summary"),
        ("ana", "/link"),
        ("ana", "/mine"),
        ("ana", "/read"),
        ("ana", "/versions"),
        ("ana", "/diff"),
        ("ana", "/forget confirm"),
    ],
)
async def test_a_group_chat_gets_a_pointer_and_nothing_else(
    chat: MemoryAdapter, who: str, command: str
) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ana", "/comment 1 Our own view.")
    chat.take("ana")
    await chat.say(who, command, group="coalition")
    said = chat.messages("coalition")
    assert len(said) == 1 and POINTER in said[0], said
    assert not CODE.search(said[0]) and "Our own view" not in said[0]
    assert chat.messages(who) == []  # nor anything sent aside
    await chat.say("ana", "/mine")
    assert "Our own view." in chat.last("ana")  # and nothing was erased or changed


async def test_help_in_a_group_points_to_the_private_chat(chat: MemoryAdapter) -> None:
    await open_round(chat, MEMBERS)
    await chat.say(FACILITATOR, "/help", group="coalition")
    said = chat.messages("coalition")
    assert len(said) == 1 and POINTER in said[0] and "/invite" not in said[0]


async def test_an_invite_code_sent_in_a_group_joins_nobody_and_stays_usable(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat)
    code = await invite(chat, "government")
    await chat.say("eve", f"/start {code}", group="coalition")
    assert POINTER in chat.messages("coalition")[-1]
    await chat.say("eve", "/mine")
    assert "not part of any consultation" in chat.last("eve") or "/start" in chat.last("eve")
    await chat.say("eve", f"/start {code}")
    assert "You have joined" in chat.messages("eve")[-2]


# ---- erasure that erases -------------------------------------------------------------------


def _stored_bytes(chat: MemoryAdapter) -> bytes:
    """The database file and its write-ahead log, as a copy of the disk would show them."""
    path = Path(chat.dispatcher.store.engine.url.database)  # type: ignore[attr-defined]
    log = path.with_name(path.name + "-wal")
    return path.read_bytes() + (log.read_bytes() if log.exists() else b"")


async def test_after_forget_nothing_on_disk_names_the_person(chat: MemoryAdapter) -> None:
    await open_round(chat, {"ana": "government", "ben": "civil-society"})
    await chat.say("ana", "/review")
    await chat.press("ana", "Support")
    await chat.say("ana", "/comment 2 Export licences need teeth.")
    await chat.say("ana", "/oppose 3")
    await chat.say("ben", "/comment 1 Ben's view.")
    assert b"memory:ana" in _stored_bytes(chat)  # the test can see it while it is there
    await chat.say("ana", "/forget confirm")
    assert "erased" in chat.last("ana")
    stored = _stored_bytes(chat)
    for trace in (b"memory:ana", b"Ana Org", b"Ana"):
        assert trace not in stored, trace
    store = chat.dispatcher.store  # type: ignore[attr-defined]
    with store.transaction() as records:
        sources = records.session.execute(text("SELECT source FROM processed_event")).scalars()
        assert all(":" not in source and "/" not in source for source in sources)
        keys = records.session.execute(text("SELECT key FROM key_value")).scalars().all()
        assert not [key for key in keys if "ana" in key]
    await chat.say("ben", "/mine")
    assert "Ben's view." in chat.last("ben")  # the others' input stays


async def test_a_redelivered_message_is_still_recognised(chat: MemoryAdapter) -> None:
    await open_round(chat, {"ana": "government"})
    await chat.say("ana", "/comment 1 Once.", message_id="m-1")
    await chat.say("ana", "/comment 1 Once.", message_id="m-1")
    await chat.say("ana", "/mine")
    assert chat.last("ana").count("Once.") == 1


async def test_handled_events_are_forgotten_after_their_window(chat: MemoryAdapter, clock) -> None:
    await open_round(chat, {"ana": "government"})
    dispatcher = chat.dispatcher  # type: ignore[attr-defined]
    with dispatcher.store.transaction() as records:
        before = records.session.execute(text("SELECT count(*) FROM processed_event")).scalar()
    assert before and dispatcher.prune_events() == 0
    clock.advance(days=3)
    await chat.say("ana", "/mine")
    assert dispatcher.prune_events() == before
    with dispatcher.store.transaction() as records:
        assert records.session.execute(text("SELECT count(*) FROM processed_event")).scalar() == 1


def test_a_new_database_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "consultbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))
        assert stat.S_IMODE((path.parent / "consultbot.db-wal").stat().st_mode) == 0o600
    engine.dispose()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_event_key_is_kept_private_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = event_key(settings)
    assert event_key(settings) == first and len(first) == 32
    assert stat.S_IMODE((tmp_path / "data" / "event.key").stat().st_mode) == 0o600
    assert event_key(Settings(data_dir=tmp_path, event_key="a shared secret")) == b"a shared secret"


# ---- the history of a closed round holds ---------------------------------------------------


async def test_an_erasure_after_the_close_does_not_rewrite_the_round(chat: MemoryAdapter) -> None:
    await open_round(chat, {"ana": "government", "gil": "government", "ben": "civil-society"})
    await chat.say("ana", "/support 1")
    await chat.say("gil", "/support 1")
    await chat.say("ben", "/oppose 1")
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, "/summary")
    before = chat.last(FACILITATOR)
    assert "Government 2/2" in before  # and the positions below it count both
    await chat.say("ana", "/forget confirm")
    await chat.say(FACILITATOR, "/summary")
    assert chat.last(FACILITATOR) == before


async def test_an_erased_person_is_not_counted_as_told(chat: MemoryAdapter) -> None:
    await open_round(chat, {"ana": "government", "ben": "civil-society"})
    await chat.say(FACILITATOR, "/round close")
    await chat.say("ana", "/forget confirm")
    await chat.say(FACILITATOR, "/round open 2d")
    assert "1 stakeholder has been told" in chat.last(FACILITATOR)


# ---- linking needs both sides -----------------------------------------------------------------


@pytest.fixture
async def two_platforms(sqlite_store, clock) -> tuple[MemoryAdapter, MemoryAdapter]:
    first, second = MemoryAdapter(), MemoryAdapter(platform="other")
    dispatcher = Dispatcher(sqlite_store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(first)
    dispatcher.add(second)
    await dispatcher.start()
    await open_round(first, {"ana": "government"})
    await first.say("ana", "/comment 1 Ana's own position.")
    return first, second


async def _link_code(first: MemoryAdapter) -> str:
    await first.say("ana", "/link")
    return first.last("ana").rsplit(" ", 1)[1]


async def test_a_link_code_alone_takes_over_nothing(two_platforms) -> None:
    first, second = two_platforms
    code = await _link_code(first)
    await second.say("mallory", f"/link {code}")  # the code leaked
    assert "like to be linked" in first.last("ana")  # the owner is told, and asked
    await second.say("mallory", "/mine")
    assert "Ana's own position" not in second.last("mallory")
    await first.say("ana", "/link no")
    assert "Nothing was linked" in first.last("ana")
    await second.say("mallory", "/mine")
    assert "Ana's own position" not in second.last("mallory")
    await first.say("ana", "/link yes")  # a late yes has nothing left to confirm
    assert "No account is waiting" in first.last("ana")


async def test_a_link_request_expires_unconfirmed(two_platforms, clock) -> None:
    first, second = two_platforms
    await second.say("ana", f"/link {await _link_code(first)}")
    clock.advance(minutes=11)
    await first.say("ana", "/link yes")
    assert "No account is waiting" in first.last("ana")
    await second.say("ana", "/mine")
    assert "Ana's own position" not in second.last("ana")


async def test_wrong_link_codes_are_throttled(two_platforms, clock) -> None:
    first, second = two_platforms
    for attempt in range(5):
        await second.say("mallory", f"/link guess{attempt}")
        assert "not valid" in second.last("mallory")
    code = await _link_code(first)
    await second.say("mallory", f"/link {code}")  # even the right one waits
    assert "Too many wrong link codes" in second.last("mallory")
    assert "like to be linked" not in first.last("ana")
    clock.advance(minutes=16)
    await second.say("mallory", f"/link {await _link_code(first)}")
    assert "/link yes" in second.last("mallory")


# ---- the smaller findings --------------------------------------------------------------------


async def test_an_organisation_name_keeps_no_invisible_or_direction_marks(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat)
    code = await invite(chat, "government")
    await chat.say("eve", f"/start {code}")
    await chat.say("eve", "Ana\u200b Org\u202e\u0007 \u2066Ltd\u2069")
    saved = "\n".join(chat.messages("eve"))
    assert "“Ana Org Ltd”" in saved, saved


async def test_a_forged_review_button_from_the_secretariat_is_answered_and_leaves_nothing(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, MEMBERS)
    await chat.deliver(
        Inbound(
            sender=PlatformId("memory:sam"),
            chat=chat.chat_of("sam"),
            message_id=MessageId("forged-1"),
            button="rv:1:1:support",
        )
    )
    assert "do not speak for a stakeholder group" in chat.last("sam")
    await chat.say("sam", "/summary")
    assert "Summary of" in chat.last("sam")
    await chat.say("sam", "hello")
    assert "did not understand" in chat.last("sam")


async def test_using_an_invite_code_again_costs_no_use(chat: MemoryAdapter) -> None:
    await open_round(chat)
    code = await invite(chat, "government", uses=2)
    await chat.say("ana", f"/start {code}")
    await chat.say("ana", "Ana Org")
    await chat.say("ana", f"/start {code}")
    assert "already part of" in chat.last("ana")
    await chat.say("ben", f"/start {code}")
    assert any("You have joined" in m for m in chat.messages("ben"))


async def test_erasing_oneself_does_not_reset_the_count_of_wrong_codes(chat: MemoryAdapter) -> None:
    await open_round(chat)
    for attempt in range(5):
        await chat.say("eve", f"/start guess-{attempt}-aaaaaaaaaaaaaaaaaaaa")
    await chat.say("eve", "/forget confirm")
    await chat.say("eve", "/start guess-6-aaaaaaaaaaaaaaaaaaaa")
    assert "Too many wrong invite codes" in chat.last("eve")


async def test_wrong_codes_from_many_accounts_are_throttled_together(
    chat: MemoryAdapter, clock
) -> None:
    await open_round(chat)
    for n in range(WRONG_CODES_EVERYONE):
        await chat.say(f"bot{n}", f"/start guess-{n}-aaaaaaaaaaaaaaaaaaaa")
    await chat.say("eve", "/start guess-eve-aaaaaaaaaaaaaaaaaaaa")
    assert "Too many wrong invite codes" in chat.last("eve")
    clock.advance(minutes=16)
    code = await invite(chat, "government")
    await chat.say("eve", f"/start {code}")
    assert any("You have joined" in m for m in chat.messages("eve"))


async def test_retention_takes_the_reasons_for_hiding_and_flagging_too(
    chat: MemoryAdapter, sqlite_store, clock
) -> None:
    await open_round(chat, MEMBERS)
    await chat.say("ben", "/comment 1 Call Ben at his home number.")
    comment = int(chat.last("ben").split("#", 1)[1].split(":", 1)[0])
    await chat.say("ana", f"/flag {comment} it names Ben's home number")
    await chat.say(FACILITATOR, f"/hide {comment} Ben's home number posted")
    await chat.say(FACILITATOR, "/policy retention 30")
    await chat.say(FACILITATOR, "/round close")
    clock.advance(days=31)
    with sqlite_store.transaction() as records:
        assert purge(records, clock.now)
    with sqlite_store.transaction() as records:
        flags = records.session.execute(text("SELECT reason, person_id FROM flag")).all()
        hidden = records.session.execute(text("SELECT hidden_reason FROM submission")).all()
    assert flags and all(row == (None, None) for row in flags)
    assert all(reason is None for (reason,) in hidden)


async def test_consent_does_not_carry_over_to_another_attribution_policy(
    chat: MemoryAdapter,
) -> None:
    await open_round(chat, {"ana": "government"})
    await chat.say(FACILITATOR, "/policy attribution organisation")
    await chat.say("ana", "/consent yes")
    await chat.say("ana", "/comment 1 Ana agrees to be shown by organisation.")
    await chat.say(FACILITATOR, "/summary 1")
    assert "Ana Org (Government)" in chat.last(FACILITATOR)
    chat.take("ana")
    await chat.say(FACILITATOR, "/policy attribution name")
    assert any("changed how contributions are shown" in m for m in chat.messages("ana"))
    await chat.say(FACILITATOR, "/summary 1")
    summary = chat.last(FACILITATOR)
    assert "Ana (Government)" not in summary and "a member of Government" in summary
    await chat.say("ana", "/consent yes")  # agreeing again, to the new rule
    await chat.say(FACILITATOR, "/summary 1")
    assert "Ana (Government)" in chat.last(FACILITATOR)


async def test_a_flood_of_input_from_one_person_waits_and_nothing_before_it_is_lost(
    chat: MemoryAdapter, clock: Clock
) -> None:
    """A script sending comment after comment is stopped at 60 a minute; a person is not."""
    await open_round(chat, {"ana": "government", "ben": "civil-society"})
    for n in range(60):
        await chat.say("ana", f"/comment 1 Point number {n}")
    assert chat.last("ana").startswith("Recorded #60: comment on paragraph 1.")
    await chat.say("ana", "/comment 1 One too many")
    assert chat.last("ana") == (
        "You have given 60 inputs in the last minute, the most one person may: this one was"
        " not recorded. Wait a minute, then send it again; everything before it is kept."
    )
    await chat.say("ana", "/support 2")  # a stance counts as input too
    assert "not recorded" in chat.last("ana")
    await chat.say("ben", "/support 2")  # others are not held back
    assert chat.last("ben").startswith("Recorded #61: support on paragraph 2.")
    clock.advance(seconds=61)
    await chat.say("ana", "/comment 1 One too many")
    assert chat.last("ana").startswith("Recorded #62: comment on paragraph 1.")
    await chat.say("ana", "/mine")
    assert chat.last("ana").count("· comment: Point number") == 60
