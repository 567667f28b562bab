"""Reply latency on Matrix: consultbot against a bare matrix-nio echo bot, same Synapse.

One Synapse (tests/matrix_homeserver.py, rate limits lifted) in a temporary directory;
both bots run as processes at the same time; a person (a nio client in this process) has
a DM with each and alternates probes between them, one in flight at a time, so both see
the same machine. Latency is from the person's send to the reply arriving in the
person's sync: the send, the bot's long-poll wake-up, the bot's work, its send, and the
person's own wake-up (the last and first are the same for both bots).

* echo: nio's `sync_forever` with an event callback that answers with the same text, as
  matrix-nio's basic_client example writes it (no store, no encryption).
* consultbot: `consultbot run` on SQLite; the person, a stakeholder, sends `!comment 1 …`
  (stored in one transaction, then "Recorded #N") and `!help` (read only, but the event
  is claimed).

    python bench/matrix_latency.py             # 300 probes of each kind
    python bench/matrix_latency.py --count 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the test servers, in the package tests

from tests.matrix_homeserver import SynapseServer  # noqa: E402

CONSULTBOT = str(Path(sys.executable).with_name("consultbot"))
WARM_UP = 20
DRAFT = "We are concerned.\n\nWe will refuse licences.\n\nWe call on companies."
CODE = re.compile(r"^([A-Za-z0-9_-]{20,})$", re.MULTILINE)


# ---- the bare echo bot (its own process) -------------------------------------------------


async def echo_bot(homeserver: str, user_id: str, password: str) -> None:
    """The bare matrix-nio bot: join on invite, answer each text with the same text."""
    client = nio.AsyncClient(homeserver, user_id)

    async def on_invite(room: nio.MatrixRoom, event: nio.InviteMemberEvent) -> None:
        if event.state_key == client.user_id:
            await client.join(room.room_id)

    async def on_text(room: nio.MatrixRoom, event: nio.RoomMessageText) -> None:
        if event.sender != client.user_id:
            await client.room_send(
                room.room_id, "m.room.message", {"msgtype": "m.text", "body": event.body}
            )

    await client.login(password)
    await client.sync(timeout=0)  # start from now, as consultbot does
    client.add_event_callback(on_invite, nio.InviteMemberEvent)
    client.add_event_callback(on_text, nio.RoomMessageText)
    print("echo bot running", flush=True)
    await client.sync_forever(timeout=30_000)


# ---- the person -------------------------------------------------------------------------


class Person:
    """A nio client that syncs in the background and timestamps what bots send."""

    def __init__(self, client: nio.AsyncClient) -> None:
        self.client = client
        self.arrivals: dict[str, asyncio.Queue[tuple[float, str]]] = {}
        client.add_event_callback(self._on_text, nio.RoomMessageText)
        self.task = asyncio.create_task(client.sync_forever(timeout=30_000))

    async def _on_text(self, room: nio.MatrixRoom, event: nio.RoomMessageText) -> None:
        if event.sender != self.client.user_id and room.room_id in self.arrivals:
            self.arrivals[room.room_id].put_nowait((time.perf_counter(), event.body))

    async def dm(self, bot: str) -> str:
        created = await self.client.room_create(
            is_direct=True, invite=[bot], preset=nio.RoomPreset.trusted_private_chat
        )
        assert isinstance(created, nio.RoomCreateResponse), created
        self.arrivals[created.room_id] = asyncio.Queue()
        deadline = time.monotonic() + 30
        while True:
            room = self.client.rooms.get(created.room_id)
            if room is not None and bot in room.users and not room.users[bot].invited:
                return str(created.room_id)
            if time.monotonic() > deadline:
                raise RuntimeError(f"{bot} did not join")
            await asyncio.sleep(0.05)

    async def ask(self, room_id: str, text: str, needle: str) -> tuple[float, str]:
        """Send `text`; (seconds until a reply containing `needle` arrived, that reply)."""
        queue = self.arrivals[room_id]
        started = time.perf_counter()
        sent = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": text}
        )
        assert isinstance(sent, nio.RoomSendResponse), sent
        while True:
            arrived, body = await asyncio.wait_for(queue.get(), 30)
            if needle in body:
                return arrived - started, body


async def person(server: SynapseServer, name: str) -> Person:
    password = secrets.token_urlsafe(12)
    user_id, _ = server.register_user(f"{name}-{secrets.token_hex(3)}", password)
    client = nio.AsyncClient(server.base_url, user_id)
    await client.login(password)
    await client.sync(timeout=0)
    return Person(client)


def run(command: list[str], env: dict[str, str], log: Path, ready: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while ready not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{command[0]} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)
    return process


def figures(name: str, seconds: list[float]) -> tuple[float, float]:
    ms = sorted(1000 * s for s in seconds)
    centiles = statistics.quantiles(ms, n=100, method="inclusive")
    p50, p99 = statistics.median(ms), centiles[98]
    print(f"{name:<22} n={len(ms):<4} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   max {ms[-1]:7.1f} ms")
    return p50, p99


async def bench(count: int, workdir: Path) -> None:
    server = SynapseServer(workdir / "synapse").start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
        fac = await person(server, "fac")
        ana = await person(server, "ana")

        echo_password = secrets.token_urlsafe(12)
        echo_id, _ = server.register_user(f"echo-{secrets.token_hex(3)}", echo_password)
        processes.append(
            run(
                [sys.executable, __file__, "--echo", server.base_url, echo_id, echo_password],
                base_env,
                workdir / "echo.log",
                "echo bot running",
            )
        )

        bot_password = secrets.token_urlsafe(12)
        bot_id, _ = server.register_user(f"consultbot-{secrets.token_hex(3)}", bot_password)
        env = {
            **base_env,
            "CONSULTBOT_MATRIX_HOMESERVER": server.base_url,
            "CONSULTBOT_MATRIX_USER_ID": bot_id,
            "CONSULTBOT_MATRIX_PASSWORD": bot_password,
            "CONSULTBOT_DATA_DIR": str(workdir / "data"),
            "CONSULTBOT_DATABASE_URL": f"sqlite:///{workdir / 'consultbot.db'}",
            "CONSULTBOT_MATRIX_STORE_PATH": str(workdir / "store"),
            "CONSULTBOT_ADMINS": f"matrix:{fac.client.user_id}",
        }
        processes.append(run([CONSULTBOT, "run"], env, workdir / "consultbot.log", "running"))

        # A consultation with an open round, and ana as a stakeholder in it.
        fac_room = await fac.dm(bot_id)
        await fac.ask(fac_room, "!new Latency", "created")
        await fac.ask(fac_room, DRAFT, "loaded")
        _, invite = await fac.ask(fac_room, "!invite government 1", "Invite code")
        code = CODE.search(invite)
        assert code is not None, invite
        ana_bot = await ana.dm(bot_id)
        await ana.ask(ana_bot, f"!start {code.group(1)}", "organisation")
        await ana.ask(ana_bot, "Ana Org", "Thank you")
        await fac.ask(fac_room, "!round open 3d", "is open")
        ana_echo = await ana.dm(echo_id)

        echo: list[float] = []
        comment: list[float] = []
        help_: list[float] = []
        for i in range(WARM_UP + count):
            e, _ = await ana.ask(ana_echo, f"probe {i}", f"probe {i}")
            c, _ = await ana.ask(ana_bot, f"!comment 1 Probe comment {i}.", "Recorded #")
            h, _ = await ana.ask(ana_bot, "!help", "Commands you can use")
            if i >= WARM_UP:
                echo.append(e)
                comment.append(c)
                help_.append(h)

        print(f"Synapse {server.base_url}, {count} probes of each kind after {WARM_UP} warm-up")
        e50, e99 = figures("echo (bare nio)", echo)
        c50, c99 = figures("consultbot !comment", comment)
        h50, h99 = figures("consultbot !help", help_)
        print(
            f"ratio to echo: !comment p50 {c50 / e50:.2f}x p99 {c99 / e99:.2f}x; "
            f"!help p50 {h50 / e50:.2f}x p99 {h99 / e99:.2f}x (goal: within 1.3x)"
        )
        for someone in (fac, ana):
            someone.task.cancel()
            await someone.client.close()
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        server.stop()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--echo":
        asyncio.run(echo_bot(*sys.argv[2:5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="probes of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="matrix-latency-") as workdir:
        asyncio.run(bench(args.count, Path(workdir)))


if __name__ == "__main__":
    main()
