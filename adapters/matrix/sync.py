"""Events in: sync, hand each event to the adapter, and only then keep the position.

No event is answered twice, none is missed. nio can keep `next_batch` in its own store,
but it saves it as soon as a sync arrives, before anything was done with it: a crash
then skips the rest of that batch (opsdroid #1996). So the sync position is kept here,
in `sync.json`, and written only after every event of the batch was handled (with retry,
each room's events in order and rooms side by side: `adapters.kit`). A crash mid-batch
syncs that batch again; what the dispatcher had already stored is dropped there
(`Inbound.source` is the idempotency key). A timeline the homeserver cut short
(`limited`: many events while the bot was down) is completed from /messages back to the
stored position. The first start ever begins "now": it answers invites, not history; in
a room it joins, what was written from its invitation on is read, not what came before.

An event that cannot be decrypted yet (its key is late) is kept, ciphertext only, and
tried again as keys arrive (`LateKeys`).

    /sync ── invite ──────────────> join
          ├─ each room's events ──> handle(room, event), in order, with retry
          └─ everyone else left ──> leave and forget the room
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiorwlock

from adapters import kit
from adapters.matrix.client import RETRY_WAIT, checked, nio, reason
from adapters.matrix.session import Session
from adapters.matrix.state import StateFile
from adapters.matrix.translate import joined_members, since_arrival

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000  # a long poll waits this long for news
TIMELINE_LIMIT = 100  # events per room and sync; more while down are fetched from /messages
HISTORY_PAGES = 50  # at most this many pages of 100 events are fetched to fill a gap
UNDECRYPTED_TTL = 3600.0  # seconds an undecryptable event waits for its key
STOP_WAIT = 30.0  # seconds a stop waits for the batch in hand
ENDED_WAIT = 60.0  # seconds between syncs once the session ended and cannot be renewed

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

EventHandler = Callable[[str, nio.Event], Awaitable[None]]  # room id, event; raises on failure


def sync_filter(timeline_limit: int = TIMELINE_LIMIT) -> dict[str, Any]:
    """`SYNC_FILTER` with `timeline_limit` events per room and sync."""
    made: dict[str, Any] = json.loads(json.dumps(SYNC_FILTER))
    made["room"]["timeline"]["limit"] = timeline_limit
    return made


class SyncFailed(Exception):
    """The homeserver answered a sync with an error."""

    def __init__(self, response: Any) -> None:
        super().__init__(reason(response))
        self.response = response


class LateKeys:
    """Events kept, ciphertext only, until their key arrives (for `UNDECRYPTED_TTL`)."""

    def __init__(self, waiting: list[tuple[str, nio.MegolmEvent, float]] | None = None) -> None:
        self.waiting = waiting or []  # room, event, when it was seen

    def keep(self, room_id: str, events: list[nio.Event]) -> None:
        now = time.time()
        kept = {event.event_id for _, event, _ in self.waiting}
        for event in events:
            if isinstance(event, nio.MegolmEvent) and event.event_id not in kept:
                kept.add(event.event_id)
                event.room_id = room_id
                self.waiting.append((room_id, event, now))

    def readable(self, client: nio.AsyncClient) -> list[tuple[str, nio.Event]]:
        """The events that can be decrypted now; the rest wait, a while."""
        if not self.waiting or client.olm is None:
            return []
        now = time.time()
        ready: list[tuple[str, nio.Event]] = []
        waiting: list[tuple[str, nio.MegolmEvent, float]] = []
        for room_id, event, seen in self.waiting:
            try:
                ready.append((room_id, client.decrypt_event(event)))
            except nio.EncryptionError:
                if now - seen < UNDECRYPTED_TTL:
                    waiting.append((room_id, event, seen))
                else:
                    log.warning("matrix: gave up on an event whose key never came")
        self.waiting = waiting
        return ready

    def dump(self) -> list[dict[str, Any]]:
        return [
            {"room_id": room_id, "event": event.source, "seen": seen}
            for room_id, event, seen in self.waiting
        ]

    @classmethod
    def load(cls, items: Any) -> LateKeys:
        kept = []
        for item in items if isinstance(items, list) else []:
            with contextlib.suppress(Exception):
                event = nio.Event.parse_event(item["event"])
                if isinstance(event, nio.MegolmEvent):
                    event.room_id = item["room_id"]
                    kept.append((str(item["room_id"]), event, float(item["seen"])))
        return cls(kept)


class Position:
    """Where the sync stands (`next_batch`, and the events waiting for their key), kept in
    a file of the store path; written only after a batch was handled."""

    def __init__(self, path: Path, user_id: str) -> None:
        self.file = StateFile(path)
        self.user_id = user_id
        self.since: str | None = None
        self.late = LateKeys()

    def load(self) -> None:
        state = self.file.load()
        if state.get("user_id") == self.user_id:  # another account's position is no use
            self.since = state.get("next_batch")
            self.late = LateKeys.load(state.get("undecrypted", []))

    def save(self) -> None:
        self.file.save(
            {"user_id": self.user_id, "next_batch": self.since, "undecrypted": self.late.dump()}
        )


class Sync:
    """The sync loop of one client: each batch handled, then its position kept."""

    def __init__(
        self,
        client: nio.AsyncClient,
        position: Position,
        handle: EventHandler,
        *,
        session: Session,
        sync_filter: dict[str, Any],
        ready: asyncio.Event,
        keys_lock: aiorwlock.RWLock,
    ) -> None:
        self.client = client
        self.position = position
        self.handle = handle
        self.session = session  # to log in again when the homeserver ends the session
        self.sync_filter = sync_filter
        self.ready = ready  # set once the first sync is in: the room list is known
        self.keys_lock = keys_lock  # key queries alone, sends beside each other
        self.user_id: str = client.user_id
        self._stopping = False
        self._handling = False
        self._task: asyncio.Task[None] | None = None
        self._queues = kit.ChatQueues(self._handle_reliably, name="matrix-room")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="matrix-sync")

    async def stop(self) -> None:
        """Stop syncing; the batch in hand is finished first (for `STOP_WAIT` at most)."""
        self._stopping = True
        if self._task is not None:
            await kit.stop_taking(self._task, in_hand=self._handling, within=STOP_WAIT)
            self._task = None

    async def _run(self) -> None:
        """Sync, handle the batch, and only then keep its position."""
        first = True
        failures = 0
        while not self._stopping:
            try:
                response = await self.client.sync(
                    timeout=0 if first else SYNC_TIMEOUT_MS,
                    sync_filter=self.sync_filter,
                    since=self.position.since,
                    full_state=True if first else None,  # the room state is not kept locally
                )
                if not isinstance(response, nio.SyncResponse):
                    raise SyncFailed(response)
                self.ready.set()  # the room list is known: sends may go
                self._handling = True
                await self._keep_keys()
                await self.handle_batch(response, history=self.position.since is not None)
                self.position.since = response.next_batch
                self.position.save()
                first = False
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # The position stays where it was: the batch comes again, handled events
                # are dropped by the dispatcher, the others get their turn.
                failures += 1
                await self._failed(error, failures)
            finally:
                self._handling = False

    async def _failed(self, error: Exception, failures: int) -> None:
        response = error.response if isinstance(error, SyncFailed) else None
        ended = getattr(response, "status_code", None) == "M_UNKNOWN_TOKEN"
        if ended and await self.session.renew(self.client):
            return
        retry_after = getattr(response, "retry_after_ms", None)
        delay = retry_after / 1000 if retry_after else min(0.25 * 2**failures, RETRY_WAIT)
        if ended:
            delay = ENDED_WAIT  # nothing changes until someone sets a new token
        why = reason(response) if response is not None else type(error).__name__
        log.warning("matrix: sync failed (%s); retrying in %.1fs", why, delay)
        log.debug("matrix: sync failure", exc_info=error)
        await asyncio.sleep(delay)

    async def _keep_keys(self) -> None:
        """What nio's sync_forever does between syncs: to-device messages out, keys up to date."""
        client = self.client
        if client.olm is None:
            return
        try:
            if client.outgoing_to_device_messages:
                await client.send_to_device_messages()
            if client.should_upload_keys:
                await checked(client.keys_upload(), "uploading encryption keys")
            if client.should_query_keys:
                async with self.keys_lock.writer:  # room_send may query too: not both
                    if client.should_query_keys:
                        await checked(client.keys_query(), "querying device keys")
            if client.should_claim_keys:
                await checked(
                    client.keys_claim(client.get_users_for_key_claiming()), "claiming keys"
                )
        except nio.LocalProtocolError as error:  # nothing to do after all, or in flight
            log.debug("matrix: key upkeep skipped (%s)", error)

    async def handle_batch(self, response: nio.SyncResponse, *, history: bool = True) -> None:
        """Join invites; hand each room's events over, each room in order and rooms side by
        side. `history=False` (the very first sync) only joins."""
        for room_id in response.rooms.invite:
            await self._join(room_id)
        by_room: dict[str, list[nio.Event]] = {}
        if history:
            for room_id, info in response.rooms.join.items():
                events = list(info.timeline.events)
                if info.timeline.limited and info.timeline.prev_batch:
                    events = await self._missed(room_id, info.timeline.prev_batch) + events
                events = since_arrival(events, self.user_id)
                self.position.late.keep(room_id, events)
                by_room[room_id] = events
        for room_id, event in self.position.late.readable(self.client):
            by_room.setdefault(room_id, []).append(event)
        for room_id, events in by_room.items():
            for event in events:
                self._queues.put(room_id, (room_id, event))
        await self._queues.join()
        await self._leave_if_alone(response)

    async def _handle_reliably(self, item: tuple[str, nio.Event]) -> None:
        room_id, event = item
        await kit.handle_with_retry(
            lambda: self.handle(room_id, event), f"matrix: event {event.event_id}"
        )

    async def _missed(self, room_id: str, prev_batch: str) -> list[nio.Event]:
        """Events between the stored position and a cut-short timeline, oldest first."""
        assert self.position.since is not None
        missed: list[nio.Event] = []
        token = prev_batch
        for _ in range(HISTORY_PAGES):
            page = await self.client.room_messages(
                room_id,
                start=token,
                end=self.position.since,
                direction=nio.MessageDirection.back,
                limit=100,
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

    async def _join(self, room_id: str) -> None:
        response = await self.client.join(room_id)
        if isinstance(response, nio.JoinResponse):
            log.info("matrix: joined a room on invitation")
        else:
            log.warning("matrix: could not join a room (%s)", reason(response))

    async def _leave_if_alone(self, response: nio.SyncResponse) -> None:
        """A chat everyone else left is of no use: leave (and forget) it too. Rooms the bot
        left or was removed from are dropped (nio keeps them): sends there fail for good."""
        for room_id in response.rooms.join:
            room = self.client.rooms.get(room_id)
            if (
                room is not None
                and joined_members(room) == {self.user_id}
                and not room.invited_users
            ):
                await checked(self.client.room_leave(room_id), "leaving an empty room")
                await checked(self.client.room_forget(room_id), "forgetting an empty room")
        for room_id in response.rooms.leave:
            self.client.rooms.pop(room_id, None)
