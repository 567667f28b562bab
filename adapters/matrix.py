"""Matrix: sync responses in, `Inbound` events out; `Outbound` messages in, room events out.

matrix-nio does the protocol (HTTP, the room state, end-to-end encryption with vodozemac);
this module translates, and it keeps three promises.

**It logs in once.** The first start logs in with the password and keeps the access
token and device id in `credentials.json` in the store path (mode 0600); later starts
restore that session, so the bot stays one device with one set of encryption keys. If
the homeserver ends the session, the bot logs in again with the password, same device.
With an access token configured instead, the device is the token's (asked with whoami).

**No event is answered twice, none is missed.** nio can keep `next_batch` in its own
store, but it saves it as soon as a sync arrives, before anything was done with it: a
crash then skips the rest of that batch (opsdroid #1996). So this adapter keeps the sync
position itself, in `sync.json`, and writes it only after every event of the batch was
handled by the dispatcher. A crash mid-batch syncs that batch again; what the dispatcher
had already stored is dropped there (`Inbound.source` is the idempotency key). A
timeline the homeserver cut short (`limited`: many events while the bot was down) is
completed from /messages back to the stored position. The first start ever begins
"now": it answers invites, not history; in a room it joins, what was written from its
invitation on is read, not what came before.

**A message the dispatcher hands over arrives.** Sends go one at a time (a fan-out does
not burst); M_LIMIT_EXCEEDED is waited out (`retry_after_ms`, by nio, same transaction
id) and the message sent again; a dropped connection is retried until the homeserver is
back. A refusal for good (the bot is not in the room, forbidden) raises `DeliveryError`.

Encryption, as a bot must: keys are shared with every device of the room's members
(unverified ones included), and messages from unverified devices are read. Verifying
devices would need a person at the bot's side; the price is that a device added to a
member's account (by them, or by whoever controls their homeserver) can read the bot's
answers from then on, as in any room where nobody verifies. An event that cannot be
decrypted yet (its key is late) is kept, ciphertext only, and tried again as keys arrive.

    /sync ── invite ───────────────────────> join
          ├─ m.text / m.emote ─────────────> Inbound(text, reply_to=a bot message replied to)
          ├─ m.file, in a DM ──────────────> download (decrypt) ──> Inbound(attachment)
          ├─ m.reaction (annotation) ──────> Inbound(reaction, reply_to=the annotated event)
          ├─ m.notice, edits, own events ──> nothing
          └─ everyone else left ───────────> leave and forget the room
    Outbound ──> m.text (plain body + escaped HTML) · m.replace (edit_of) · upload + m.file
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import io
import json
import logging
import os
import secrets
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from adapters import kit
from bot.app import SetupError
from bot.events import (
    Attachment,
    Capability,
    ChatId,
    DeliveryError,
    Inbound,
    InboundHandler,
    Outbound,
    PlatformId,
    local_part,
    platform_of,
)

if TYPE_CHECKING:
    from bot.settings import Settings


@contextlib.contextmanager
def _without_database_drivers() -> Iterator[None]:
    """nio's crypto store uses peewee on SQLite; peewee also imports any PostgreSQL or
    MySQL driver it finds (psycopg with libpq: some 10-20 MB resident) that it will never
    use here. Hide those not already loaded while nio is imported; the core imports its own
    driver, unaffected, when the database is PostgreSQL."""
    hidden = [
        name for name in ("psycopg", "psycopg2", "pymysql", "MySQLdb") if name not in sys.modules
    ]
    modules = cast(dict[str, ModuleType | None], sys.modules)
    for name in hidden:  # a None entry makes `import name` raise ImportError
        modules[name] = None
    try:
        yield
    finally:
        for name in hidden:
            if modules.get(name, ...) is None:
                del modules[name]


with _without_database_drivers():
    import nio
    from nio.crypto.attachments import decrypt_attachment

log = logging.getLogger(__name__)

PLATFORM = "matrix"
HTML_FORMAT = "org.matrix.custom.html"
DEVICE_NAME = "consultbot"
SYNC_TIMEOUT_MS = 30_000  # a long poll waits this long for news
TIMELINE_LIMIT = 100  # events per room and sync; more while down are fetched from /messages
HISTORY_PAGES = 50  # at most this many pages of 100 events are fetched to fill a gap
MAX_FILE_BYTES = 20 * 1024 * 1024  # drafts people send; bigger files are refused
EVENT_BYTES = 24_000  # text per event: body and HTML stay well below the 64 KiB event limit
UNDECRYPTED_TTL = 3600.0  # seconds an undecryptable event waits for its key
RETRY_WAIT = 3.0  # longest pause between attempts to reach the homeserver
READY_WAIT = 120.0  # seconds a send waits for the first sync (the room list) after start
START_WAIT = 60.0  # seconds a first login may take before the start is given up
STOP_WAIT = 30.0  # seconds a stop waits for the batch in hand
ENDED_WAIT = 60.0  # seconds between syncs once the session ended and cannot be renewed
SENT_IDS = 2048  # recent ids of the bot's own messages, to recognise replies to them

# Only what the bot reads: no presence, typing, receipts or account data; full member
# lists (not lazy-loaded), since "private" means exactly two members.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "timeline": {"limit": TIMELINE_LIMIT},
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
        "state": {"lazy_load_members": False},
    },
}


# ---- platform thing in, our thing out ---------------------------------------------------


def chat_ref(room_id: str) -> ChatId:
    return ChatId(f"{PLATFORM}:{room_id}")


def person_ref(user_id: str) -> PlatformId:
    return PlatformId(f"{PLATFORM}:{user_id}")


def relation(event: nio.Event) -> dict[str, Any]:
    content = event.source.get("content")
    related = content.get("m.relates_to") if isinstance(content, dict) else None
    return related if isinstance(related, dict) else {}


def is_edit(event: nio.Event) -> bool:
    """An m.replace edit: the original was handled already; a changed text is not new input."""
    return relation(event).get("rel_type") == "m.replace"


def replied_to(event: nio.Event) -> str | None:
    """The event a reply answers (not a thread's fallback to its latest message)."""
    related = relation(event)
    if related.get("rel_type") == "m.thread" and related.get("is_falling_back"):
        return None
    reply = related.get("m.in_reply_to")
    event_id = reply.get("event_id") if isinstance(reply, dict) else None
    return event_id if isinstance(event_id, str) else None


def strip_reply_fallback(body: str) -> str:
    """A reply's body may start by quoting what it answers: '> <@bot:x> …' lines, a blank line."""
    lines = body.split("\n")
    quoted = 0
    while quoted < len(lines) and lines[quoted].startswith(">"):
        quoted += 1
    if quoted == 0:
        return body
    rest = lines[quoted:]
    if rest and not rest[0].strip():
        rest = rest[1:]
    return "\n".join(rest)


def joined_members(room: nio.MatrixRoom) -> set[str]:
    return {user_id for user_id, user in room.users.items() if not user.invited}


def is_private(room: nio.MatrixRoom) -> bool:
    """A one-to-one chat: the bot and one person joined, nobody else invited."""
    members = joined_members(room)
    return len(members) == 2 and room.own_user_id in members and not room.invited_users


def arrival(event: nio.Event, user_id: str) -> bool:
    """`user_id` invited into the room, or joining it (not a profile change of a member)."""
    return (
        isinstance(event, nio.RoomMemberEvent)
        and event.state_key == user_id
        and (
            event.membership == "invite"
            or (event.membership == "join" and event.prev_membership not in ("join", "invite"))
        )
    )


def since_arrival(events: list[nio.Event], user_id: str) -> list[nio.Event]:
    """The events after the bot was invited (or joined): a newly joined room's timeline
    also shows older history, which was not addressed to the bot."""
    for index in range(len(events) - 1, -1, -1):
        if arrival(events[index], user_id):
            return events[index + 1 :]
    return events


def display_name(room: nio.MatrixRoom, user_id: str) -> str | None:
    user = room.users.get(user_id)
    return user.display_name if user is not None and user.display_name else None


def message_event(room: nio.MatrixRoom, event: nio.Event, *, own_user: str) -> Inbound | None:
    """A person's text message or reaction as an event; None when it is not for the bot.

    Files are translated by the adapter (they need a download); this covers the rest.
    """
    if event.sender == own_user:
        return None
    base = Inbound(
        sender=person_ref(event.sender),
        chat=chat_ref(room.room_id),
        message_id=event.event_id,
        private=is_private(room),
        display_name=display_name(room, event.sender),
    )
    if isinstance(event, nio.ReactionEvent):
        related = relation(event)
        if related.get("rel_type") != "m.annotation":
            return None
        return replace(base, reaction=event.key, reply_to=event.reacts_to)
    if isinstance(event, (nio.RoomMessageText, nio.RoomMessageEmote)) and not is_edit(event):
        reply = replied_to(event)
        text = strip_reply_fallback(event.body) if reply else event.body
        if not text.strip():
            return None
        return replace(base, text=text.strip(), reply_to=reply)
    return None  # notices (bots), edits, stickers, images, state: nothing the bot reads


def file_info(event: nio.Event) -> tuple[str, int | None, str]:
    """Name, announced size and media type of an m.file event."""
    content: dict[str, Any] = event.source.get("content") or {}
    info: dict[str, Any] = content["info"] if isinstance(content.get("info"), dict) else {}
    filename = content.get("filename") or content.get("body") or "document"
    size = info.get("size")
    media_type = info.get("mimetype") or "application/octet-stream"
    return (
        os.path.basename(str(filename)) or "document",
        size if isinstance(size, int) else None,
        str(media_type),
    )


# ---- our thing in, platform thing out ---------------------------------------------------


def html_body(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def text_content(text: str, msgtype: str = "m.text") -> dict[str, Any]:
    """A message with a plain-text body and the same text as (escaped) HTML."""
    return {
        "msgtype": msgtype,
        "body": text,
        "format": HTML_FORMAT,
        "formatted_body": html_body(text),
    }


def edit_content(text: str, original: str) -> dict[str, Any]:
    """An m.replace edit of `original`; clients without edits show the '* '-prefixed fallback."""
    fallback = text_content(f"* {text}")
    return {
        **fallback,
        "m.new_content": text_content(text),
        "m.relates_to": {"rel_type": "m.replace", "event_id": original},
    }


def event_size(text: str) -> int:
    return len(text.encode()) + len(html_body(text).encode())


def split_text(text: str, limit: int = EVENT_BYTES) -> list[str]:
    """`text` in parts whose body and HTML together stay under `limit` bytes: at
    paragraphs, else lines, else words, else characters."""
    return kit.split_text(text, limit, event_size)


# ---- state kept in the store path ---------------------------------------------------------


class StateFile:
    """A small JSON file, written whole (temp file + rename) and readable by its owner only.

    A rename is atomic, so a crash leaves the old content or the new, never half of one.
    There is no fsync: after a power cut the sync position may be the one before, and
    the events after it come again, which the dispatcher drops as already handled.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("matrix: %s is unreadable (%s); starting without it", self.path, error)
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:  # mkstemp makes it 0600
                json.dump(data, file)
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


class RecentIds:
    """The last `size` ids of messages the bot sent (to tell replies to it from others)."""

    def __init__(self, size: int = SENT_IDS) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids


# ---- the adapter ------------------------------------------------------------------------


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
        max_file_bytes: int = MAX_FILE_BYTES,
        timeline_limit: int = TIMELINE_LIMIT,
    ) -> None:
        if not (password or access_token):
            raise SetupError("set CONSULTBOT_MATRIX_PASSWORD or CONSULTBOT_MATRIX_ACCESS_TOKEN")
        self.homeserver = homeserver.rstrip("/")
        self.user_id = user_id
        self.store_path = store_path
        self.password = password
        self.access_token = access_token
        self.max_file_bytes = max_file_bytes
        self.sync_filter = json.loads(json.dumps(SYNC_FILTER))
        self.sync_filter["room"]["timeline"]["limit"] = timeline_limit
        self.credentials = StateFile(store_path / "credentials.json")
        self.position = StateFile(store_path / "sync.json")
        self.client: nio.AsyncClient | None = None
        self.handler: InboundHandler | None = None
        self.since: str | None = None
        self.undecrypted: list[tuple[str, nio.MegolmEvent, float]] = []  # room, event, seen at
        self.sent = RecentIds()
        self.ready = asyncio.Event()  # the first sync is in: the room list is known
        self._send_lock = asyncio.Lock()  # one send at a time: fan-outs do not burst
        self._stopping = False
        self._handling = False
        self._sync_task: asyncio.Task[None] | None = None
        self._queues = kit.ChatQueues(self._handle_reliably, name="matrix-room")

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self, handler: InboundHandler) -> None:
        self.handler = handler
        self._stopping = False
        self.store_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.client = await self._session()  # keys are uploaded after the first sync
        state = self.position.load()
        if state.get("user_id") == self.user_id:
            self.since = state.get("next_batch")
            self.undecrypted = self._load_undecrypted(state.get("undecrypted", []))
        self._sync_task = asyncio.create_task(self._sync_forever(), name="matrix-sync")
        log.info(
            "matrix adapter running as %s (device %s, %s)",
            self.user_id,
            self.client.device_id,
            "resuming" if self.since else "first sync",
        )

    async def stop(self) -> None:
        self._stopping = True
        if self._sync_task is not None:
            if not self._handling:  # waiting for news: nothing of ours in flight
                self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._sync_task, STOP_WAIT)  # the batch in hand
            self._sync_task = None
        if self.client is not None:
            await self.client.close()

    def _new_client(self, device_id: str | None, pickle_key: str) -> nio.AsyncClient:
        config = nio.AsyncClientConfig(
            encryption_enabled=nio.crypto.ENCRYPTION_ENABLED,
            store_sync_tokens=False,  # the position is ours: saved after handling (above)
            pickle_key=pickle_key,  # the e2e store's keys are sealed with it
            max_limit_exceeded=None,  # M_LIMIT_EXCEEDED: wait retry_after_ms, send again
            max_timeouts=None,  # a homeserver that is down is waited for
            max_timeout_retry_wait_time=RETRY_WAIT,
            request_timeout=60,
        )
        return nio.AsyncClient(
            self.homeserver,
            self.user_id,
            device_id=device_id or "",
            store_path=str(self.store_path),
            config=config,
        )

    async def _session(self) -> nio.AsyncClient:
        """The configured token, else the kept session, else a first password login.

        A kept session is restored without asking the homeserver (which may be down just
        now); if it was ended meanwhile, the sync says so and the bot logs in again.
        """
        saved = self.credentials.load()
        if saved.get("user_id") != self.user_id or saved.get("homeserver") != self.homeserver:
            saved = {}
        pickle_key = saved.get("pickle_key") or secrets.token_urlsafe(32)
        if self.access_token:
            device_id = (
                saved.get("device_id") if saved.get("token") == _digest(self.access_token) else None
            )
            client = self._new_client(device_id, pickle_key)
            if not device_id:
                client.access_token = self.access_token
                whoami = await self._at_start(client, client.whoami())
                if not isinstance(whoami, nio.WhoamiResponse) or not whoami.device_id:
                    await client.close()
                    raise SetupError(
                        "the homeserver did not accept CONSULTBOT_MATRIX_ACCESS_TOKEN "
                        f"({_reason(whoami)}): check it and CONSULTBOT_MATRIX_USER_ID"
                    )
                if whoami.user_id != self.user_id:
                    await client.close()
                    raise SetupError(
                        f"the access token belongs to {whoami.user_id}, "
                        f"not to CONSULTBOT_MATRIX_USER_ID={self.user_id}"
                    )
                device_id = str(whoami.device_id)
            await client.close()
            client = self._restored(device_id, self.access_token, pickle_key)
            self._save_credentials(client, pickle_key)
            return client
        if saved.get("access_token") and saved.get("device_id"):
            return self._restored(saved["device_id"], saved["access_token"], pickle_key)
        client = self._new_client(saved.get("device_id"), pickle_key)
        response = await self._at_start(
            client, client.login(self.password, device_name=DEVICE_NAME)
        )
        if not isinstance(response, nio.LoginResponse):
            await client.close()
            raise SetupError(
                f"Matrix login as {self.user_id} failed ({_reason(response)}): check "
                "CONSULTBOT_MATRIX_USER_ID and CONSULTBOT_MATRIX_PASSWORD"
            )
        self._save_credentials(client, pickle_key)
        log.info("matrix: logged in with the password as device %s", client.device_id)
        return client

    def _restored(self, device_id: str, token: str, pickle_key: str) -> nio.AsyncClient:
        """A client on a kept session, its encryption store opened."""
        client = self._new_client(device_id, pickle_key)
        try:
            client.restore_login(self.user_id, device_id, token)
        except ValueError:  # the store was sealed with another key: credentials.json was lost
            store = self.store_path / f"{self.user_id}_{device_id}.db"
            aside = store.with_name(f"{store.name}.unreadable-{int(time.time())}")
            log.warning("matrix: the encryption store cannot be opened; moved to %s", aside)
            with contextlib.suppress(FileNotFoundError):
                store.rename(aside)
            client = self._new_client(device_id, pickle_key)
            client.restore_login(self.user_id, device_id, token)
        return client

    async def _at_start(self, client: nio.AsyncClient, call: Any) -> Any:
        try:
            return await asyncio.wait_for(call, START_WAIT)
        except TimeoutError:
            await client.close()
            raise SetupError(
                f"the Matrix homeserver {self.homeserver} did not answer within "
                f"{START_WAIT:.0f}s: check CONSULTBOT_MATRIX_HOMESERVER"
            ) from None

    def _save_credentials(self, client: nio.AsyncClient, pickle_key: str) -> None:
        data = {
            "homeserver": self.homeserver,
            "user_id": self.user_id,
            "device_id": client.device_id,
            "pickle_key": pickle_key,
        }
        if self.access_token:  # configured: not copied, only recognised
            data["token"] = _digest(self.access_token)
        else:
            data["access_token"] = client.access_token
        self.credentials.save(data)

    async def _log_in_again(self) -> bool:
        """The homeserver ended the session (M_UNKNOWN_TOKEN): same device, new token."""
        assert self.client is not None
        if not self.password:
            log.error("matrix: the access token is no longer valid; set a new one and restart")
            return False
        log.warning("matrix: the homeserver ended the session; logging in again")
        self.client.access_token = ""
        response = await self.client.login(self.password, device_name=DEVICE_NAME)
        if not isinstance(response, nio.LoginResponse):
            log.error("matrix: logging in again failed (%s)", _reason(response))
            return False
        if self.client.olm is not None:  # a device logged out lost its keys: publish them again
            self.client.olm.account.shared = False
        self._save_credentials(self.client, self.credentials.load().get("pickle_key", ""))
        return True

    @staticmethod
    async def _check(call: Any, what: str) -> Any:
        response = await call
        if isinstance(response, nio.ErrorResponse):
            log.warning("matrix: %s failed (%s)", what, _reason(response))
        return response

    # ---- events in ------------------------------------------------------------------------

    async def _sync_forever(self) -> None:
        """Sync, handle the batch, and only then keep its position."""
        assert self.client is not None
        first = True
        failures = 0
        while not self._stopping:
            try:
                response = await self.client.sync(
                    timeout=0 if first else SYNC_TIMEOUT_MS,
                    sync_filter=self.sync_filter,
                    since=self.since,
                    full_state=True if first else None,  # the room state is not kept locally
                )
                if not isinstance(response, nio.SyncResponse):
                    raise SyncFailed(response)
                self.ready.set()  # the room list is known: sends may go
                self._handling = True
                await self._keep_keys()
                await self.handle_sync(response, history=self.since is not None)
                self.since = response.next_batch
                self._save_position()
                first = False
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # The position stays where it was: the batch comes again, handled events
                # are dropped by the dispatcher, the others get their turn.
                failures += 1
                await self._sync_failed(error, failures)
            finally:
                self._handling = False

    async def _sync_failed(self, error: Exception, failures: int) -> None:
        response = error.response if isinstance(error, SyncFailed) else None
        ended = getattr(response, "status_code", None) == "M_UNKNOWN_TOKEN"
        if ended and await self._log_in_again():
            return
        retry_after = getattr(response, "retry_after_ms", None)
        delay = retry_after / 1000 if retry_after else min(0.25 * 2**failures, RETRY_WAIT)
        if ended:
            delay = ENDED_WAIT  # nothing changes until someone sets a new token
        reason = _reason(response) if response is not None else type(error).__name__
        log.warning("matrix: sync failed (%s); retrying in %.1fs", reason, delay)
        log.debug("matrix: sync failure", exc_info=error)
        await asyncio.sleep(delay)

    def _save_position(self) -> None:
        self.position.save(
            {
                "user_id": self.user_id,
                "next_batch": self.since,
                "undecrypted": [
                    {"room_id": room_id, "event": event.source, "seen": seen}
                    for room_id, event, seen in self.undecrypted
                ],
            }
        )

    @staticmethod
    def _load_undecrypted(items: Any) -> list[tuple[str, nio.MegolmEvent, float]]:
        kept = []
        for item in items if isinstance(items, list) else []:
            with contextlib.suppress(Exception):
                event = nio.Event.parse_event(item["event"])
                if isinstance(event, nio.MegolmEvent):
                    event.room_id = item["room_id"]
                    kept.append((str(item["room_id"]), event, float(item["seen"])))
        return kept

    async def _keep_keys(self) -> None:
        """What nio's sync_forever does between syncs: to-device messages out, keys up to date."""
        client = self.client
        assert client is not None
        if client.olm is None:
            return
        try:
            if client.outgoing_to_device_messages:
                await client.send_to_device_messages()
            if client.should_upload_keys:
                await self._check(client.keys_upload(), "uploading encryption keys")
            if client.should_query_keys:
                async with self._send_lock:  # room_send may query too: not both at once
                    if client.should_query_keys:
                        await self._check(client.keys_query(), "querying device keys")
            if client.should_claim_keys:
                await self._check(
                    client.keys_claim(client.get_users_for_key_claiming()), "claiming keys"
                )
        except nio.LocalProtocolError as error:  # nothing to do after all, or in flight
            log.debug("matrix: key upkeep skipped (%s)", error)

    async def handle_sync(self, response: nio.SyncResponse, *, history: bool = True) -> None:
        """Join invites; hand each room's events to the dispatcher, each room in order and
        rooms side by side. `history=False` (the very first sync) only joins."""
        assert self.client is not None
        for room_id in response.rooms.invite:
            await self._join(room_id)
        by_room: dict[str, list[nio.Event]] = {}
        if history:
            for room_id, info in response.rooms.join.items():
                events = list(info.timeline.events)
                if info.timeline.limited and info.timeline.prev_batch:
                    events = await self._missed(room_id, info.timeline.prev_batch) + events
                events = since_arrival(events, self.user_id)
                self._keep_undecrypted(room_id, events)
                by_room[room_id] = events
        for room_id, event in self._decrypted_late():
            by_room.setdefault(room_id, []).append(event)
        for room_id, events in by_room.items():
            for event in events:
                self._queues.put(room_id, (room_id, event))
        await self._queues.join()
        await self._leave_if_alone(response)

    async def _missed(self, room_id: str, prev_batch: str) -> list[nio.Event]:
        """Events between the stored position and a cut-short timeline, oldest first."""
        assert self.client is not None and self.since is not None
        missed: list[nio.Event] = []
        token = prev_batch
        for _ in range(HISTORY_PAGES):
            page = await self.client.room_messages(
                room_id, start=token, end=self.since, direction=nio.MessageDirection.back, limit=100
            )
            if not isinstance(page, nio.RoomMessagesResponse) or not page.chunk:
                break
            missed.extend(page.chunk)
            if not page.end or page.end == token:
                break
            token = page.end
        missed.reverse()
        if missed:
            log.info("matrix: fetched %d events the sync left out", len(missed))
        return missed

    def _keep_undecrypted(self, room_id: str, events: list[nio.Event]) -> None:
        now = time.time()
        kept = {event.event_id for _, event, _ in self.undecrypted}
        for event in events:
            if isinstance(event, nio.MegolmEvent) and event.event_id not in kept:
                kept.add(event.event_id)
                event.room_id = room_id
                self.undecrypted.append((room_id, event, now))

    def _decrypted_late(self) -> list[tuple[str, nio.Event]]:
        """Events kept for want of their key that can be read now; the rest wait, a while."""
        assert self.client is not None
        if not self.undecrypted or self.client.olm is None:
            return []
        now = time.time()
        ready: list[tuple[str, nio.Event]] = []
        waiting: list[tuple[str, nio.MegolmEvent, float]] = []
        for room_id, event, seen in self.undecrypted:
            try:
                ready.append((room_id, self.client.decrypt_event(event)))
            except nio.EncryptionError:
                if now - seen < UNDECRYPTED_TTL:
                    waiting.append((room_id, event, seen))
                else:
                    log.warning("matrix: gave up on an event whose key never came")
        self.undecrypted = waiting
        return ready

    async def _handle_reliably(self, item: tuple[str, nio.Event]) -> None:
        room_id, event = item
        await kit.handle_with_retry(
            lambda: self._handle_event(room_id, event), f"matrix: event {event.event_id}"
        )

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
        filename, size, media_type = file_info(event)
        base = Inbound(
            sender=person_ref(event.sender),
            chat=chat_ref(room.room_id),
            message_id=event.event_id,
            private=True,
            display_name=display_name(room, event.sender),
        )
        data = await kit.take_file(
            lambda: self._download(event),
            announced=size,
            limit=self.max_file_bytes,
            send=self.send,
            chat=base.chat,
            language=None,  # Matrix events do not carry the sender's language
        )
        if data is None:
            return None
        return replace(base, attachment=Attachment(filename, data, media_type))

    async def _download(self, event: nio.Event) -> bytes | None:
        assert self.client is not None
        response = await self.client.download(mxc=event.url)
        if not isinstance(response, nio.MemoryDownloadResponse):
            log.warning("matrix: a file could not be downloaded (%s)", _reason(response))
            return None
        data: bytes = response.body
        if isinstance(event, nio.RoomEncryptedFile):
            try:
                data = decrypt_attachment(data, event.key["k"], event.hashes["sha256"], event.iv)
            except (nio.EncryptionError, KeyError, ValueError) as error:
                log.warning("matrix: a file could not be decrypted (%s)", type(error).__name__)
                return None
        return data

    async def _join(self, room_id: str) -> None:
        assert self.client is not None
        response = await self.client.join(room_id)
        if isinstance(response, nio.JoinResponse):
            log.info("matrix: joined a room on invitation")
        else:
            log.warning("matrix: could not join a room (%s)", _reason(response))

    async def _leave_if_alone(self, response: nio.SyncResponse) -> None:
        """A chat everyone else left is of no use: leave (and forget) it too. Rooms the bot
        left or was removed from are dropped (nio keeps them): sends there fail for good."""
        assert self.client is not None
        for room_id in response.rooms.join:
            room = self.client.rooms.get(room_id)
            if (
                room is not None
                and joined_members(room) == {self.user_id}
                and not room.invited_users
            ):
                await self._check(self.client.room_leave(room_id), "leaving an empty room")
                await self._check(self.client.room_forget(room_id), "forgetting an empty room")
        for room_id in response.rooms.leave:
            self.client.rooms.pop(room_id, None)

    # ---- our messages out -----------------------------------------------------------------

    async def send(self, message: Outbound) -> str | None:
        """Send (or edit) `message`; the id returned is that of its last event."""
        if platform_of(message.chat) != PLATFORM:
            raise DeliveryError(message.chat, "not a Matrix chat")
        room_id = local_part(message.chat)
        client = await self._ready_client(message.chat)
        if room_id not in client.rooms:
            raise DeliveryError(message.chat, "the bot is not in this room", blocked=True)
        async with self._send_lock:
            try:
                if message.edit_of is not None:
                    return await self._edit(room_id, message)
                sent: str | None = None
                for part in split_text(message.text):
                    sent = await self._room_send(room_id, text_content(part))
                if message.attachment is not None:
                    sent = await self._send_file(room_id, message.attachment)
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

    async def _room_send(self, room_id: str, content: dict[str, Any]) -> str:
        assert self.client is not None
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        if not isinstance(response, nio.RoomSendResponse):
            code = getattr(response, "status_code", None)
            raise DeliveryError(
                chat_ref(room_id), _reason(response), blocked=code in ("M_FORBIDDEN", "M_NOT_FOUND")
            )
        self.sent.add(response.event_id)
        return str(response.event_id)

    async def _edit(self, room_id: str, message: Outbound) -> str:
        assert message.edit_of is not None
        parts = split_text(message.text) or ["…"]
        await self._room_send(room_id, edit_content(parts[0], message.edit_of))
        for part in parts[1:]:
            await self._room_send(room_id, text_content(part))
        return message.edit_of  # the message keeps its id: reactions on it still count

    async def _send_file(self, room_id: str, attachment: Attachment) -> str:
        """Upload to the media repository (encrypted for an encrypted room), then m.file."""
        assert self.client is not None
        encrypted = self.client.rooms[room_id].encrypted
        uploaded, keys = await self.client.upload(
            io.BytesIO(attachment.data),
            content_type=attachment.media_type,
            filename=attachment.filename,
            encrypt=encrypted,
            filesize=len(attachment.data),
        )
        if not isinstance(uploaded, nio.UploadResponse):
            raise DeliveryError(chat_ref(room_id), f"upload failed: {_reason(uploaded)}")
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": attachment.filename,
            "filename": attachment.filename,
            "info": {"mimetype": attachment.media_type, "size": len(attachment.data)},
        }
        if encrypted and keys:
            content["file"] = {
                "url": uploaded.content_uri,
                "mimetype": attachment.media_type,
                **keys,
            }
        else:
            content["url"] = uploaded.content_uri
        return await self._room_send(room_id, content)

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


class SyncFailed(Exception):
    """The homeserver answered a sync with an error."""

    def __init__(self, response: Any) -> None:
        super().__init__(_reason(response))
        self.response = response


def _digest(token: str) -> str:
    """Recognises a configured token without keeping a copy of it."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _reason(response: Any) -> str:
    """What went wrong, without the content of anyone's message."""
    if isinstance(response, nio.ErrorResponse):
        return response.status_code or response.message or "unknown error"
    return type(response).__name__


def create(settings: Settings) -> MatrixAdapter | None:
    """The adapter the settings ask for, or None when no homeserver is configured."""
    if not settings.matrix_homeserver or not settings.matrix_user_id:
        return None
    assert settings.matrix_store_path is not None  # the settings default it
    password = settings.matrix_password
    token = settings.matrix_access_token
    return MatrixAdapter(
        settings.matrix_homeserver,
        settings.matrix_user_id,
        store_path=Path(settings.matrix_store_path),
        password=password.get_secret_value() if password is not None else None,
        access_token=token.get_secret_value() if token is not None else None,
    )
