"""SIGKILL in the middle of a burst of comments: every acknowledged one is stored, once.

`consultbot chat` runs as a real process with its stdin piped. A burst of numbered
stakeholder comments is written to it; its acknowledgements ("Recorded #ID: comment on
paragraph N") are read from its stdout as they arrive; at a random acknowledgement (plus a
random few milliseconds, so the kill lands anywhere in the handling of the next messages)
the process gets SIGKILL. Whatever it had written to stdout before dying counts as
acknowledged. Then the database is checked directly with sqlite3: the submission each
acknowledgement named holds exactly that comment, and no comment is stored twice.

The repetitions form chains: the next repetition *restarts* `consultbot chat` on the
database the previous one was killed on, and its first acknowledgement shows that the
restart worked; the checks are cumulative. At the end a clean restart answers and exits.

Budget: on this machine `consultbot chat` spends about two seconds importing at each start
and about 10 ms on each comment, so 20 repetitions of whole 1,000-message bursts, each
started afresh, take minutes. Two things keep the test near a minute:

* Starts go through a "zygote": one process imports `bot.cli` once, then forks a child for
  each start that runs `bot.cli.main()` with `chat` as its argument (exactly what the
  `consultbot` script does), its stdin and stdout on FIFOs. The child is a real process,
  killed with a real SIGKILL; only the import time is saved. The final restart of each
  chain execs the `consultbot` script from scratch. `CONSULTBOT_CRASH_EXEC=1` execs it
  for every start instead.
* Each repetition writes a burst of `CONSULTBOT_CRASH_BURST` comments (default 300; the
  kill point is uniform over the burst), and two chains of repetitions run side by side.
  `CONSULTBOT_CRASH_BURST=1000` runs full-size bursts (67 s here, against 40 s);
  `CONSULTBOT_CRASH_REPEATS` and `CONSULTBOT_CRASH_SEED` change the rest.

Redelivery of one message (same id) is tested elsewhere: the console numbers messages
per session, so here a duplicate can only show as the same comment text stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from bot.dispatcher import Dispatcher
from bot.events import Capability, ChatId, Inbound, Outbound, PlatformId
from storage.engine import make_engine
from storage.records import Store

EXE = shutil.which("consultbot") or str(Path(sys.executable).with_name("consultbot"))
BURST = int(os.environ.get("CONSULTBOT_CRASH_BURST", "300"))
EXEC_EVERY_START = os.environ.get("CONSULTBOT_CRASH_EXEC") == "1"
REPEATS = int(os.environ.get("CONSULTBOT_CRASH_REPEATS", "20"))
SEED = int(os.environ.get("CONSULTBOT_CRASH_SEED", "20261201"))
CHAINS = 2
STAKEHOLDERS = [f"s{i}" for i in range(5)]
PARAGRAPHS = 3
ACK = re.compile(r"Recorded #(\d+): comment on paragraph (\d+)\.")
DRAFT = "# Burst\n\nFirst paragraph.\n\nSecond paragraph.\n\nThird paragraph.\n"


class Console:
    """Plays the console platform in-process, to prepare the database the real one opens."""

    platform = "console"
    capabilities = Capability.FILES
    command_prefix = "/"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.ids = 0

    async def start(self, handler: object) -> None:
        self.handler = handler

    async def stop(self) -> None:
        return None

    async def send(self, message: Outbound) -> str | None:
        self.sent.append(message.text)
        return None

    def private_chat(self, person: PlatformId) -> ChatId | None:
        return ChatId(person)

    def invite_link(self, code: str) -> str | None:
        return None

    async def set_menu(self, chat: ChatId, commands: list[tuple[str, str]]) -> None:
        return None

    async def say(self, name: str, text: str) -> str:
        self.ids += 1
        self.sent.clear()
        await self.handler(  # type: ignore[operator]
            Inbound(
                sender=PlatformId(f"console:{name}"),
                chat=ChatId(f"console:{name}"),
                message_id=f"setup-{self.ids}",
                text=text,
            )
        )
        return "\n".join(self.sent)


@pytest.fixture(scope="module")
def burst_database(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A consultation with an open round and five stakeholders, as the console knows them."""
    path = tmp_path_factory.mktemp("burst") / "burst.db"
    shutil.copyfile(sqlite_template, path)

    async def prepare() -> None:
        engine = make_engine(f"sqlite:///{path}")
        console = Console()
        dispatcher = Dispatcher(Store(engine), admins=["console:facilitator"])
        dispatcher.add(console)
        await dispatcher.start()
        await console.say("facilitator", "/new Burst")
        assert "loaded with 3 paragraphs" in await console.say("facilitator", DRAFT)
        invite = await console.say("facilitator", f"/invite government {len(STAKEHOLDERS)}")
        code = re.search(r"^([A-Za-z0-9_-]{20,})$", invite, re.MULTILINE)
        assert code, invite
        for name in STAKEHOLDERS:
            assert "joined" in await console.say(name, f"/start {code.group(1)}")
            await console.say(name, f"{name} Org")
        assert "is open" in await console.say("facilitator", "/round open 1w")
        engine.dispose()

    asyncio.run(prepare())
    return path


def text_of(chain: int, repetition: int, k: int) -> str:
    return f"crash-{chain}-{repetition:02d}-{k:04d} numbered comment"


def burst_lines(chain: int, repetition: int) -> tuple[list[str], list[tuple[int, str]]]:
    """stdin lines for one burst, and (paragraph, text) of each comment in order."""
    lines, comments = [], []
    for k in range(BURST):
        if k % 10 == 0:  # a few comments each, from one stakeholder after another
            lines.append(f":as {STAKEHOLDERS[(k // 10) % len(STAKEHOLDERS)]}")
        paragraph = 1 + k % PARAGRAPHS
        comments.append((paragraph, text_of(chain, repetition, k)))
        lines.append(f"/comment {paragraph} {comments[-1][1]}")
    return lines, comments


def environment(database: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
    return env | {
        "CONSULTBOT_DATABASE_URL": f"sqlite:///{database}",
        "CONSULTBOT_DATA_DIR": str(home),
        "CONSULTBOT_INPUT_PER_MINUTE": "0",  # a burst far past any person's pace, on purpose
        "CONSULTBOT_LOG_LEVEL": "WARNING",
    }


@dataclass
class Run:
    acks: list[tuple[int, int]] = field(default_factory=list)  # (submission id, paragraph)
    killed_after: int | None = None
    seconds: float = 0.0


ZYGOTE = r"""
import json, os, signal, sys

from bot import cli  # what each start of `consultbot` spends its first seconds on
import adapters.console, bot.app, bot.scheduler  # noqa: F401  (chat imports them late)

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setsid()
            os.environ.clear()
            os.environ.update(request["env"])
            os.chdir(request["cwd"])
            os.dup2(os.open(request["stdin"], os.O_RDONLY), 0)
            os.dup2(os.open(request["stdout"], os.O_WRONLY), 1)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            sys.argv = ["consultbot", "chat"]
            cli.main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0
        finally:
            os._exit(code)
    print(pid, flush=True)
"""


class Zygote:
    """A process that has imported consultbot once and forks a `consultbot chat` per start."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lock = threading.Lock()

    def start(self, env: dict[str, str], cwd: Path, stdin: Path, stdout: Path) -> int:
        request = {"env": env, "cwd": str(cwd), "stdin": str(stdin), "stdout": str(stdout)}
        assert self.process.stdin is not None and self.process.stdout is not None
        with self.lock:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            return int(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote | None]:
    if EXEC_EVERY_START:
        yield None
        return
    forker = Zygote()
    yield forker
    forker.close()


class Chat:
    """One `consultbot chat` process: its pid, stdin to write, stdout to read."""

    def __init__(self, zygote: Zygote | None, database: Path, home: Path, name: str) -> None:
        env = environment(database, home)
        if zygote is None:
            self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
                [EXE, "chat"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=home,
            )
            self.pid = self.process.pid
            assert self.process.stdin is not None and self.process.stdout is not None
            self.stdin: IO[bytes] = self.process.stdin
            self.stdout: IO[bytes] = self.process.stdout
            return
        self.process = None
        fifo_in, fifo_out = home / f"{name}.in", home / f"{name}.out"
        for fifo in (fifo_in, fifo_out):
            fifo.unlink(missing_ok=True)
            os.mkfifo(fifo)
        self.pid = zygote.start(env, home, fifo_in, fifo_out)
        self.stdin = open(fifo_in, "wb")  # noqa: SIM115  (both ends close in `close`)
        self.stdout = open(fifo_out, "rb")  # noqa: SIM115

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Wait for the end of its output (it has exited, or was killed), then tidy up."""
        self.stdout.read()
        if self.process is not None:
            self.process.wait(timeout=30)
        with contextlib.suppress(BrokenPipeError, OSError):
            self.stdin.close()
        self.stdout.close()


def run_burst(
    zygote: Zygote | None, database: Path, home: Path, lines: list[str], kill_at: int, delay: float
) -> Run:
    """Start `consultbot chat`, pipe the lines in, SIGKILL it after `kill_at` acks + `delay`."""
    started = time.perf_counter()
    chat = Chat(zygote, database, home, "burst")

    def write() -> None:
        with contextlib.suppress(BrokenPipeError, OSError):  # killed while we still wrote
            chat.stdin.write(("\n".join(lines) + "\n").encode())
            chat.stdin.flush()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    run = Run()
    watchdog = threading.Timer(120, chat.kill)  # never hang the test suite
    watchdog.start()
    try:
        for raw in chat.stdout:
            match = ACK.search(raw.decode(errors="replace"))
            if match is None:
                continue
            run.acks.append((int(match[1]), int(match[2])))
            if len(run.acks) == kill_at:
                time.sleep(delay)  # a random moment after that ack, where the kill lands
                chat.kill()
                run.killed_after = kill_at
                break
        # What it wrote before dying was sent to the person: it counts as acknowledged too.
        for raw in chat.stdout:
            match = ACK.search(raw.decode(errors="replace"))
            if match is not None:
                run.acks.append((int(match[1]), int(match[2])))
    finally:
        watchdog.cancel()
        chat.kill()
        chat.close()
        writer.join(timeout=5)
    run.seconds = time.perf_counter() - started
    return run


def stored_comments(database: Path) -> dict[int, str]:
    """submission id -> text, read with sqlite3 directly (it recovers the WAL itself)."""
    connection = sqlite3.connect(database, timeout=30)
    try:
        rows = connection.execute(
            "SELECT id, text FROM submission WHERE kind = 'comment' AND text LIKE 'crash-%'"
        ).fetchall()
    finally:
        connection.close()
    return dict(rows)


def check(database: Path, acknowledged: dict[int, str], sent: set[str]) -> dict[int, str]:
    stored = stored_comments(database)
    for submission_id, expected in acknowledged.items():
        assert stored.get(submission_id) == expected, (submission_id, expected)
    twice = [text for text, count in Counter(stored.values()).items() if count > 1]
    assert not twice, f"stored more than once: {twice[:5]}"
    assert set(stored.values()) <= sent, "a comment nobody sent"
    return stored


def run_chain(
    zygote: Zygote | None, chain: int, template: Path, folder: Path, repeats: int
) -> list[str]:
    """Kill and restart `consultbot chat` `repeats` times on one database."""
    database = folder / "consultbot.db"
    shutil.copyfile(template, database)
    rng = random.Random(SEED + chain)
    acknowledged: dict[int, str] = {}
    sent: set[str] = set()
    report = []
    for repetition in range(repeats):
        lines, comments = burst_lines(chain, repetition)
        sent |= {text for _, text in comments}
        kill_at = rng.randint(1, BURST - 1)
        delay = rng.uniform(0, 0.004)
        run = run_burst(zygote, database, folder, lines, kill_at, delay)
        assert run.killed_after == kill_at, f"the console stopped answering after {run.acks}"
        # Acknowledgements come in the order the comments were written.
        for (submission_id, paragraph), (expected_paragraph, text) in zip(
            run.acks, comments, strict=False
        ):
            assert paragraph == expected_paragraph
            acknowledged[submission_id] = text
        stored = check(database, acknowledged, sent)
        report.append(
            f"chain {chain} repetition {repetition}: killed after {kill_at} acks "
            f"(+{delay * 1000:.1f} ms), {len(run.acks)} acknowledged, "
            f"{len(stored)} stored so far, {run.seconds:.1f}s"
        )
    # A clean restart after the last kill: it answers, and the record is still whole.
    finish = subprocess.run(
        [EXE, "chat"],
        input=":as s0\n/comment 1 crash-after the last restart\n:quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(database, folder),
        cwd=folder,
    )
    assert finish.returncode == 0, finish.stderr[-2000:]
    assert ACK.search(finish.stdout), finish.stdout[-2000:]
    stored = check(database, acknowledged, sent | {"crash-after the last restart"})
    assert len(stored) >= len(acknowledged) + 1
    return report


def test_sigkill_during_a_burst_loses_no_acknowledged_comment(
    burst_database: Path, zygote: Zygote | None, tmp_path: Path
) -> None:
    repeats = [REPEATS // CHAINS + (1 if c < REPEATS % CHAINS else 0) for c in range(CHAINS)]
    reports: list[list[str]] = [[] for _ in range(CHAINS)]
    errors: list[BaseException] = []

    def chain(index: int) -> None:
        folder = tmp_path / f"chain{index}"
        folder.mkdir()
        try:
            reports[index] = run_chain(zygote, index, burst_database, folder, repeats[index])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=chain, args=(c,)) for c in range(CHAINS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for line in (line for report in reports for line in report):
        print(line)
    if errors:
        raise errors[0]
    assert sum(len(report) for report in reports) == REPEATS
