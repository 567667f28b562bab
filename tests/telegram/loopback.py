"""`consultbot run` as a real process against the loopback Bot API server, and people to talk to it.

    fatima = Participant(server, server.create_user("Fatima"))
    bot = BotProcess(server, tmp_path, admins=[fatima.user])
    await bot.start()
    await fatima.say("/new Spyware statement", expect="created")
    await fatima.send_file("draft.md", DRAFT, expect="loaded with 3 paragraphs")

`Participant.say` and friends wait until a new message from the bot contains `expect`; they
return it. Nothing sleeps: every wait is on the server's state.

`Recorder` stands where the dispatcher would, for tests of the adapter alone.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from pathlib import Path
from typing import IO

from bot.events import Inbound
from tests.telegram_api import BotAPIServer, ChatMessage, User

CONSULTBOT = str(Path(sys.executable).with_name("consultbot"))
START_TIMEOUT = 30.0


class BotProcess:
    """consultbot, configured through its environment as an operator would."""

    def __init__(self, server: BotAPIServer, folder: Path, *, admins: list[User]) -> None:
        self.server = server
        self.database = folder / "consultbot.db"
        self.log_path = folder / "consultbot.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
        env.update(
            CONSULTBOT_TELEGRAM_TOKEN=server.token,
            CONSULTBOT_TELEGRAM_API_URL=server.base_url,
            CONSULTBOT_DATABASE_URL=f"sqlite:///{self.database}",
            CONSULTBOT_ADMINS=",".join(f"telegram:{user.id}" for user in admins),
            CONSULTBOT_DATA_DIR=str(folder),
            CONSULTBOT_LOG_LEVEL="INFO",
        )
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    async def start_process(self) -> None:
        """Start the process, not waiting for anything."""
        self._log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            CONSULTBOT, "run", env=self.env, stdout=self._log, stderr=self._log
        )

    async def start(self) -> None:
        """Start the process and wait until it long-polls the server."""
        await self.start_process()
        process = self.process
        assert process is not None

        def polling_or_dead() -> bool:
            return self.server.is_long_polling or process.returncode is not None

        await self.server.wait_for(polling_or_dead, START_TIMEOUT, "consultbot to start polling")
        if process.returncode is not None:
            raise AssertionError(f"consultbot exited with {process.returncode}:\n{self.log()}")

    async def stop(self) -> int | None:
        """SIGTERM, as a service manager stops it; returns the exit status."""
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 15)
        except TimeoutError:
            await self.kill()
            raise AssertionError(f"consultbot did not stop on SIGTERM:\n{self.log()}") from None
        finally:
            self._close_log()

    async def kill(self) -> None:
        """SIGKILL: no goodbye, no cleanup."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def query(self, sql: str, *parameters: object) -> list[tuple[object, ...]]:
        """Read the bot's database directly (what is stored, whatever the chat said)."""
        with sqlite3.connect(self.database) as connection:
            return list(connection.execute(sql, parameters))


class Participant:
    """A Telegram user talking to the bot in their private chat (or in a group)."""

    def __init__(self, server: BotAPIServer, user: User) -> None:
        self.server = server
        self.user = user
        server.private_chat(user)

    @property
    def id(self) -> int:
        return self.user.id

    def messages(self) -> list[ChatMessage]:
        """The bot's messages to this person, oldest first, as they look now (after edits)."""
        return self.server.sent_messages(self.user)

    def texts(self) -> list[str]:
        return [m.text or m.caption or "" for m in self.messages()]

    async def receive(self, expect: str, *, after: int = 0, timeout: float = 10.0) -> ChatMessage:  # noqa: ASYNC109
        """Wait for a message (the `after`-th or later) whose text contains `expect`."""

        def found() -> ChatMessage | None:
            for message in self.messages()[after:]:
                if expect in (message.text or message.caption or ""):
                    return message
            return None

        try:
            return await self.server.wait_for(found, timeout, f"{expect!r}")
        except TimeoutError:
            raise AssertionError(
                f"{self.user.first_name} never got {expect!r}; got {self.texts()[after:]!r}"
            ) from None

    async def say(
        self, text: str, *, expect: str, reply_to: ChatMessage | None = None
    ) -> ChatMessage:
        before = len(self.messages())
        self.server.user_sends_text(self.user, text, reply_to=reply_to)
        return await self.receive(expect, after=before)

    async def answer(self, text: str, *, expect: str) -> ChatMessage:
        """Reply to the bot's latest force-reply prompt, as the client does."""
        prompt = next(m for m in reversed(self.messages()) if m.force_reply)
        return await self.say(text, expect=expect, reply_to=prompt)

    async def press(self, label: str, *, expect: str) -> ChatMessage:
        """Tap the button labelled `label` on the latest message that has one."""
        messages = self.messages()
        for message in reversed(messages):
            data = dict(message.buttons).get(label)
            if data is not None:
                self.server.user_presses_button(self.user, message, data)
                return await self.receive(expect, after=len(messages))
        raise AssertionError(f"no button {label!r} in {self.user.first_name}'s chat")

    async def send_file(self, filename: str, data: bytes, *, expect: str) -> ChatMessage:
        before = len(self.messages())
        self.server.user_sends_document(self.user, filename, data)
        return await self.receive(expect, after=before)

    def menu(self) -> list[str]:
        return [c["command"] for c in self.server.commands_for("chat", chat_id=self.user.id)]


class Recorder:
    """Stands where the dispatcher would: keeps every event; may be told to fail or wait."""

    def __init__(self) -> None:
        self.events: list[Inbound] = []
        self.failures_left = 0
        self.gate: asyncio.Event | None = None  # when set up, handling waits for it
        self.gated_chats: set[str] | None = None  # only these chats wait (None: every chat)
        self._arrived = asyncio.Condition()

    async def __call__(self, event: Inbound) -> None:
        async with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()
        if self.gate is not None and (self.gated_chats is None or event.chat in self.gated_chats):
            await self.gate.wait()
        if self.failures_left > 0:
            self.failures_left -= 1
            raise RuntimeError("the database is down")

    async def wait(self, count: int = 1, timeout: float = 5.0) -> list[Inbound]:  # noqa: ASYNC109
        """Wait until `count` events have arrived; returns them all."""
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.events) >= count)
        return self.events


RECORDED = re.compile(r"Recorded #(\d+)")
INVITE_LINK = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)")
