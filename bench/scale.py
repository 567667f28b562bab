"""A whole large consultation through the real bot, on Telegram's flood limits and Matrix.

`consultbot run` (a real process, long polling, or `--workers` of them) serves the
loopback Bot API server (tests/telegram_api) with Telegram's limits on: 30 messages a
second overall, one a second in a chat (429 with retry_after beyond); and, in the same
process, a Synapse homeserver on loopback (tests/matrix_homeserver.py) with Synapse's
default rate limits, lifted for the bot's account only (the admin API's
override_ratelimit, as its admin would). The Matrix delegates open a direct chat with the
bot and take part as the Telegram ones do, with `!cmd`. Everything goes through chat, as
people would do it: the facilitator creates the consultation and loads a 20-paragraph
draft, makes one invite code per stakeholder group; every stakeholder joins with `/start
CODE` and names their organisation; the round is opened to all; each stakeholder starts
writing as soon as the announcement reaches them (support, oppose, abstain, comment,
amend, endorse, withdraw, in the proportions of a real round), while the announcement
still goes out to the others; the round is closed, summarised, exported in every format;
amendments are accepted, version 2 is published and a second round opened to everybody.

Printed per phase: wall time, throughput, reply time p50/p99 seen by the delegates (on
Matrix in a line of its own), the fan-out rate against Telegram's 30 a second and on
Matrix, the bot process's peak resident memory, the database's size. Then the checks,
each failing the run (exit 1): submissions acknowledged = stored = in the JSON export
(both platforms together), none lost, none stored twice, no command left without a reply,
no 429 past the first, round 2 announced to everybody on both platforms.

    python bench/scale.py --quick                 # 450 + 50 stakeholders, 10,000 submissions
    python bench/scale.py                         # 4,500 + 500, 100,000 submissions
    python bench/scale.py --quick --matrix 0      # Telegram only, no Synapse
    python bench/scale.py --quick --postgres postgresql+psycopg://postgres@127.0.0.1/test
    python bench/scale.py --quick --postgres URL --workers 2   # webhook, two processes

With `--workers N` (PostgreSQL only) the bot is N `consultbot run` processes in webhook
mode sharing one port, each paced to its share of the 30 a second, Matrix in the first;
the loopback server delivers updates as Telegram does, up to 40 at once, one chat's in
order.

Telegram acknowledges at most 30 messages a second for one bot, so input that each gets
its "Recorded #ID" runs at 30 a second at most, whatever the store does (see
docs/scale.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the test servers, in the package tests

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.matrix_homeserver import SynapseServer, free_port  # noqa: E402
from tests.telegram_api import BotAPIServer, User  # noqa: E402

RATE = 30  # Telegram's messages a second for one bot, overall
CONSULTBOT = str(Path(sys.executable).with_name("consultbot"))
PARAGRAPHS = 20
GROUPS = ("government", "civil-society", "private-sector", "academia", "igo")
# What delegates send in a round, by share of submissions (a round of the statement this
# bench is modelled on: most people vote on most paragraphs, fewer write).
MIX = {
    "support": 0.42,
    "oppose": 0.14,
    "abstain": 0.06,
    "comment": 0.22,
    "amend": 0.07,
    "endorse": 0.06,
    "withdraw": 0.03,
}
EXPORTS = {"json": "json", "csv": "csv", "markdown": "md", "html": "html", "docx": "docx"}
RECORDED = re.compile(r"^Recorded #(\d+)")
WITHDRAWN = re.compile(r"^#(\d+) withdrawn")
CODE = re.compile(r"^([A-Za-z0-9_-]{20,})$", re.MULTILINE)
WORDS = [
    "export",
    "licensing",
    "human",
    "rights",
    "surveillance",
    "transparency",
    "due",
    "diligence",
    "remedy",
    "oversight",
    "end",
    "use",
    "controls",
    "intrusion",
    "software",
    "civil",
    "society",
    "victims",
    "accountability",
    "states",
    "companies",
    "reporting",
    "cooperation",
    "risk",
    "assessment",
    "safeguards",
]
ANNOUNCEMENT = "is open:"  # in "Round 1 of “…” is open: 20 paragraphs…"; not in replies
APOLOGY = "Something went wrong on my side and nothing was recorded"  # internal_error
ERROR_RETRIES = 3  # times a delegate sends again after that answer, as they are asked to
REPLY_WAIT = 900.0
THINK = 1.0  # seconds a person takes before sending the next message (--think)
# Telegram lets short bursts through in one chat (a reply of two or three messages); the
# loopback server counts a chat's sends per second, so it is set to allow three.
CHAT_BURST = 3  # seconds a delegate waits for one answer before counting it missing


def draft_text() -> str:
    lines = ["# Joint statement on the export of surveillance technology", ""]
    for n in range(1, PARAGRAPHS + 1):
        if n == 1:
            lines += ["## Preamble", ""]
        if n == 8:
            lines += ["## Commitments", ""]
        lines += [
            f"{n}. Paragraph {n}: the participating states " + " ".join(WORDS[n : n + 9]) + ".",
            "",
        ]
    return "\n".join(lines)


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


# ---- the chats, as the delegates see them ------------------------------------------------


class Inboxes:
    """What the bot sends, chat by chat, read from the server's call log by one task
    (waiting on the server's own condition in 450 tasks would cost the bench its CPU)."""

    def __init__(self, server: BotAPIServer) -> None:
        self.server = server
        self.queues: dict[int, asyncio.Queue[tuple[str, float]]] = defaultdict(asyncio.Queue)
        self.seen = 0
        self.announced: list[float] = []  # when each round announcement was taken
        self.to_delegates: list[float] = []  # when each message to a delegate was taken
        self.facilitator = 0  # the facilitator's chat: not a delegate
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            calls = self.server.calls
            for call in calls[self.seen :]:
                if call.status != 200 or call.method not in ("sendMessage", "sendDocument"):
                    continue
                words = str(call.params.get("text") or call.params.get("caption") or "")
                if call.method == "sendDocument":
                    words = f"[document {call.params.get('document')}] {words}"
                if ANNOUNCEMENT in words:
                    self.announced.append(call.at)
                if int(call.params.get("chat_id", 0)) != self.facilitator:
                    self.to_delegates.append(call.at)
                self.queues[int(call.params.get("chat_id", 0))].put_nowait((words, call.at))
            self.seen = len(calls)
            await asyncio.sleep(0.02)


@dataclass
class Delegate:
    name: str
    group: str
    inbox: asyncio.Queue[tuple[str, float]]
    send: Callable[[str], Awaitable[None]]
    prefix: str = "/"  # commands: /cmd on Telegram, !cmd on Matrix
    own: list[int] = field(default_factory=list)  # submission ids acknowledged to them
    amendments: list[int] = field(default_factory=list)
    endorsed: set[int] = field(default_factory=set)

    async def expect(
        self, pattern: re.Pattern[str] | str | None, within: float = REPLY_WAIT
    ) -> str | None:
        """The next message matching `pattern` (others, such as announcements, pass); with
        no pattern, the next message that is not an announcement."""
        deadline = time.monotonic() + within
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                words, _ = await asyncio.wait_for(self.inbox.get(), left)
            except TimeoutError:
                return None
            if APOLOGY in words:  # the bot could not record it: the person is told to retry
                return words
            if pattern is None:
                if ANNOUNCEMENT not in words:
                    return words
            elif pattern.search(words) if isinstance(pattern, re.Pattern) else pattern in words:
                return words


@dataclass
class Tally:
    """What one phase measured."""

    replies: list[float] = field(default_factory=list)  # seconds, command to its answer
    missing: int = 0
    sent: int = 0
    acknowledged: dict[int, str] = field(default_factory=dict)  # id -> kind
    withdrawn: set[int] = field(default_factory=set)
    refused: Counter[str] = field(default_factory=Counter)
    apologies: int = 0  # "nothing was recorded, please try again": sent again


async def ask(
    server: BotAPIServer,
    who: Delegate,
    words: str,
    expect: re.Pattern[str] | str | None,
    tally: Tally,
    *,
    within: float = REPLY_WAIT,
) -> str | None:
    """`who` sends `words` and waits for the answer; first they take THINK seconds, as a
    person reads the last answer and types (Telegram allows about a message a second in
    one chat, in short bursts)."""
    for _ in range(ERROR_RETRIES):
        await asyncio.sleep(THINK)
        started = time.monotonic()
        if words.startswith("/"):
            words = who.prefix + words[1:]
        await who.send(words)
        tally.sent += 1
        answer = await who.expect(expect, min(within, REPLY_WAIT))
        if answer is None or APOLOGY not in answer:
            break
        tally.apologies += 1
    if answer is None:
        tally.missing += 1
        print(f"  no answer to {words[:40]!r} from {who.name}", flush=True)
    else:
        tally.replies.append(time.monotonic() - started)
    return answer


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# ---- Matrix: a Synapse homeserver, delegates as one application service ---------------------


class MatrixSide:
    """A Synapse on loopback (tests/matrix_homeserver.py) with its default rate limits, lifted
    for the bot's account only (the admin API's override_ratelimit, as its admin would),
    and the Matrix delegates. They are the users of one application service: Synapse pushes
    every event of their DMs to this process in transactions, so 500 people need no 500
    syncs (which would measure the bench, not the bot); each sends as a person's client
    does, one PUT a message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.as_token = secrets.token_hex(16)
        self.hs_token = secrets.token_hex(16)
        self.port = free_port()
        registration = {
            "id": "scale-delegates",
            "url": f"http://127.0.0.1:{self.port}",
            "as_token": self.as_token,
            "hs_token": self.hs_token,
            "sender_localpart": "scale-bridge",
            "namespaces": {
                "users": [{"exclusive": True, "regex": "@delegate-.*:localhost"}],
                "aliases": [],
                "rooms": [],
            },
            # the simulated people stand for users of many homeservers: the bench does not
            # slow them down; the bot's limits are the ones under test
            "rate_limited": False,
        }
        (folder / "synapse").mkdir()
        registration_path = folder / "synapse" / "delegates.yaml"
        registration_path.write_text(json.dumps(registration))
        self.server = SynapseServer(
            folder / "synapse",
            lift_rate_limits=False,
            extra_config={"app_service_config_files": [str(registration_path)]},
        )
        self.bot_id = ""
        self.bot_token = ""
        self.queues: dict[str, asyncio.Queue[tuple[str, float]]] = defaultdict(asyncio.Queue)
        self.bot_joined: set[str] = set()
        self.announced: list[float] = []
        self.to_delegates: list[float] = []
        self.received = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._txn = 0

    async def start(self) -> None:
        await asyncio.to_thread(self.server.start)
        password = secrets.token_urlsafe(16)
        self.bot_id, self.bot_token = await asyncio.to_thread(
            self.server.register_user, "consultbot", password
        )
        _, admin_token = await asyncio.to_thread(
            self.server.register_user, "admin", secrets.token_urlsafe(16), True
        )
        app = web.Application()
        app.router.add_put("/_matrix/app/v1/transactions/{txn}", self._transaction)
        app.router.add_put("/transactions/{txn}", self._transaction)
        app.router.add_route("*", "/{tail:.*}", self._nothing)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=50),
            headers={"Authorization": f"Bearer {self.as_token}"},
        )
        # the bot's account, and only it, without limits (docs/matrix.md)
        async with self._session.post(
            f"{self.server.base_url}/_synapse/admin/v1/users/{quote(self.bot_id)}/override_ratelimit",
            json={"messages_per_second": 0, "burst_count": 0},
            headers={"Authorization": f"Bearer {admin_token}"},
        ) as response:
            response.raise_for_status()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        await asyncio.to_thread(self.server.stop)

    async def _nothing(self, request: web.Request) -> web.Response:
        return web.json_response({"errcode": "M_NOT_FOUND"}, status=404)

    async def _transaction(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.hs_token}" and (
            request.query.get("access_token") != self.hs_token
        ):
            return web.json_response({"errcode": "M_FORBIDDEN"}, status=403)
        now = time.monotonic()
        for event in (await request.json()).get("events", []):
            room = event.get("room_id", "")
            if event.get("sender") != self.bot_id:
                continue
            if event.get("type") == "m.room.member" and event.get("state_key") == self.bot_id:
                if event.get("content", {}).get("membership") == "join":
                    self.bot_joined.add(room)
            elif event.get("type") == "m.room.message":
                content = event.get("content", {})
                words = str(content.get("body", ""))
                if content.get("msgtype") == "m.file":
                    words = f"[document {words}]"
                if ANNOUNCEMENT in words:
                    self.announced.append(now)
                self.to_delegates.append(now)
                self.received += 1
                self.queues[room].put_nowait((words, now))
        return web.json_response({})

    async def _call(self, method: str, path: str, user: str, body: object) -> dict[str, object]:
        assert self._session is not None
        url = f"{self.server.base_url}/_matrix/client/v3{path}"
        for attempt in range(10):
            async with self._session.request(
                method, url, params={"user_id": user}, json=body
            ) as response:
                if response.status < 500 and response.status != 429:
                    response.raise_for_status()
                    return dict(await response.json())
            await asyncio.sleep(0.5 * (attempt + 1))
        raise RuntimeError(f"{method} {path} for {user}: the homeserver kept refusing")

    async def register(self, n: int) -> str:
        assert self._session is not None
        async with self._session.post(
            f"{self.server.base_url}/_matrix/client/v3/register",
            json={"type": "m.login.application_service", "username": f"delegate-{n}"},
        ) as response:
            response.raise_for_status()
            return str((await response.json())["user_id"])

    async def open_dm(self, user: str) -> str:
        created = await self._call(
            "POST",
            "/createRoom",
            user,
            {"is_direct": True, "invite": [self.bot_id], "preset": "trusted_private_chat"},
        )
        return str(created["room_id"])

    async def say(self, user: str, room: str, words: str) -> None:
        self._txn += 1
        await self._call(
            "PUT",
            f"/rooms/{quote(room)}/send/m.room.message/scale{self._txn}",
            user,
            {"msgtype": "m.text", "body": words},
        )


# ---- the bot process ---------------------------------------------------------------------


class Bot:
    """The bot: one `consultbot run` (long polling), or `workers` of them on PostgreSQL
    sharing one webhook port (`SO_REUSEPORT`), each with its share of Telegram's 30 a
    second; Matrix in the first only (its device cannot be shared)."""

    def __init__(
        self,
        server: BotAPIServer,
        folder: Path,
        url: str,
        admin: User,
        matrix: MatrixSide | None = None,
        workers: int = 1,
    ) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
        self.env.update(
            CONSULTBOT_TELEGRAM_TOKEN=server.token,
            CONSULTBOT_TELEGRAM_API_URL=server.base_url,
            CONSULTBOT_DATABASE_URL=url,
            CONSULTBOT_ADMINS=f"telegram:{admin.id}",
            CONSULTBOT_DATA_DIR=str(folder),
            CONSULTBOT_LOG_LEVEL="WARNING",
        )
        if workers > 1:
            port = free_port()
            self.env.update(
                CONSULTBOT_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
                CONSULTBOT_TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(24),
                CONSULTBOT_TELEGRAM_WEBHOOK_PORT=str(port),
                CONSULTBOT_TELEGRAM_MESSAGES_PER_SECOND=f"{RATE / workers:g}",
                CONSULTBOT_EVENT_KEY=secrets.token_hex(32),
            )
        self.matrix_env: dict[str, str] = {}
        if matrix is not None:
            self.matrix_env = {
                "CONSULTBOT_MATRIX_HOMESERVER": matrix.server.base_url,
                "CONSULTBOT_MATRIX_USER_ID": matrix.bot_id,
                "CONSULTBOT_MATRIX_ACCESS_TOKEN": matrix.bot_token,
                "CONSULTBOT_MATRIX_STORE_PATH": str(folder / "matrix-store"),
            }
        self.workers = workers
        self.folder = folder
        self.url = url
        self.processes: list[asyncio.subprocess.Process] = []
        self.logs = [folder / f"consultbot-{n + 1}.log" for n in range(workers)]
        self._peaks = [float("nan")] * workers  # VmHWM, read last while the process lived

    async def start(self) -> None:
        for n, log_path in enumerate(self.logs):
            env = {**self.env, **(self.matrix_env if n == 0 else {})}
            with log_path.open("wb") as log:
                self.processes.append(
                    await asyncio.create_subprocess_exec(
                        CONSULTBOT, "run", env=env, stdout=log, stderr=log
                    )
                )

    async def stop(self) -> None:
        self.peak_rss_mb()
        for process in self.processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            await process.wait()

    def peak_rss_mb(self) -> list[float]:
        """Each process's resident memory at its highest so far (VmHWM)."""
        for n, process in enumerate(self.processes):
            with contextlib.suppress(OSError, ValueError):
                for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self._peaks[n] = int(line.split()[1]) / 1024
        return list(self._peaks)

    def export(self, fmt: str) -> tuple[float, bytes]:
        target = self.folder / f"export.{fmt}"
        started = time.monotonic()
        subprocess.run(
            [CONSULTBOT, "export", "--consultation", "1", "--format", fmt, "-o", str(target)],
            env=self.env,
            check=True,
            capture_output=True,
        )
        return time.monotonic() - started, target.read_bytes()


def database_size_mb(url: str) -> float:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    engine = create_engine(url)
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return int(size or 0) / 2**20


def stored_submissions(url: str) -> list[tuple[int, str, str, bool]]:
    """(id, kind, text, withdrawn) of every submission in the database."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, kind, coalesce(text, ''), withdrawn_at IS NOT NULL FROM submission")
        ).all()
    engine.dispose()
    return [(int(r[0]), str(r[1]), str(r[2]), bool(r[3])) for r in rows]


# ---- the run -----------------------------------------------------------------------------


class Report:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.rows: list[str] = []
        self.failures: list[str] = []

    def phase(
        self, name: str, seconds: float, count: int, unit: str, tally: Tally | None = None
    ) -> None:
        rate = count / seconds if seconds > 0 else float("nan")
        line = f"{name:<22} {seconds:8.1f} s  {count:7,} {unit:<13} {rate:8.1f}/s"
        if tally is not None and tally.replies:
            line += (
                f"  reply p50 {1000 * percentile(tally.replies, 50):6.0f} ms"
                f"  p99 {1000 * percentile(tally.replies, 99):7.0f} ms"
            )
        rss = " + ".join(f"{mb:.0f}" for mb in self.bot.peak_rss_mb())
        line += f"  RSS {rss:>5} MB  DB {database_size_mb(self.bot.url):6.1f} MB"
        print(line, flush=True)

    def check(self, name: str, ok: bool, detail: str) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {name:<34} {detail}", flush=True)
        if not ok:
            self.failures.append(name)


def fan_out_line(inboxes: Inboxes, first: int, note: str) -> None:
    """An announcement's rate, first to last message, and the rate of everything sent to
    the delegates meanwhile (replies, other notices), against Telegram's limit."""
    announced = inboxes.announced[first:]
    if len(announced) < 2:
        return
    start, end = announced[0], announced[-1]
    seconds = end - start
    rate = len(announced) / seconds
    everything = sum(1 for at in inboxes.to_delegates if start <= at <= end) / seconds
    print(
        f"{'  announcement':<22} {seconds:8.1f} s  {len(announced):7,} {'messages':<13} "
        f"{rate:8.1f}/s  = {100 * rate / RATE:.0f}% of Telegram's {RATE}/s; with {note} "
        f"{everything:.1f}/s = {100 * everything / RATE:.0f}%",
        flush=True,
    )


def matrix_fan_out_line(matrix: MatrixSide, first: int, note: str) -> None:
    """The same on Matrix, where the homeserver sets no limit for the bot's account."""
    announced = matrix.announced[first:]
    if len(announced) < 2:
        return
    start, end = announced[0], announced[-1]
    seconds = end - start
    everything = sum(1 for at in matrix.to_delegates if start <= at <= end) / seconds
    print(
        f"{'  announcement, Matrix':<22} {seconds:8.1f} s  {len(announced):7,} {'messages':<13} "
        f"{len(announced) / seconds:8.1f}/s  (no limit for the bot); with {note} "
        f"{everything:.1f}/s",
        flush=True,
    )


def plan(rng: random.Random, people: int, submissions: int) -> list[list[str]]:
    """Each delegate's actions in order: kinds drawn by MIX, spread over the delegates."""
    kinds = list(MIX)
    weights = [MIX[k] for k in kinds]
    scripts: list[list[str]] = [[] for _ in range(people)]
    for n in range(submissions):
        scripts[n % people].append(rng.choices(kinds, weights)[0])
    for script in scripts:  # one may withdraw or endorse only after writing something
        rng.shuffle(script)
        script.sort(key=lambda kind: kind in ("withdraw", "endorse"))
    return scripts


async def write(
    server: BotAPIServer,
    who: Delegate,
    script: list[str],
    rng: random.Random,
    tally: Tally,
    amendments: dict[int, int],
) -> None:
    """A delegate's round: answer the announcement, then each action in turn, each sent
    once its predecessor was answered."""
    await who.expect(ANNOUNCEMENT)
    for kind in script:
        paragraph = rng.randint(1, PARAGRAPHS)
        if kind in ("support", "oppose", "abstain"):
            words = f"/{kind} {paragraph}"
        elif kind == "comment":
            words = f"/comment {paragraph} {sentence(rng, 12)} [{secrets.token_hex(4)}]"
        elif kind == "amend":
            words = f"/amend {paragraph} {sentence(rng, 14)} [{secrets.token_hex(4)}]"
        elif kind == "endorse":
            others = [
                a
                for a in list(amendments)[-200:]
                if a not in who.amendments and a not in who.endorsed and a not in tally.withdrawn
            ]
            if others:
                target = rng.choice(others)
                who.endorsed.add(target)
                words = f"/endorse {target}"
            else:
                words, kind = f"/support {paragraph}", "support"
        elif who.own:
            target = who.own.pop(rng.randrange(len(who.own)))
            answer = await ask(server, who, f"/withdraw {target}", None, tally)
            if answer is not None and WITHDRAWN.match(answer):
                tally.withdrawn.add(target)
            elif answer is not None:
                tally.refused[answer.split(":")[0][:60]] += 1
            continue
        else:
            words, kind = f"/abstain {paragraph}", "abstain"
        answer = await ask(server, who, words, None, tally)
        match = RECORDED.match(answer or "")
        if match is None:
            if answer is not None:
                tally.refused[answer.split(":")[0][:60]] += 1
            continue
        number = int(match.group(1))
        tally.acknowledged[number] = kind
        who.own.append(number)
        if kind == "amend":
            who.amendments.append(number)
            amendments[number] = paragraph


async def run(arguments: argparse.Namespace) -> int:
    rng = random.Random(arguments.seed)
    folder = Path(tempfile.mkdtemp(prefix="consultbot-scale-"))
    url = arguments.postgres or f"sqlite:///{folder / 'consultbot.db'}"
    if arguments.postgres:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    async with BotAPIServer() as server:
        facilitator_user = server.create_user("Facilitator")
        server.private_chat(facilitator_user)
        users = [server.create_user(f"Delegate {n}") for n in range(arguments.telegram)]
        for user in users:
            server.private_chat(user)
        server.set_rate_limit(global_per_second=RATE, per_chat_per_second=CHAT_BURST)
        inboxes = Inboxes(server)
        inboxes.facilitator = facilitator_user.id
        inboxes.start()

        def telegram(user: User) -> Callable[[str], Awaitable[None]]:
            async def send(words: str) -> None:
                server.user_sends_text(user, words)

            return send

        matrix = MatrixSide(folder) if arguments.matrix else None
        matrix_users: list[str] = []
        if matrix is not None:
            await matrix.start()
            matrix_users = list(
                await asyncio.gather(*(matrix.register(n) for n in range(arguments.matrix)))
            )
        bot = Bot(server, folder, url, facilitator_user, matrix, arguments.workers)
        report = Report(bot)
        if arguments.postgres:
            await asyncio.to_thread(
                subprocess.run, [CONSULTBOT, "db", "upgrade"], env=bot.env, check=True
            )
        fac = Delegate(
            "Facilitator",
            "facilitator",
            inboxes.queues[facilitator_user.id],
            telegram(facilitator_user),
        )
        admin = Tally()
        store = make_url(url).get_backend_name()
        print(
            f"{arguments.telegram:,} stakeholders on Telegram, {arguments.matrix:,} on Matrix, "
            f"{arguments.submissions:,} "
            f"submissions, store {store}; folder {folder}"
        )
        print(f"{'phase':<22} {'wall':>10}  {'count':>7} {'':<13} {'rate':>10}")
        try:
            await bot.start()
            if bot.workers == 1:
                await server.wait_for(lambda: server.is_long_polling, 120, "consultbot to start")
            else:
                await server.wait_for(
                    lambda: server.webhook_url is not None, 120, "consultbot's webhook"
                )

            # -- the Matrix delegates open a direct chat with the bot, which joins each
            matrix_delegates: list[Delegate] = []
            if matrix is not None:
                side = matrix
                started = time.monotonic()
                rooms = await asyncio.gather(*(side.open_dm(user) for user in matrix_users))
                deadline = time.monotonic() + 120 + len(rooms) / 5
                while not side.bot_joined.issuperset(rooms):
                    if time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.2)
                joined = side.bot_joined.intersection(rooms)
                report.phase(
                    "Matrix: direct chats", time.monotonic() - started, len(joined), "rooms"
                )
                if len(joined) < len(rooms):
                    print(f"the bot joined {len(joined)} of {len(rooms)} direct chats")
                    return 1

                def matrix_send(user: str, room: str) -> Callable[[str], Awaitable[None]]:
                    async def send(words: str) -> None:
                        await side.say(user, room, words)

                    return send

                matrix_delegates = [
                    Delegate(
                        user.split(":")[0].lstrip("@"),
                        GROUPS[n % len(GROUPS)],
                        side.queues[room],
                        matrix_send(user, room),
                        "!",
                    )
                    for n, (user, room) in enumerate(zip(matrix_users, rooms, strict=True))
                ]

            # -- the consultation, its draft, the invite codes
            started = time.monotonic()
            await ask(server, fac, "/new Surveillance exports", "send the draft", admin)
            await ask(server, fac, draft_text(), f"{PARAGRAPHS} paragraphs", admin)
            codes = {}
            for group in GROUPS:
                answer = await ask(
                    server,
                    fac,
                    f"/invite {group} {arguments.telegram + arguments.matrix}",
                    CODE,
                    admin,
                )
                match = CODE.search(answer or "")
                if match is None:
                    print(f"no invite code for {group}: {answer}")
                    return 1
                codes[group] = match.group(1)
            report.phase(
                "draft and invites", time.monotonic() - started, admin.sent, "commands", admin
            )

            # -- everyone joins through chat
            delegates = [
                Delegate(
                    user.first_name,
                    GROUPS[n % len(GROUPS)],
                    inboxes.queues[user.id],
                    telegram(user),
                )
                for n, user in enumerate(users)
            ]
            joining = Tally()
            matrix_joining = Tally()

            started = time.monotonic()
            joined_by = {"/": started, "!": started}  # each platform's last delegate, joined

            async def join(who: Delegate, tally: Tally) -> None:
                await ask(server, who, f"/start {codes[who.group]}", "Which organisation", tally)
                await ask(server, who, f"{who.name} Org", "organisation is recorded", tally)
                joined_by[who.prefix] = max(joined_by[who.prefix], time.monotonic())

            await asyncio.gather(
                *(join(d, joining) for d in delegates),
                *(join(d, matrix_joining) for d in matrix_delegates),
            )
            joined_in = time.monotonic() - started
            report.phase("join", joined_in, len(delegates), "delegates", joining)
            if matrix_delegates:
                report.phase(
                    "  on Matrix",
                    joined_by["!"] - started,
                    len(matrix_delegates),
                    "delegates",
                    matrix_joining,
                )

            # -- idle reply time: one delegate after another reads a paragraph
            idle = Tally()
            started = time.monotonic()
            for who in delegates[: arguments.probes]:
                await ask(server, who, "/read 1", None, idle)
            report.phase(
                "idle replies", time.monotonic() - started, len(idle.replies), "replies", idle
            )
            matrix_idle = Tally()
            if matrix_delegates:
                started = time.monotonic()
                for who in matrix_delegates[: arguments.probes]:
                    await ask(server, who, "/read 1", None, matrix_idle)
                report.phase(
                    "  on Matrix",
                    time.monotonic() - started,
                    len(matrix_idle.replies),
                    "replies",
                    matrix_idle,
                )

            # -- the round opened to all, input while it is still being announced
            everyone = delegates + matrix_delegates
            scripts = plan(rng, len(everyone), arguments.submissions)
            load = Tally()
            matrix_load = Tally(withdrawn=load.withdrawn)  # one set: endorse none withdrawn
            amendments: dict[int, int] = {}  # amendment id -> paragraph
            first_announcement = len(inboxes.announced)
            first_matrix = len(matrix.announced) if matrix is not None else 0
            started = time.monotonic()
            finished = {"/": started, "!": started}  # each platform's last writer, done

            async def writing(who: Delegate, script: list[str]) -> None:
                tally = load if who.prefix == "/" else matrix_load
                await write(server, who, script, rng, tally, amendments)
                finished[who.prefix] = max(finished[who.prefix], time.monotonic())

            writers = [
                asyncio.create_task(writing(d, s)) for d, s in zip(everyone, scripts, strict=True)
            ]
            await ask(server, fac, "/round open 7d", "Round 1 is open", admin)
            await asyncio.gather(*writers)
            loaded = time.monotonic() - started
            matrix_span = finished["!"] - started
            report.phase("round 1: input", loaded, len(load.acknowledged), "submissions", load)
            fan_out_line(inboxes, first_announcement, "the replies to input,")
            if matrix is not None:
                report.phase(  # their own span: fewer, they may be done before Telegram's
                    "  on Matrix",
                    matrix_span,
                    len(matrix_load.acknowledged),
                    "submissions",
                    matrix_load,
                )
                matrix_fan_out_line(matrix, first_matrix, "the replies to input,")
            recorded = len(load.acknowledged) + len(matrix_load.acknowledged)

            # -- close, summary, exports
            started = time.monotonic()
            await ask(server, fac, "/round close", "Round 1 is closed", admin)
            # The close answers with the round's summary too: taken here, so that the
            # `/summary` below is timed on its own answer.
            await fac.expect("Summary of", within=600)
            report.phase("close, with summary", time.monotonic() - started, 1, "round")
            started = time.monotonic()
            await ask(server, fac, "/summary", "Summary of", admin, within=600)
            report.phase("summary (chat)", time.monotonic() - started, recorded, "submissions")
            for fmt, extension in EXPORTS.items():
                started = time.monotonic()
                named = re.compile(rf"-v1-\d{{4}}-\d\d-\d\d\.{extension}\b")  # name-v1-DATE.ext
                await ask(server, fac, f"/export {fmt}", named, admin, within=600)
                report.phase(f"export {fmt}", time.monotonic() - started, 1, "file")
            _, record_json = await asyncio.to_thread(bot.export, "json")  # the record, to check

            # -- version 2 and the second round, opened to everybody
            started = time.monotonic()
            by_paragraph: dict[int, int] = {}  # one accepted amendment a paragraph, at most
            for number, paragraph in amendments.items():
                if number not in load.withdrawn:
                    by_paragraph.setdefault(paragraph, number)
            accepted = 0
            for number in list(by_paragraph.values())[:5]:
                answer = await ask(server, fac, f"/accept {number}", f"#{number}", admin)
                accepted += answer is not None and "accepted" in answer
            await ask(server, fac, "/publish", "Version 2 published", admin)
            first_announcement = len(inboxes.announced)
            first_matrix = len(matrix.announced) if matrix is not None else 0
            await ask(server, fac, "/round open 7d", "Round 2 is open", admin)
            deadline = time.monotonic() + 3 * len(delegates) / RATE + 120

            def told() -> tuple[int, int]:
                on_matrix = len(matrix.announced) - first_matrix if matrix is not None else 0
                return len(inboxes.announced) - first_announcement, on_matrix

            while told() < (len(delegates), len(matrix_delegates)):
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            second, matrix_second = told()
            report.phase("version 2, round 2", time.monotonic() - started, second, "announced")
            fan_out_line(inboxes, first_announcement, "the news of version 2,")
            if matrix is not None:
                matrix_fan_out_line(matrix, first_matrix, "the news of version 2,")
        finally:
            await bot.stop()
            peaks = bot.peak_rss_mb()
            await inboxes.stop()
            if matrix is not None:
                await matrix.stop()

        # -- checks
        print()
        stored = {row[0]: row for row in stored_submissions(url)}
        record = json.loads(record_json)
        exported = {s["id"]: s for s in record["submissions"]}
        acknowledged = set(load.acknowledged) | set(matrix_load.acknowledged)
        lost = acknowledged - stored.keys()
        unexported = acknowledged - exported.keys()
        texts = Counter(row[2] for row in stored.values() if row[2])
        twice = sum(n - 1 for n in texts.values() if n > 1)
        wrongly = [n for n in load.withdrawn if exported.get(n, {}).get("status") != "withdrawn"]
        report.check(
            "acknowledged = stored = exported",
            len(acknowledged) == len(stored) == len(exported),
            f"{len(acknowledged):,} acknowledged, {len(stored):,} stored, "
            f"{len(exported):,} exported",
        )
        report.check(
            "0 lost",
            not lost and not unexported,
            f"{len(lost)} not stored, {len(unexported)} not exported",
        )
        report.check("0 duplicated", twice == 0, f"{twice} texts stored more than once")
        report.check(
            "withdrawals kept as withdrawn",
            not wrongly,
            f"{len(load.withdrawn)} withdrawn, {len(wrongly)} not marked",
        )
        tallies = (admin, joining, idle, load, matrix_joining, matrix_idle, matrix_load)
        missing = sum(t.missing for t in tallies)
        refusals = load.refused + matrix_load.refused
        print(
            f"     input refused by the rules (a race: endorsing what its author had just "
            f"withdrawn) {refusals.total()}: {dict(refusals.most_common(3))}"
        )
        apologies = sum(t.apologies for t in tallies)
        print(f"     answered 'nothing was recorded, try again' (then sent again) {apologies}")
        report.check(
            "0 replies missing",
            missing == 0,
            f"{missing} of {sum(t.sent for t in tallies)} commands unanswered"
            + (f" ({matrix_load.sent + matrix_joining.sent:,} from Matrix)" if matrix else ""),
        )
        too_many = server.stats.too_many_requests
        limited = Counter(
            "facilitator" if int(c.params.get("chat_id", 0)) == facilitator_user.id else c.method
            for c in server.calls
            if c.status == 429
        )
        report.check("0 429s past the first", too_many <= 1, f"{too_many} answered {dict(limited)}")
        report.check(
            "round 2 announced to all",
            second == len(delegates),
            f"{second} of {len(delegates)}",
        )
        if matrix is not None:
            report.check(
                "round 2 announced to all on Matrix",
                matrix_second == len(matrix_delegates),
                f"{matrix_second} of {len(matrix_delegates)}",
            )
        report.check(
            "peak memory under 1 GB",
            max(peaks) < 1024,
            " + ".join(f"{mb:.0f}" for mb in peaks) + " MB",
        )
        idle_p99 = 1000 * percentile(idle.replies, 99)
        load_p99 = 1000 * percentile(load.replies, 99)
        print(
            f"\nload: {load.sent:,} commands in {loaded:.0f} s = {load.sent / loaded:.1f}/s; "
            f"reply p99 idle {idle_p99:.0f} ms, under load {load_p99:.0f} ms "
            f"({load_p99 / idle_p99:.1f}x); {accepted} amendments accepted"
        )
        if matrix is not None:
            idle_p99 = 1000 * percentile(matrix_idle.replies, 99)
            load_p99 = 1000 * percentile(matrix_load.replies, 99)
            print(
                f"Matrix: {matrix_load.sent:,} commands in {matrix_span:.0f} s = "
                f"{matrix_load.sent / matrix_span:.1f}/s; "
                f"reply p99 idle {idle_p99:.0f} ms, under load {load_p99:.0f} ms "
                f"({load_p99 / idle_p99:.1f}x)"
            )
        if report.failures:
            print(
                f"FAILED: {', '.join(report.failures)}; "
                f"the bot's log: {', '.join(str(log) for log in bot.logs)}"
            )
            return 1
        return 0


def main() -> None:
    global THINK, REPLY_WAIT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="10x smaller: 450 + 50 delegates, 10,000 submissions"
    )
    parser.add_argument("--telegram", type=int, help="delegates on Telegram (default 4,500)")
    parser.add_argument(
        "--matrix", type=int, help="delegates on Matrix (default 500; 0: none, no Synapse)"
    )
    parser.add_argument("--submissions", type=int, help="submissions in round 1 (default 100,000)")
    parser.add_argument(
        "--postgres", help="a PostgreSQL URL to run on (its public schema is emptied)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="bot processes (1: long polling; more: webhook)"
    )
    parser.add_argument("--probes", type=int, default=30, help="idle replies measured")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--reply-wait", type=float, default=REPLY_WAIT, help="seconds before an answer is missing"
    )
    parser.add_argument(
        "--think", type=float, default=THINK, help="seconds a person takes between messages"
    )
    arguments = parser.parse_args()
    if arguments.workers > 1 and not arguments.postgres:
        parser.error("--workers above 1 needs --postgres: SQLite serves one process")
    THINK = arguments.think
    REPLY_WAIT = arguments.reply_wait
    scale = 10 if arguments.quick else 1
    arguments.telegram = arguments.telegram or 4500 // scale
    if arguments.matrix is None:
        arguments.matrix = 500 // scale
    arguments.submissions = arguments.submissions or 100_000 // scale
    sys.exit(asyncio.run(run(arguments)))


if __name__ == "__main__":
    main()
