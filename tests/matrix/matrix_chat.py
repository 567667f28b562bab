"""People and a bot on a real Synapse, for tests that read like the conversation.

    fac = Person(await matrix_user("fac", encryption=True), bot.user_id)
    await fac.open_dm(encrypted=True)
    await fac.say("!new Spyware statement")
    await fac.expect("created")

`Person` wraps a logged-in nio client that syncs in the background (nio's sync_forever,
which also keeps its encryption keys up to date) and collects what the bot sends in the
person's DM. `expect` waits for the next bot message containing a text, looking again
until it comes (`tests.waits.eventually`): no fixed sleeps. `BotProcess` runs
`consultbot run` as a real subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import nio
import pytest
from nio.crypto.attachments import decrypt_attachment

from tests.waits import eventually

TIMEOUT = 45.0
ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}
CODE = re.compile(r"^([A-Za-z0-9_-]{20,})$", re.MULTILINE)


def body(event: nio.Event) -> str:
    return getattr(event, "body", "") or ""


class Person:
    """Someone with a Matrix account and a DM with the bot."""

    def __init__(self, client: nio.AsyncClient, bot: str) -> None:
        self.client = client
        self.bot = bot
        self.room_id: str | None = None
        self.inbox: list[nio.Event] = []  # the bot's events in the DM, as they arrived
        self.taken = 0  # `expect` looks after the messages it already returned
        self._task: asyncio.Task[None] | None = None
        client.add_event_callback(self._on_event, (nio.RoomMessage, nio.MegolmEvent))

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def _on_event(self, room: nio.MatrixRoom, event: nio.Event) -> None:
        if room.room_id == self.room_id and event.sender == self.bot:
            self.inbox.append(event)

    def start_syncing(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.client.sync_forever(timeout=1000))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    # ---- the DM -----------------------------------------------------------------------------

    async def open_dm(self, *, encrypted: bool = False) -> str:
        """Create a direct chat, invite the bot, and wait until it has joined."""
        self.start_syncing()
        created = await self.client.room_create(
            is_direct=True,
            invite=[self.bot],
            preset=nio.RoomPreset.trusted_private_chat,
            initial_state=[ENCRYPTION_STATE] if encrypted else [],
        )
        assert isinstance(created, nio.RoomCreateResponse), created
        self.room_id = created.room_id
        await eventually(
            self._bot_joined, f"join of the bot in {self.user_id}'s DM", timeout=TIMEOUT
        )
        if encrypted:
            await eventually(self._knows_bot_devices, "device keys of the bot", timeout=TIMEOUT)
        return self.room_id

    def _bot_joined(self) -> bool:
        room = self.client.rooms.get(self.room_id)
        user = room.users.get(self.bot) if room is not None else None
        return user is not None and not user.invited

    def _knows_bot_devices(self) -> bool:
        return bool(list(self.client.device_store.active_user_devices(self.bot)))

    @property
    def room(self) -> nio.MatrixRoom:
        assert self.room_id is not None, "open the DM first"
        return self.client.rooms[self.room_id]

    async def _send(self, event_type: str, content: dict[str, Any]) -> str:
        assert self.room_id is not None, "open the DM first"
        sent = await self.client.room_send(
            self.room_id, event_type, content, ignore_unverified_devices=True
        )
        assert isinstance(sent, nio.RoomSendResponse), sent
        return str(sent.event_id)

    async def say(self, text: str, *, reply_to: str | None = None) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if reply_to is not None:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self._send("m.room.message", content)

    async def reply(self, text: str, to: nio.Event) -> str:
        """Reply as Element does: the answered message quoted first (the reply fallback:
        '> ' lines in the body, <mx-reply> in the HTML), then `text`."""
        quoted = "\n".join(
            f"> <{to.sender}> {line}" if i == 0 else f"> {line}"
            for i, line in enumerate(body(to).split("\n"))
        )
        content: dict[str, Any] = {
            "msgtype": "m.text",
            "body": f"{quoted}\n\n{text}",
            "format": "org.matrix.custom.html",
            "formatted_body": (
                f"<mx-reply><blockquote>{html.escape(body(to))}</blockquote></mx-reply>"
                f"{html.escape(text)}"
            ),
            "m.relates_to": {"m.in_reply_to": {"event_id": to.event_id}},
        }
        return await self._send("m.room.message", content)

    async def react(self, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        return await self._send("m.reaction", content)

    async def send_file(self, filename: str, data: bytes, media_type: str) -> str:
        encrypted = self.room.encrypted
        uploaded, keys = await self.client.upload(
            io.BytesIO(data),
            content_type=media_type,
            filename=filename,
            encrypt=encrypted,
            filesize=len(data),
        )
        assert isinstance(uploaded, nio.UploadResponse), uploaded
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": filename,
            "filename": filename,
            "info": {"mimetype": media_type, "size": len(data)},
        }
        if encrypted:
            content["file"] = {"url": uploaded.content_uri, **(keys or {})}
        else:
            content["url"] = uploaded.content_uri
        return await self._send("m.room.message", content)

    async def download(self, event: nio.Event) -> bytes:
        """The bytes of a file the bot sent (decrypted where the room is encrypted)."""
        response = await self.client.download(mxc=event.url)
        assert isinstance(response, nio.MemoryDownloadResponse), response
        if isinstance(event, nio.RoomEncryptedFile):
            return bytes(
                decrypt_attachment(response.body, event.key["k"], event.hashes["sha256"], event.iv)
            )
        return bytes(response.body)

    # ---- what the bot said -------------------------------------------------------------------

    def texts(self) -> list[str]:
        return [body(event) for event in self.inbox]

    async def expect(self, needle: str, within: float = TIMEOUT) -> nio.Event:
        """The next bot message (after those already taken) whose text contains `needle`."""

        def found() -> nio.Event | None:
            for index in range(self.taken, len(self.inbox)):
                if needle in body(self.inbox[index]):
                    self.taken = index + 1
                    return self.inbox[index]
            return None

        try:
            return await eventually(found, f"bot message with {needle!r}", timeout=within)
        except AssertionError:
            undecrypted = sum(isinstance(e, nio.MegolmEvent) for e in self.inbox)
            recent = "\n---\n".join(self.texts()[-5:])
            pytest.fail(
                f"{self.user_id} got no message with {needle!r} within {within:.0f}s "
                f"({undecrypted} undecryptable); the last ones:\n{recent}"
            )

    async def expect_file(self, within: float = TIMEOUT) -> nio.Event:
        def found() -> nio.Event | None:
            for index in range(self.taken, len(self.inbox)):
                if isinstance(self.inbox[index], (nio.RoomMessageFile, nio.RoomEncryptedFile)):
                    self.taken = index + 1
                    return self.inbox[index]
            return None

        return await eventually(found, f"file for {self.user_id}", timeout=within)

    async def ask(self, text: str, needle: str) -> nio.Event:
        await self.say(text)
        return await self.expect(needle)


def consultbot_executable() -> str:
    beside = Path(sys.executable).parent / "consultbot"
    found = str(beside) if beside.exists() else shutil.which("consultbot")
    if found is None:
        pytest.fail("the consultbot command is not installed: pip install -e '.[test]'")
    return found


class BotProcess:
    """`consultbot run` in a subprocess, its output in `log_path`."""

    READY = "consultbot running"

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.log_path = workdir / "consultbot.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def store_path(self) -> Path:
        return Path(self.env["CONSULTBOT_MATRIX_STORE_PATH"])

    def credentials(self) -> dict[str, Any]:
        return dict(json.loads((self.store_path / "credentials.json").read_text()))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self, within: float = TIMEOUT) -> None:
        offset = len(self.log())
        self.proc = await asyncio.to_thread(self._spawn)
        self.starts += 1

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"consultbot exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            return self.READY in self.log()[offset:]

        await eventually(ready, "start of consultbot", timeout=within)

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as output:
            return subprocess.Popen(
                [consultbot_executable(), "run"],
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def bot_env(
    tmp: Path,
    *,
    homeserver: str,
    user_id: str,
    admins: list[str],
    password: str | None = None,
    access_token: str | None = None,
) -> dict[str, str]:
    """The environment of `consultbot run`: this machine's, without any CONSULTBOT_ setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
    env.update(
        {
            "CONSULTBOT_MATRIX_HOMESERVER": homeserver,
            "CONSULTBOT_MATRIX_USER_ID": user_id,
            "CONSULTBOT_DATABASE_URL": f"sqlite:///{tmp / 'consultbot.db'}",
            "CONSULTBOT_DATA_DIR": str(tmp / "data"),
            "CONSULTBOT_MATRIX_STORE_PATH": str(tmp / "matrix-store"),
            "CONSULTBOT_ADMINS": ",".join(f"matrix:{admin}" for admin in admins),
            "CONSULTBOT_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if password is not None:
        env["CONSULTBOT_MATRIX_PASSWORD"] = password
    if access_token is not None:
        env["CONSULTBOT_MATRIX_ACCESS_TOKEN"] = access_token
    return env
