"""Announcing a round to many stakeholders on Telegram, under Telegram's flood limits.

The loopback Bot API server (tests/telegram_api) enforces 30 messages a second overall and
one a second per chat, answering 429 with retry_after beyond that, as Telegram does. The
database is seeded with COUNT stakeholders who have talked to the bot before; then
`consultbot run` (a real process) is started and the facilitator sends `/round open 3d`.

Printed: time from the command to the last announcement delivered, the fan-out itself
(first to last announcement) against the ideal COUNT / 30 s, 429s the server answered,
announcements lost and duplicated. Meanwhile, every five seconds one of the stakeholders
already told sends a comment: how long they wait for "Recorded" while the bot announces
to the others.

On loopback a sendMessage is answered in a few milliseconds; Telegram answers a bot from
tens to hundreds of milliseconds away. `--round-trip` makes the server answer every
sendMessage that much later (it counts and stores it at once), to show what the distance
costs a fan-out.

    python bench/telegram_fanout.py                    # 2,000 stakeholders (about 70 s)
    python bench/telegram_fanout.py --count 300        # a quicker look
    python bench/telegram_fanout.py --round-trip 0.1   # as if Telegram were 100 ms away
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the test servers, in the package tests

from consultations.model import Role  # noqa: E402
from storage.engine import make_engine, upgrade  # noqa: E402
from storage.records import Records, Store  # noqa: E402
from tests.telegram_api import BotAPIServer, ChatMessage, RecordedCall, Slow, User  # noqa: E402

RATE = 30  # messages a second, overall: what the server enforces and the ideal is counted at
WRITE_EVERY = 5.0  # seconds between stakeholders writing during the fan-out
CONSULTBOT = str(Path(sys.executable).with_name("consultbot"))
DRAFT = ["We are concerned.", "We will refuse licences.", "We call on companies."]


def is_reply(text: object) -> bool:
    return str(text or "").startswith("Recorded #")


async def comment(server: BotAPIServer, user: User, waits: list[tuple[float, bool]]) -> None:
    """`user` comments; appends to `waits` the seconds until "Recorded" and whether it came."""

    def replies() -> int:
        return sum(1 for message in server.sent_messages(user) if is_reply(message.text))

    before = replies()
    started = time.monotonic()
    server.user_sends_text(user, "/comment 2 Written while the round is announced.")
    try:
        await server.wait_for(lambda: replies() > before, 3600, "the reply")
    finally:  # or cancelled at the last announcement
        waits.append((time.monotonic() - started, replies() > before))


def wrote_to_bot(records: Records, platform_id: str) -> None:
    """As if the person had written to the bot in private (their private chat is known)."""
    sender = records.people.sender(platform_id)
    assert sender is not None
    records.people.note_dm_chat(sender, platform_id)


def seed(database: Path, facilitator: User, stakeholders: list[User]) -> None:
    """A consultation with a draft and `stakeholders` who joined (and wrote to the bot)."""
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    store = Store(engine)
    with store.transaction() as records:
        fac = records.people.person_for(
            f"telegram:{facilitator.id}", display_name="Fac", language="en"
        )
        assert fac.id is not None
        wrote_to_bot(records, f"telegram:{facilitator.id}")
        consultation = records.consultations.create("Fan-out", created_by=fac.id)
        assert consultation.id is not None
        fac.current_consultation_id = consultation.id
        records.save(fac)
        records.drafts.add_version(
            consultation.id,
            title="Fan-out",
            paragraphs=[(f"p{i}", text, []) for i, text in enumerate(DRAFT, start=1)],
            parent_id=None,
            created_by=fac.id,
        )
        groups = [g.id for g in records.consultations.groups(consultation.id) if g.id is not None]
        for n, user in enumerate(stakeholders):
            platform_id = f"telegram:{user.id}"
            person = records.people.person_for(
                platform_id, display_name=user.first_name, language="en"
            )
            assert person.id is not None
            person.current_consultation_id = consultation.id
            person.organisation = f"Org {n}"
            records.save(person)
            wrote_to_bot(records, platform_id)
            records.consultations.add_member(
                consultation.id, person.id, Role.STAKEHOLDER, groups[n % len(groups)]
            )
    engine.dispose()


async def run(count: int, round_trip: float) -> None:
    async with BotAPIServer() as server:
        facilitator = server.create_user("Facilitator")
        server.private_chat(facilitator)
        stakeholders = [server.create_user(f"S{n}") for n in range(count)]
        for user in stakeholders:
            server.private_chat(user)  # they started the bot once
        folder = Path(tempfile.mkdtemp(prefix="consultbot-fanout-"))
        database = folder / "consultbot.db"
        print(f"seeding {count} stakeholders ...", flush=True)
        await asyncio.to_thread(seed, database, facilitator, stakeholders)
        server.set_rate_limit(global_per_second=RATE, per_chat_per_second=1)
        if round_trip > 0:
            server.faults.randomly("sendMessage", 1.0, Slow(round_trip, after_processing=True))

        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
        env.update(
            CONSULTBOT_TELEGRAM_TOKEN=server.token,
            CONSULTBOT_TELEGRAM_API_URL=server.base_url,
            CONSULTBOT_DATABASE_URL=f"sqlite:///{database}",
            CONSULTBOT_ADMINS=f"telegram:{facilitator.id}",
            CONSULTBOT_DATA_DIR=str(folder),
            CONSULTBOT_LOG_LEVEL="WARNING",
        )
        with (folder / "consultbot.log").open("wb") as log:
            bot = await asyncio.create_subprocess_exec(
                CONSULTBOT, "run", env=env, stdout=log, stderr=log
            )
            try:
                await server.wait_for(lambda: server.is_long_polling, 60, "consultbot to start")
                chats = {user.id for user in stakeholders}
                progress = {"seen": 0, "announced": 0}

                def announcement(call: RecordedCall) -> bool:
                    return (
                        call.status == 200
                        and int(call.params.get("chat_id", 0)) in chats
                        and not is_reply(call.params.get("text"))
                    )

                def all_announced() -> bool:
                    """Counts the new calls only: the server notifies after each one."""
                    calls = server.calls
                    progress["announced"] += sum(map(announcement, calls[progress["seen"] :]))
                    progress["seen"] = len(calls)
                    return progress["announced"] >= count

                timeout = 3 * count / RATE + 60 + count * round_trip
                waits: list[tuple[float, bool]] = []

                async def people_write() -> None:
                    await server.wait_for(lambda: progress["announced"] > 0, timeout, "a start")
                    for writer in stakeholders:  # answering an announcement they had
                        await asyncio.sleep(WRITE_EVERY)
                        await comment(server, writer, waits)

                started = time.monotonic()
                server.user_sends_text(facilitator, "/round open 3d")
                writing = asyncio.create_task(people_write())
                with contextlib.suppress(TimeoutError):
                    await server.wait_for(all_announced, timeout, "every announcement")
                writing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writing
                await asyncio.sleep(2)  # let any late duplicate show itself
            finally:
                bot.send_signal(signal.SIGTERM)
                await bot.wait()

        sends = [c for c in server.calls_to("sendMessage") if announcement(c)]

        def announcements(messages: list[ChatMessage]) -> int:
            return sum(1 for message in messages if not is_reply(message.text))

        received = {user.id: announcements(server.sent_messages(user)) for user in stakeholders}
        lost = sum(1 for n in received.values() if n == 0)
        duplicated = sum(1 for n in received.values() if n > 1)
        first, last = sends[0].at, sends[-1].at
        fanout = last - first
        total = last - started
        ideal = count / RATE
        print(f"stakeholders             {count}")
        print(f"server limit             {RATE}/s overall, 1/s per chat")
        if round_trip > 0:
            print(f"round trip               {1000 * round_trip:.0f} ms a sendMessage")
        print(f"announcements delivered  {len(sends)}")
        print(f"lost                     {lost}")
        print(f"duplicated               {duplicated}")
        print(f"429s answered            {server.stats.too_many_requests}")
        print(f"ideal (count / rate)     {ideal:.1f} s")
        print(f"fan-out (first to last)  {fanout:.1f} s  = {count / fanout:.1f}/s, "
              f"{100 * ideal / fanout:.1f}% of the rate")  # fmt: skip
        print(f"command to last          {total:.1f} s  = {100 * ideal / total:.1f}% of the rate "
              f"(first announcement after {first - started:.2f} s)")  # fmt: skip
        answered = sorted(1000 * seconds for seconds, came in waits if came)
        line = f"comments meanwhile       {len(waits)}"
        if answered:
            line += f", answered in p50 {statistics.median(answered):.0f} ms"
            line += f", max {answered[-1]:.0f} ms"
        for seconds, came in waits:
            if not came:
                line += f"; unanswered at the last announcement, after {seconds:.1f} s"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="stakeholders (default 2000)")
    parser.add_argument(
        "--round-trip", type=float, default=0.0, help="seconds the server takes to answer"
    )
    arguments = parser.parse_args()
    asyncio.run(run(arguments.count, arguments.round_trip))


if __name__ == "__main__":
    main()
