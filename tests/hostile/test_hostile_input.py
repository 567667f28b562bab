"""Hostile input, sent where it applies, gets a clear answer and changes nothing stored.

Every item of `corpus.py` goes where a person could send it: as a stakeholder's comment
or amendment (direct command, or typed during the review walk), as a facilitator's draft
after `new`, or as command arguments. For each we check:

* the answer is not empty, shows no Python internals, and says what to do;
* the bot keeps answering (`mine` and `summary` still work afterwards);
* nothing stored before changed: the stakeholder's `mine`, the facilitator's `summary`
  and every database table (bar the log of handled events) are as they were, except for
  the one submission that was legitimately recorded;
* what is stored comes back clean and literal: control characters and invisibles gone,
  markup shown as the characters typed, never interpreted.


"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
import unicodedata
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from bot.events import Attachment
from storage.engine import make_engine
from storage.records import Store
from tests.clocks import Clock
from tests.conversation.scenario import DRAFT, FACILITATOR, open_round
from tests.hostile.corpus import (
    FACILITATOR_COMMANDS,
    HUGE,
    LINK_HTML,
    LINK_MARKDOWN,
    LINK_URL,
    LITERAL_DRAFT,
    LITERAL_PARAGRAPHS,
    LONE_SURROGATE,
    MEGABYTE,
    PASTED_DRAFTS,
    ROUND_SCHEDULES,
    SCRIPT,
    STAKEHOLDER_COMMANDS,
    TEXTS,
    Hostile,
    draft_files,
)

MEMBERS = {"ana": "government", "ben": "civil-society"}
BASELINE = (
    ("ana", "/comment 1 Clear risk is too weak a test."),
    ("ana", "/support 2"),
    ("ana", "/amend 3 We call on companies to respect human rights everywhere."),
    ("ben", "/oppose 1"),
    ("ben", "/comment 2 Define misuse."),
)

# What a person must never see: Python's insides.
INTERNALS = re.compile(
    r"Traceback|File \"|line \d+, in|\b[A-Z]\w*(Error|Exception)\b|sqlalchemy|sqlite3|psycopg"
    r"|<built-in|object at 0x"
)
# Each answer must say what to do next: one of these, as the catalog words it.
HINTS = (
    "Send",
    "Usage",
    "Give",
    "limit",
    "Write",
    "Reply",
    "Use one of",
    "Pick",
    "Shorten",
    "Close it",
    "Did you mean",
    "save it again",
    "paragraphs 1 to",
    "must close after it opens",
)


# ---- driving the bot -------------------------------------------------------------------


async def ask(chat: MemoryAdapter, who: str, message: str, **kwargs: Any) -> list[str]:
    """What `who` is told in answer to `message`; a crash fails the test, saying so."""
    chat.take(who)
    try:
        await chat.say(who, message, **kwargs)
    except Exception as error:
        pytest.fail(f"the bot crashed on {message[:60]!r}: {type(error).__name__}: {error}"[:400])
    return chat.take(who)


def assert_clear(replies: list[str], message: str = "") -> str:
    """The answer exists, hides the internals, and tells the person what to do."""
    answer = "\n".join(replies)
    assert answer.strip(), f"no answer to {message[:60]!r}"
    assert not INTERNALS.search(answer), answer[:500]
    assert any(hint in answer for hint in HINTS), answer[:500]
    return answer


def engine_of(chat: MemoryAdapter) -> Engine:
    return chat.dispatcher.store.engine  # type: ignore[attr-defined]


def tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, but the log of handled events (it grows with each one)."""
    with engine.connect() as connection:
        return {
            name: sorted(
                (tuple(row) for row in connection.execute(text(f'SELECT * FROM "{name}"'))),
                key=repr,
            )
            for name in inspect(connection).get_table_names()
            if name not in ("processed_event", "alembic_version")
        }


@dataclass
class Snapshot:
    mine: list[str]
    summary: str
    tables: dict[str, list[tuple[Any, ...]]]


async def snapshot(chat: MemoryAdapter, who: str = "ana") -> Snapshot:
    """What the stakeholder and the facilitator see, and what the database holds."""
    mine = "\n".join(await ask(chat, who, "/mine"))
    assert "Your input on" in mine or "not given any input" in mine, mine
    summary = "\n".join(await ask(chat, FACILITATOR, "/summary"))
    assert "Summary of" in summary, summary
    return Snapshot(mine.splitlines(), summary, tables(engine_of(chat)))


def assert_unchanged(before: Snapshot, after: Snapshot) -> None:
    assert after.mine == before.mine
    assert after.summary == before.summary
    for name, rows in before.tables.items():
        assert after.tables[name] == rows, f"table {name} changed"


def assert_one_more_submission(
    before: Snapshot, after: Snapshot, *, allow: tuple[str, ...] = ()
) -> str:
    """Exactly one new line in `mine` and one new submission row; the rest as it was.

    Returns the new `mine` line.
    """
    assert after.mine[: len(before.mine)] == before.mine
    assert len(after.mine) == len(before.mine) + 1, after.mine[len(before.mine) :]
    old, new = before.tables["submission"], after.tables["submission"]
    assert set(old) <= set(new) and len(new) == len(old) + 1
    for name, rows in before.tables.items():
        if name not in ("submission", *allow):
            assert after.tables[name] == rows, f"table {name} changed"
    return after.mine[-1]


async def _bot(path: Path, clock: Any) -> MemoryAdapter:
    adapter = MemoryAdapter()
    dispatcher = Dispatcher(
        Store(make_engine(f"sqlite:///{path}")), admins=[f"memory:{FACILITATOR}"], clock=clock
    )
    dispatcher.add(adapter)
    await dispatcher.start()
    adapter.dispatcher = dispatcher  # type: ignore[attr-defined]
    return adapter


@pytest.fixture(scope="session")
def room_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An open round in which both stakeholders have said something, built once."""
    path = tmp_path_factory.mktemp("room") / "room.db"
    shutil.copyfile(sqlite_template, path)

    async def build() -> None:
        chat = await _bot(path, Clock())
        await open_round(chat, MEMBERS)
        for who, line in BASELINE:
            assert "Recorded #" in (await ask(chat, who, line))[-1]
        engine_of(chat).dispose()  # folds the WAL into the file

    asyncio.run(build())
    return path


@pytest.fixture
async def room(room_template: Path, tmp_path: Path, clock: Any) -> AsyncIterator[MemoryAdapter]:
    """A copy of the room: each test starts from the same stored input."""
    path = tmp_path / "room.db"
    shutil.copyfile(room_template, path)
    chat = await _bot(path, clock)
    yield chat
    engine_of(chat).dispose()


@pytest.fixture
async def any_chat(store: Store, clock: Any) -> MemoryAdapter:
    """The same bot as `chat`, on SQLite and on PostgreSQL."""
    adapter = MemoryAdapter()
    dispatcher = Dispatcher(store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(adapter)
    await dispatcher.start()
    adapter.dispatcher = dispatcher  # type: ignore[attr-defined]
    return adapter


# ---- comments and amendments ---------------------------------------------------------------

_INVISIBLES = "\u200b\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe20-\ufe2f]{4,}")


def text_cases() -> Iterator[Any]:
    for item in TEXTS:
        yield pytest.param(item, id=item.name)


def check_stored(item: Hostile, shown: str) -> None:
    """The text as `mine` shows it: clean, and literal where the corpus says so."""
    assert not any(unicodedata.category(ch) == "Cc" for ch in shown), repr(shown[:200])
    assert not any(ch in _INVISIBLES for ch in shown), repr(shown[:200])
    assert not _MARKS.search(shown), "more than three combining marks stacked on one letter"
    if item.stored is not None:
        assert shown == item.stored, (shown[:200], item.stored[:200])


async def send_text(chat: MemoryAdapter, mode: str, body: str) -> list[str]:
    if mode == "comment":
        return await ask(chat, "ana", f"/comment 1 {body}")
    if mode == "amend":
        return await ask(chat, "ana", f"/amend 2 {body}")
    return await ask(chat, "ana", body)  # review: the text the walk asked for


async def start_review_comment(chat: MemoryAdapter) -> None:
    chat.take("ana")
    await chat.say("ana", "/review all")  # she has answered every paragraph already
    await chat.press("ana", "Comment")
    assert "Your comment on paragraph 1" in chat.last("ana")


@pytest.mark.parametrize("mode", ["comment", "amend", "review"])
@pytest.mark.parametrize("item", list(text_cases()))
async def test_hostile_text_as_input(room: MemoryAdapter, item: Hostile, mode: str) -> None:
    if mode == "review":
        await start_review_comment(room)
    before = await snapshot(room)
    replies = await send_text(room, mode, item.text)
    answer = assert_clear(replies, item.text)
    after = await snapshot(room)
    # An amendment may be twice as long as a comment.
    refused = item.refused and not (mode == "amend" and item.name == "just_over_the_comment_limit")
    if refused:
        assert "Recorded" not in answer, answer
        assert_unchanged(before, after)
        return
    assert "Recorded #" in answer, answer[:300]
    # the walk's next paragraph: its dialog step, and its buttons kept for replies to it
    line = assert_one_more_submission(before, after, allow=("dialog_state", "key_value"))
    kind = "amendment" if mode == "amend" else "comment"
    prefix = f"paragraph {2 if mode == 'amend' else 1} · {kind}: "
    assert prefix in line, line[:200]
    check_stored(item, line.split(prefix, 1)[1])


async def test_a_refused_review_text_can_be_sent_again(room: MemoryAdapter) -> None:
    await start_review_comment(room)
    assert "limit is 2000" in "\n".join(await ask(room, "ana", "z" * MEGABYTE))
    answer = "\n".join(await ask(room, "ana", "Shorter, then."))
    assert "Recorded #" in answer and "Paragraph 2 of 3" in answer


@pytest.mark.parametrize("mode", ["comment", "review"])
async def test_a_lone_surrogate_is_cleaned_not_a_crash(any_chat: MemoryAdapter, mode: str) -> None:
    await open_round(any_chat, MEMBERS)
    if mode == "review":
        await start_review_comment(any_chat)
    replies = await send_text(any_chat, mode, LONE_SURROGATE)
    assert_clear(replies, LONE_SURROGATE)
    mine = "\n".join(await ask(any_chat, "ana", "/mine"))
    assert "Clear risk is too weak." in mine


async def test_stored_markup_stays_text_in_summary_amendments_and_exports(
    room: MemoryAdapter,
) -> None:
    """HTML, Markdown and formulas come back as the characters typed, in every output."""
    html = f"<b>Strong</b> {SCRIPT} {LINK_HTML}"
    formula = '=HYPERLINK("https://evil.example","click")'
    for line in (
        f"/comment 1 {html}",
        f"/comment 2 {LINK_MARKDOWN}",
        f"/comment 3 {formula}",
        f"/amend 1 {SCRIPT} replaces the paragraph",
    ):
        assert "Recorded #" in (await ask(room, "ana", line))[-1]
    await ask(room, FACILITATOR, "/round close")
    summary = "\n".join(
        [line for n in (1, 2, 3) for line in await ask(room, FACILITATOR, f"/summary {n}")]
    )
    assert SCRIPT in summary and LINK_MARKDOWN in summary and formula in summary
    amendments = "\n".join(await ask(room, FACILITATOR, "/amendments"))
    assert SCRIPT in amendments  # in its change, as typed
    amendment_id = amendments.split("\n#", 1)[1].split(" ", 1)[0]
    full = "\n".join(await ask(room, FACILITATOR, f"/amendment {amendment_id}"))
    assert f"Full text:\n{SCRIPT} replaces the paragraph\n" in full

    files: dict[str, bytes] = {}
    for fmt in ("csv", "html", "markdown", "json"):
        room.take(FACILITATOR)
        await room.say(FACILITATOR, f"/export {fmt}")
        assert "Here is" in room.last(FACILITATOR), room.last(FACILITATOR)
        files[fmt] = room.files(FACILITATOR)[-1].data
    rows = list(csv.DictReader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows and not any(row["text"].startswith(("=", "+", "-", "@")) for row in rows)
    assert any(row["text"] == "'" + formula for row in rows)
    page = files["html"].decode()
    assert SCRIPT not in page and "&lt;script&gt;" in page and LINK_HTML not in page
    assert LINK_MARKDOWN not in files["markdown"].decode()
    assert html in set(strings(json.loads(files["json"])))  # JSON keeps it exactly


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


# ---- commands with missing, extra and malformed arguments ----------------------------------


def command_cases(commands: tuple[str, ...]) -> Iterator[Any]:
    for line in commands:
        yield pytest.param(line, id=line[:40])


@pytest.mark.parametrize("line", list(command_cases(STAKEHOLDER_COMMANDS)))
async def test_malformed_stakeholder_command(room: MemoryAdapter, line: str) -> None:
    before = await snapshot(room)
    answer = assert_clear(await ask(room, "ana", line), line)
    assert "Recorded" not in answer
    assert_unchanged(before, await snapshot(room))


@pytest.mark.parametrize("line", list(command_cases(FACILITATOR_COMMANDS)))
async def test_malformed_facilitator_command(room: MemoryAdapter, line: str) -> None:
    before = await snapshot(room)
    assert_clear(await ask(room, FACILITATOR, line), line)
    assert_unchanged(before, await snapshot(room))


@pytest.mark.parametrize("line", [f"/withdraw {HUGE}", f"/use {HUGE}"])
async def test_huge_ids_on_both_stores(any_chat: MemoryAdapter, line: str) -> None:
    await open_round(any_chat, MEMBERS)
    assert_clear(await ask(any_chat, "ana", line), line)


async def test_a_usage_answer_names_the_offending_value(room: MemoryAdapter) -> None:
    answer = "\n".join(await ask(room, "ana", "/withdraw -3"))
    assert "“-3” is not a valid ID" in answer and "Usage: /withdraw ID" in answer
    answer = "\n".join(await ask(room, "ana", "/support 1 2"))
    assert "“2” is more than this command takes" in answer
    answer = "\n".join(await ask(room, FACILITATOR, "/round open 99999d"))
    assert "“99999d” is not a valid DURATION" in answer


# ---- dates in the past and the far future -------------------------------------------------


def schedule_cases() -> Iterator[Any]:
    for line in ROUND_SCHEDULES:
        yield pytest.param(line, id=line.removeprefix("/round schedule ")[:40])


@pytest.mark.parametrize("line", list(schedule_cases()))
async def test_round_schedule_dates(room: MemoryAdapter, line: str) -> None:
    await ask(room, FACILITATOR, "/round close")
    before = await snapshot(room)
    replies = await ask(room, FACILITATOR, line)
    assert_clear(replies, line)  # the year 9999 included: that far out is a typo, not a plan
    assert_unchanged(before, await snapshot(room))
    # and the facilitator can still schedule a round right after
    answer = "\n".join(await ask(room, FACILITATOR, "/round schedule 2026-12-02 09:00 3d"))
    assert "Round 2 will open tomorrow at 09:00 UTC" in answer, answer


async def test_round_schedule_while_a_round_is_open(room: MemoryAdapter) -> None:
    before = await snapshot(room)
    for line in ROUND_SCHEDULES:
        assert_clear(await ask(room, FACILITATOR, line), line)
    assert_unchanged(before, await snapshot(room))


async def test_a_window_longer_than_a_year_says_what_the_limit_is(room: MemoryAdapter) -> None:
    await ask(room, FACILITATOR, "/round close")
    answer = "\n".join(
        await ask(room, FACILITATOR, "/round schedule 2026-12-02 09:00 2027-12-30 09:00")
    )
    assert "not a time I can read" not in answer
    assert "366" in answer or "year" in answer, answer


# ---- drafts: pasted text and files --------------------------------------------------------


@pytest.fixture
async def awaiting_draft(room: MemoryAdapter) -> MemoryAdapter:
    """The facilitator has sent `new` for a second consultation; the bot waits for the draft."""
    answer = "\n".join(await ask(room, FACILITATOR, "/new Second statement"))
    assert "Now send the draft" in answer
    return room


async def assert_draft_refused(chat: MemoryAdapter, message: str, **kwargs: Any) -> None:
    before = tables(engine_of(chat))
    answer = assert_clear(await ask(chat, FACILITATOR, message, **kwargs), message)
    assert "Send the draft again, or /cancel" in answer, answer
    assert tables(engine_of(chat)) == before
    # still waiting for the draft: a good one is taken straight away
    answer = "\n".join(await ask(chat, FACILITATOR, DRAFT))
    assert "loaded with 3 paragraphs" in answer, answer
    # and the first consultation's stakeholder still sees her input
    mine = "\n".join(await ask(chat, "ana", "/mine"))
    assert "Clear risk is too weak a test." in mine


@pytest.mark.parametrize("name", list(PASTED_DRAFTS))
async def test_hostile_pasted_draft(awaiting_draft: MemoryAdapter, name: str) -> None:
    await assert_draft_refused(awaiting_draft, PASTED_DRAFTS[name])


@pytest.mark.parametrize("hostile", draft_files(), ids=lambda f: f.name)
async def test_hostile_draft_file(awaiting_draft: MemoryAdapter, hostile: Any) -> None:
    await assert_draft_refused(
        awaiting_draft, "", attachment=Attachment(hostile.filename, hostile.data)
    )


async def test_a_draft_with_markup_is_loaded_as_text(awaiting_draft: MemoryAdapter) -> None:
    answer = "\n".join(await ask(awaiting_draft, FACILITATOR, LITERAL_DRAFT))
    assert "loaded with 3 paragraphs" in answer, answer
    with engine_of(awaiting_draft).connect() as connection:
        stored = [
            (row[0], row[1])
            for row in connection.execute(
                text(
                    "SELECT p.text, p.links FROM paragraph p"
                    " JOIN draft_version v ON v.id = p.version_id "
                    "WHERE v.consultation_id = 2 ORDER BY p.position"
                )
            )
        ]
    assert tuple(text for text, _ in stored[:2]) == LITERAL_PARAGRAPHS
    assert stored[2][0].startswith("Zerowidth and ") and "\x00" not in stored[2][0]
    # a Markdown link is its text in the paragraph, its address beside it, never raw
    assert json.loads(stored[0][1]) == [{"text": "official annex", "url": LINK_URL}]


async def test_a_draft_loses_bidi_overrides_like_a_comment_does(
    awaiting_draft: MemoryAdapter,
) -> None:
    answer = "\n".join(await ask(awaiting_draft, FACILITATOR, LITERAL_DRAFT))
    assert "loaded with 3 paragraphs" in answer
    assert "\u202e" not in answer and "\u202c" not in answer


async def test_a_one_megabyte_paragraph_is_refused_with_the_limit(
    awaiting_draft: MemoryAdapter,
) -> None:
    answer = "\n".join(await ask(awaiting_draft, FACILITATOR, "word " * (MEGABYTE // 5)))
    assert "loaded" not in answer and "limit" in answer, answer[:300]


async def test_a_draft_with_a_lone_surrogate_is_cleaned_not_a_crash(
    awaiting_draft: MemoryAdapter,
) -> None:
    answer = "\n".join(await ask(awaiting_draft, FACILITATOR, "First \ud800 paragraph.\n\nTwo."))
    assert "loaded with 2 paragraphs" in answer or "Send the draft again" in answer


async def test_a_stakeholder_sending_a_file_is_told_what_to_do(room: MemoryAdapter) -> None:
    before = await snapshot(room)
    answer = assert_clear(
        await ask(room, "ana", "", attachment=Attachment("draft.docx", draft_files()[0].data))
    )
    assert "help" in answer
    assert_unchanged(before, await snapshot(room))


async def test_hostile_titles_are_kept_as_text(room: MemoryAdapter) -> None:
    answer = "\n".join(await ask(room, FACILITATOR, f"/new {SCRIPT}\x00\u200b"))
    assert f"Consultation “{SCRIPT}” created" in answer, answer
    await ask(room, FACILITATOR, "/cancel")
    answer = "\n".join(await ask(room, FACILITATOR, "/new " + "T" * MEGABYTE))
    assert "created" in answer and len(answer) < 2000
    answer = "\n".join(await ask(room, FACILITATOR, "/new \u200b\x00 "))
    assert_clear([answer])
