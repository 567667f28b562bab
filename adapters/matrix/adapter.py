"""The Matrix adapter: its lifecycle, each event from the sync translated and handed to
the dispatcher, and our messages sent as room events.

Sends go out side by side, up to `SENDS_AT_ONCE` rooms at a time, and one after another
within a room, in the order they were asked for (`kit.KeyedLocks`). A send that has key
work to do first (an encrypted room whose members or devices are not known yet, or whose
room key must be shared again) goes alone, as do the sync's device-key queries: nio's
key state takes one change at a time. M_LIMIT_EXCEEDED is waited out (`retry_after_ms`,
by nio, same transaction id) and the message sent again; a dropped connection is retried
until the homeserver is back. A refusal for good (the bot is not
in the room, forbidden) raises `DeliveryError`, and nothing else does, so one failed
message does not stop the rest of a turn.

    event ──> m.file, in a DM ──> media.download ──> Inbound(attachment)
          └─> text, reaction ───> Inbound (reply_to kept only for the bot's own messages)
    Outbound ──> m.text (plain body + escaped HTML, styled text with <del> and <ins>)
             · m.replace (edit_of) · upload + m.file
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiorwlock

from adapters import kit
from adapters.matrix import media
from adapters.matrix.client import nio, reason
from adapters.matrix.session import Session
from adapters.matrix.state import RecentIds
from adapters.matrix.sync import TIMELINE_LIMIT, Position, Sync, sync_filter
from adapters.matrix.translate import (
    PLATFORM,
    chat_ref,
    display_name,
    edit_content,
    is_private,
    message_event,
    message_parts,
    person_ref,
    text_content,
)
from bot.app import SetupError
from bot.events import (
    Attachment,
    Capability,
    ChatId,
    DeliveryError,
    Inbound,
    InboundHandler,
    MessageId,
    Outbound,
    PlatformId,
    local_part,
    platform_of,
)

if TYPE_CHECKING:
    from adapters.matrix.settings import MatrixSettings

log = logging.getLogger(__name__)

READY_WAIT = 120.0  # seconds a send waits for the first sync (the room list) after start
# Events in flight to the homeserver at once, each to a different room. With the bot's
# rate limit lifted (docs/matrix.md) this is what sets a fan-out's pace: one event per
# round trip per slot. Where the limit is not lifted, the homeserver's 429s pace it.
SENDS_AT_ONCE = 8


class MatrixAdapter:
    platform = PLATFORM
    capabilities = Capability.REACTIONS | Capability.FILES | Capability.EDITS
    command_prefix = "!"

    def __init__(
        self,
        homeserver: str,
        user_id: str,
        *,
        store_path: Path,
        password: str | None = None,
        access_token: str | None = None,
        max_file_bytes: int = media.MAX_FILE_BYTES,
        timeline_limit: int = TIMELINE_LIMIT,
    ) -> None:
        if not (password or access_token):
            raise SetupError("set CONSULTBOT_MATRIX_PASSWORD or CONSULTBOT_MATRIX_ACCESS_TOKEN")
        self.homeserver = homeserver.rstrip("/")
        self.user_id = user_id
        self.store_path = store_path
        self.max_file_bytes = max_file_bytes
        self.sync_filter = sync_filter(timeline_limit)
        self.session = Session(
            self.homeserver, user_id, store_path, password=password, access_token=access_token
        )
        self.client: nio.AsyncClient | None = None
        self.handler: InboundHandler | None = None
        self.sent = RecentIds()
        self.ready = asyncio.Event()  # the first sync is in: the room list is known
        self._rooms = kit.KeyedLocks()  # one send at a time in each room, in order
        self._slots = asyncio.Semaphore(SENDS_AT_ONCE)
        self._keys = aiorwlock.RWLock()  # sends share it; key work holds it alone
        self._sync: Sync | None = None

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self, handler: InboundHandler) -> None:
        self.handler = handler
        self.store_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.client = await self.session.open()  # keys are uploaded after the first sync
        position = Position(self.store_path / "sync.json", self.user_id)
        position.load()
        self._sync = Sync(
            self.client,
            position,
            self._handle_event,
            session=self.session,
            sync_filter=self.sync_filter,
            ready=self.ready,
            keys_lock=self._keys,
        )
        self._sync.start()
        log.info(
            "matrix adapter running as %s (device %s, %s)",
            self.user_id,
            self.client.device_id,
            "resuming" if position.since else "first sync",
        )

    async def stop(self) -> None:
        if self._sync is not None:
            await self._sync.stop()
            self._sync = None
        if self.client is not None:
            await self.client.close()

    # ---- events in ------------------------------------------------------------------------

    async def _handle_event(self, room_id: str, event: nio.Event) -> None:
        assert self.client is not None and self.handler is not None
        room = self.client.rooms.get(room_id)
        if room is None or event.sender == self.user_id:
            return
        if isinstance(event, (nio.RoomMessageFile, nio.RoomEncryptedFile)):
            inbound = await self._file_event(room, event)
        else:
            inbound = message_event(room, event, own_user=self.user_id)
            if (
                inbound is not None
                and inbound.reaction is None
                and inbound.reply_to
                and not await self._is_ours(room_id, inbound.reply_to)
            ):
                inbound = replace(inbound, reply_to=None)
        if inbound is not None:
            await self.handler(inbound)

    async def _is_ours(self, room_id: str, event_id: str) -> bool:
        """Whether a reply answers one of the bot's messages (only those can be edited)."""
        assert self.client is not None
        if event_id in self.sent:
            return True
        response = await self.client.room_get_event(room_id, event_id)
        return isinstance(response, nio.RoomGetEventResponse) and (
            response.event.sender == self.user_id
        )

    async def _file_event(self, room: nio.MatrixRoom, event: nio.Event) -> Inbound | None:
        """A file sent in a private chat, downloaded (and decrypted) as an attachment."""
        if not is_private(room):
            return None  # drafts come in private chats; files in groups are not for the bot
        filename, size, media_type = media.file_info(event)
        base = Inbound(
            sender=person_ref(event.sender),
            chat=chat_ref(room.room_id),
            message_id=MessageId(event.event_id),
            private=True,
            display_name=display_name(room, event.sender),
        )
        assert self.client is not None
        client = self.client
        data = await kit.take_file(
            lambda: media.download(client, event),
            announced=size,
            limit=self.max_file_bytes,
            send=self.send,
            chat=base.chat,
            language=None,  # Matrix events do not carry the sender's language
        )
        if data is None:
            return None
        return replace(base, attachment=Attachment(filename, data, media_type))

    # ---- our messages out -----------------------------------------------------------------

    async def send(self, message: Outbound) -> MessageId | None:
        """Send (or edit) `message`; the id returned is that of its last event."""
        if platform_of(message.chat) != PLATFORM:
            raise DeliveryError(message.chat, "not a Matrix chat")
        room_id = local_part(message.chat)
        client = await self._ready_client(message.chat)
        if room_id not in client.rooms:
            raise DeliveryError(message.chat, "the bot is not in this room", blocked=True)
        if message.private and not is_private(client.rooms[room_id]):
            raise DeliveryError(message.chat, "the direct chat has become a group")
        async with self._rooms.hold(room_id), self._slots:
            try:
                if message.edit_of is not None:
                    return await self._edit(room_id, message)
                sent: MessageId | None = None
                for part in message_parts(message):
                    sent = await self._room_send(room_id, text_content(part))
                if message.attachment is not None:
                    content = await media.upload(client, room_id, message.attachment)
                    sent = await self._room_send(room_id, content)
                return sent
            except DeliveryError:
                raise
            except Exception as error:  # never stop the rest of a turn's messages
                log.warning("matrix: a message could not be sent (%s)", type(error).__name__)
                log.debug("matrix: send failure", exc_info=True)
                raise DeliveryError(message.chat, type(error).__name__) from None

    async def _ready_client(self, chat: str) -> nio.AsyncClient:
        if self.client is None:
            raise DeliveryError(chat, "the Matrix adapter is not running")
        if not self.ready.is_set():
            try:
                await asyncio.wait_for(self.ready.wait(), READY_WAIT)
            except TimeoutError:
                raise DeliveryError(chat, "no sync with the homeserver yet") from None
        return self.client

    async def _room_send(self, room_id: str, content: dict[str, Any]) -> MessageId:
        response = await self._send_event(room_id, content)
        if not isinstance(response, nio.RoomSendResponse):
            code = getattr(response, "status_code", None)
            raise DeliveryError(
                chat_ref(room_id), reason(response), blocked=code in ("M_FORBIDDEN", "M_NOT_FOUND")
            )
        self.sent.add(response.event_id)
        return MessageId(str(response.event_id))

    async def _send_event(self, room_id: str, content: dict[str, Any]) -> object:
        """One event out: beside other rooms' sends, or alone when nio has key work to do
        first (checked once the lock is held, with no wait before nio looks again)."""
        client = self.client
        assert client is not None
        async with self._keys.reader:
            if not needs_key_work(client, room_id):
                return await client.room_send(
                    room_id, "m.room.message", content, ignore_unverified_devices=True
                )
        async with self._keys.writer:
            return await client.room_send(
                room_id, "m.room.message", content, ignore_unverified_devices=True
            )

    async def _edit(self, room_id: str, message: Outbound) -> MessageId:
        assert message.edit_of is not None
        parts = message_parts(message) or ["…"]
        await self._room_send(room_id, edit_content(parts[0], message.edit_of))
        for part in parts[1:]:
            await self._room_send(room_id, text_content(part))
        return message.edit_of  # the message keeps its id: reactions on it still count

    # ---- the rest of the protocol -----------------------------------------------------------

    def private_chat(self, person: PlatformId) -> ChatId | None:
        """A room the bot shares with `person` alone, if it is in one."""
        if platform_of(person) != PLATFORM or self.client is None:
            return None
        user_id = local_part(person)
        for room_id, room in self.client.rooms.items():
            if is_private(room) and user_id in room.users:
                return chat_ref(room_id)
        return None

    def invite_link(self, code: str) -> str | None:
        return None  # matrix.to links cannot carry a start parameter

    async def set_menu(self, chat: ChatId, commands: list[tuple[str, str]]) -> None:
        return None  # Matrix has no per-chat command menu; `!help` lists them


def needs_key_work(client: nio.AsyncClient, room_id: str) -> bool:
    """Whether nio's `room_send` to `room_id` would change its key state before sending:
    fetch the members, query their devices, or share the room key again."""
    room = client.rooms.get(room_id)
    if client.olm is None or room is None or not room.encrypted:
        return False
    return bool(
        not room.members_synced
        or client.should_query_keys
        or client.olm.should_share_group_session(room_id)
    )


def create(settings: MatrixSettings, data_dir: Path) -> MatrixAdapter:
    """The adapter `settings` describe; its state in `data_dir`/matrix unless they say where."""
    if not settings.homeserver or not settings.user_id:
        raise SetupError(
            "set CONSULTBOT_MATRIX_HOMESERVER and CONSULTBOT_MATRIX_USER_ID to use Matrix"
        )
    password = settings.password
    token = settings.access_token
    return MatrixAdapter(
        settings.homeserver,
        settings.user_id,
        store_path=settings.store_path or data_dir / "matrix",
        password=password.get_secret_value() if password is not None else None,
        access_token=token.get_secret_value() if token is not None else None,
    )
