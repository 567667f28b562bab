"""Announcing a round to many stakeholders on Telegram, under Telegram's flood limits.

The loopback Bot API server (tests/telegram_api) enforces 30 messages a second overall and
one a second per chat, answering 429 with retry_after beyond that, as Telegram does. The
database is seeded with COUNT stakeholders who have talked to the bot before; then
`consultbot run` (a real process) is started and the facilitator sends `/round open 3d`.

Printed: time from the command to the last announcement delivered, the fan-out itself
(first to last announcement) against the ideal COUNT / 30 s, 429s the server answered,
announcements lost and duplicated.

    python bench/telegram_fanout.py              # 2,000 stakeholders (about 70 s)
    python bench/telegram_fanout.py --count 300  # a quicker look
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the loopback Bot API server lives with the tests

from telegram_api import BotAPIServer, User  # noqa: E402

from consultations.model import Role  # noqa: E402
from storage.engine import make_engine, upgrade  # noqa: E402
from storage.records import Store  # noqa: E402

RATE = 30  # messages a second, overall: what the server enforces and the ideal is counted at
CONSULTBOT = str(Path(sys.executable).with_name("consultbot"))
DRAFT = ["We are concerned.", "We will refuse licences.", "We call on companies."]


def seed(database: Path, facilitator: User, stakeholders: list[User]) -> None:
    """A consultation with a draft and `stakeholders` who joined (and wrote to the bot)."""
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    store = Store(engine)
    with store.transaction() as records:
        fac = records.person_for(f"telegram:{facilitator.id}", display_name="Fac", language="en")
        assert fac.id is not None
        records.note_dm_chat(f"telegram:{facilitator.id}", f"telegram:{facilitator.id}")
        consultation = records.create_consultation("Fan-out", created_by=fac.id)
        assert consultation.id is not None
        fac.current_consultation_id = consultation.id
        records.save(fac)
        records.add_version(
            consultation.id,
            title="Fan-out",
            paragraphs=[(f"p{i}", text, []) for i, text in enumerate(DRAFT, start=1)],
            parent_id=None,
            created_by=fac.id,
        )
        groups = [g.id for g in records.groups(consultation.id) if g.id is not None]
        for n, user in enumerate(stakeholders):
            platform_id = f"telegram:{user.id}"
            person = records.person_for(platform_id, display_name=user.first_name, language="en")
            assert person.id is not None
            person.current_consultation_id = consultation.id
            person.organisation = f"Org {n}"
            records.save(person)
            records.note_dm_chat(platform_id, platform_id)
            records.add_member(
                consultation.id, person.id, Role.STAKEHOLDER, groups[n % len(groups)]
            )
    engine.dispose()


async def run(count: int) -> None:
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

                def all_announced() -> bool:
                    """Counts the new calls only: the server notifies after each one."""
                    calls = server.calls
                    for call in calls[progress["seen"] :]:
                        if call.status == 200 and int(call.params.get("chat_id", 0)) in chats:
                            progress["announced"] += 1
                    progress["seen"] = len(calls)
                    return progress["announced"] >= count

                started = time.monotonic()
                server.user_sends_text(facilitator, "/round open 3d")
                timeout = 3 * count / RATE + 60
                with contextlib.suppress(TimeoutError):
                    await server.wait_for(all_announced, timeout, "every announcement")
                await asyncio.sleep(2)  # let any late duplicate show itself
            finally:
                bot.send_signal(signal.SIGTERM)
                await bot.wait()

        sends = [
            c for c in server.calls_to("sendMessage")
            if c.status == 200 and int(c.params.get("chat_id", 0)) in chats
        ]  # fmt: skip
        received = {user.id: len(server.sent_messages(user)) for user in stakeholders}
        lost = sum(1 for n in received.values() if n == 0)
        duplicated = sum(1 for n in received.values() if n > 1)
        first, last = sends[0].at, sends[-1].at
        fanout = last - first
        total = last - started
        ideal = count / RATE
        print(f"stakeholders             {count}")
        print(f"server limit             {RATE}/s overall, 1/s per chat")
        print(f"announcements delivered  {len(sends)}")
        print(f"lost                     {lost}")
        print(f"duplicated               {duplicated}")
        print(f"429s answered            {server.stats.too_many_requests}")
        print(f"ideal (count / rate)     {ideal:.1f} s")
        print(f"fan-out (first to last)  {fanout:.1f} s  = {count / fanout:.1f}/s, "
              f"{100 * ideal / fanout:.1f}% of the rate")  # fmt: skip
        print(f"command to last          {total:.1f} s  = {100 * ideal / total:.1f}% of the rate "
              f"(first announcement after {first - started:.2f} s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="stakeholders (default 2000)")
    asyncio.run(run(parser.parse_args().count))


if __name__ == "__main__":
    main()
