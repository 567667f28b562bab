"""The console: try the bot in a terminal, playing every part yourself.

Type commands as in any chat (`/review`, `/comment 3 ...`). Lines starting with `:` talk
to the console itself: `:as NAME` switches who you are, `:file PATH` sends a file (a draft
or nothing else), `:who` says who you are, `:quit` leaves. The console has no buttons, so
choices come as numbered lines: answer with the number.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from adapters.kit import ChosenByCommand
from bot.events import (
    Attachment,
    Capability,
    ChatId,
    Inbound,
    InboundHandler,
    MessageId,
    Outbound,
    PlatformId,
)
from bot.files import save_new
from bot.settings import NoSettings

if TYPE_CHECKING:
    from bot.app import Platform

PLATFORM = "console"
HELP = (
    "You are {name}. Commands as in chat: /help, /review, /comment 3 text ...\n"
    ":as NAME  switch person   :file PATH  send a file   :who   :quit"
)


class ConsoleAdapter:
    platform = PLATFORM
    capabilities = Capability.FILES
    command_prefix = "/"

    def __init__(
        self,
        name: str = "facilitator",
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        files_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.files_dir = files_dir or Path.cwd()
        self.handler: InboundHandler | None = None
        self.finished = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._session = secrets.token_hex(4)  # message ids stay unique across sessions

    async def start(self, handler: InboundHandler) -> None:
        self.handler = handler
        self._print(HELP.format(name=self.name))
        self._task = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def send(self, message: Outbound) -> MessageId | None:
        who = message.chat.split(":", 1)[1]
        prefix = "" if who == self.name else f"[to {who}] "
        self._print(f"{prefix}{message.text}")
        if message.attachment is not None:
            wanted = self.files_dir / message.attachment.filename
            path = save_new(wanted, message.attachment.data)
            if path == wanted:
                self._print(f"{prefix}(file saved: {path})")
            else:
                self._print(f"{prefix}(file saved: {path}; {wanted.name} was already there)")
        return None

    def private_chat(self, person: PlatformId) -> ChatId | None:
        return ChatId(person)

    def invite_link(self, code: str) -> str | None:
        return None

    async def set_menu(self, chat: ChatId, commands: list[tuple[str, str]]) -> None:
        return None  # `/help` lists them; a terminal has no menu

    def _print(self, text: str) -> None:
        self.stdout.write(text.rstrip() + "\n\n")
        self.stdout.flush()

    async def _read(self) -> None:
        try:
            while True:
                self.stdout.write(f"{self.name}> ")
                self.stdout.flush()
                line = await asyncio.to_thread(self.stdin.readline)
                if not line:
                    break
                if not await self._line(line.rstrip("\n")):
                    break
        finally:
            self.finished.set()

    async def _line(self, line: str) -> bool:
        """Handle one typed line; False ends the session."""
        stripped = line.strip()
        if not stripped:
            return True
        attachment = None
        if stripped.startswith(":"):
            word, _, rest = stripped[1:].partition(" ")
            if word in ("quit", "q", "exit"):
                return False
            if word == "as" and rest.strip():
                self.name = rest.strip().split()[0].lower()
                self._print(f"You are now {self.name}.")
                return True
            if word == "who":
                self._print(f"You are {self.name}.")
                return True
            if word == "file" and rest.strip():
                attachment = await asyncio.to_thread(_read_file, rest.strip())
                if attachment is None:
                    self._print(f"There is no file {rest.strip()}. Give the path of a draft file.")
                    return True
                stripped = ""
            else:
                self._print(HELP.format(name=self.name))
                return True
        assert self.handler is not None
        await self.handler(
            Inbound(
                sender=PlatformId(f"{PLATFORM}:{self.name}"),
                chat=ChatId(f"{PLATFORM}:{self.name}"),
                message_id=MessageId(f"{self._session}-{next(self._ids)}"),
                text=stripped,
                attachment=attachment,
                display_name=self.name.capitalize(),
            )
        )
        return True


def _read_file(path_text: str) -> Attachment | None:
    path = Path(path_text).expanduser()
    return Attachment(path.name, path.read_bytes()) if path.is_file() else None


platform: Platform[NoSettings] = ChosenByCommand(ConsoleAdapter)
