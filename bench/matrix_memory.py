"""Resident memory of `consultbot run`, idle, with both adapters configured.

Telegram points at the loopback Bot API server (tests/telegram_api, in this process) and
Matrix at a Synapse (tests/matrix_homeserver.py) in a temporary directory. The bot is
started, a stakeholder-free facilitator talks to it once on each platform (so both
adapters have done real work: a login, a sync, a transaction, a send), then it idles
while its resident set size (VmRSS in /proc) is sampled. Then the same again after a
restart on the same database and store path, as a bot runs most of its life: the first
start creates the schema (Alembic's migrations) and logs in to Matrix; a restart finds
the schema current and restores its Matrix session. Goal: 120 MB or less, for both.

    python bench/matrix_memory.py               # 20 s idle
    python bench/matrix_memory.py --idle 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the test servers, in the package tests

from tests.matrix_homeserver import SynapseServer  # noqa: E402
from tests.telegram_api import BotAPIServer  # noqa: E402

CONSULTBOT = str(Path(sys.executable).with_name("consultbot"))
GOAL_MB = 120


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of `pid`, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def text_of(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


async def wait_for(condition, what: str, within: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {within:.0f}s")
        await asyncio.sleep(0.05)


async def matrix_hello(server: SynapseServer, bot_id: str, user_id: str, password: str) -> None:
    """The facilitator opens a DM with the bot and gets an answer to !help."""
    client = nio.AsyncClient(server.base_url, user_id)
    await client.login(password)
    created = await client.room_create(
        is_direct=True, invite=[bot_id], preset=nio.RoomPreset.trusted_private_chat
    )
    assert isinstance(created, nio.RoomCreateResponse), created
    answered = asyncio.Event()

    async def on_text(room: nio.MatrixRoom, event: nio.RoomMessageText) -> None:
        if event.sender == bot_id and "Commands you can use" in event.body:
            answered.set()

    client.add_event_callback(on_text, nio.RoomMessageText)
    syncing = asyncio.create_task(client.sync_forever(timeout=1000))
    await wait_for(
        lambda: (
            bot_id in getattr(client.rooms.get(created.room_id), "users", {})
            and not client.rooms[created.room_id].users[bot_id].invited
        ),
        "join of the bot",
    )
    await client.room_send(
        created.room_id, "m.room.message", {"msgtype": "m.text", "body": "!help"}
    )
    await asyncio.wait_for(answered.wait(), 60)
    syncing.cancel()
    await client.close()


async def run_bot(
    label: str,
    env: dict[str, str],
    log: Path,
    idle: float,
    telegram: BotAPIServer,
    fac_tg: Any,
    matrix: tuple[SynapseServer, str, str, str],
) -> int:
    """Start `consultbot run`, have it answer once on each platform, sample it idling;
    print the figures and return the highest RSS seen."""
    mb = 1024 * 1024
    started = time.monotonic()
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            CONSULTBOT, "run", env=env, stdout=output, stderr=output
        )
    try:
        await wait_for(lambda: "consultbot running with" in text_of(log), "start of consultbot")
        running = status(process.pid)["VmRSS"]
        platforms = text_of(log).split("consultbot running with")[1].splitlines()[0]
        print(f"{label}: started in {time.monotonic() - started:.1f}s with {platforms.strip()}")
        # Some real work on each platform first.
        before = len(telegram.sent_messages(fac_tg))
        telegram.user_sends_text(fac_tg, "/help")
        await telegram.wait_for(
            lambda: len(telegram.sent_messages(fac_tg)) > before, 30, "Telegram reply"
        )
        await matrix_hello(*matrix)
        worked = status(process.pid)["VmRSS"]

        samples = []
        end = time.monotonic() + idle
        while time.monotonic() < end:
            samples.append(status(process.pid)["VmRSS"])
            await asyncio.sleep(0.5)
        peak = status(process.pid)["VmHWM"]
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()

    print(f"  RSS after start                 {running / mb:6.1f} MB")
    print(f"  RSS after a reply on each       {worked / mb:6.1f} MB")
    print(
        f"  RSS idle {idle:.0f}s: median {sorted(samples)[len(samples) // 2] / mb:6.1f} MB, "
        f"max {max(samples) / mb:6.1f} MB, last {samples[-1] / mb:6.1f} MB"
    )
    print(f"  peak (VmHWM)                    {peak / mb:6.1f} MB")
    return max(samples)


async def bench(idle: float, workdir: Path) -> None:
    synapse = SynapseServer(workdir / "synapse").start()
    try:
        async with BotAPIServer() as telegram:
            fac_password = secrets.token_urlsafe(12)
            fac_id, _ = synapse.register_user(f"fac-{secrets.token_hex(3)}", fac_password)
            bot_password = secrets.token_urlsafe(12)
            bot_id, _ = synapse.register_user(f"consultbot-{secrets.token_hex(3)}", bot_password)
            fac_tg = telegram.create_user("Facilitator")
            telegram.private_chat(fac_tg)
            env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
            env.update(
                {
                    "CONSULTBOT_TELEGRAM_TOKEN": telegram.token,
                    "CONSULTBOT_TELEGRAM_API_URL": telegram.base_url,
                    "CONSULTBOT_MATRIX_HOMESERVER": synapse.base_url,
                    "CONSULTBOT_MATRIX_USER_ID": bot_id,
                    "CONSULTBOT_MATRIX_PASSWORD": bot_password,
                    "CONSULTBOT_DATA_DIR": str(workdir / "data"),
                    "CONSULTBOT_DATABASE_URL": f"sqlite:///{workdir / 'consultbot.db'}",
                    "CONSULTBOT_MATRIX_STORE_PATH": str(workdir / "store"),
                    "CONSULTBOT_ADMINS": f"matrix:{fac_id},telegram:{fac_tg.id}",
                }
            )
            matrix = (synapse, bot_id, fac_id, fac_password)
            highest = [
                await run_bot(label, env, workdir / f"{log}.log", idle, telegram, fac_tg, matrix)
                for label, log in (("first start", "first"), ("restart", "restart"))
            ]

        mb = 1024 * 1024
        verdict = "within" if max(highest) <= GOAL_MB * mb else "OVER"
        print(
            f"idle RSS: first start {highest[0] / mb:.1f} MB, restart {highest[1] / mb:.1f} MB: "
            f"{verdict} the {GOAL_MB} MB goal"
        )
        print(f"(Synapse itself: {(synapse.rss_bytes() or 0) / mb:.0f} MB, not counted)")
    finally:
        synapse.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idling to sample")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="matrix-memory-") as workdir:
        asyncio.run(bench(args.idle, Path(workdir)))


if __name__ == "__main__":
    main()
