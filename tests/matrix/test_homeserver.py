"""The Matrix test harness itself: a real Synapse, real nio clients."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING

import nio
import pytest

if TYPE_CHECKING:
    from tests.matrix.conftest import MatrixUserFactory
    from tests.matrix_homeserver import SynapseServer

TIMEOUT = 30.0


async def sync_until(
    client: nio.AsyncClient,
    found: Callable[[nio.SyncResponse], bool],
    what: str,
    within: float = TIMEOUT,
) -> nio.SyncResponse:
    """Long-poll /sync until ``found(response)``; fail after ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while True:
                resp = await client.sync(timeout=1000)
                assert isinstance(resp, nio.SyncResponse), resp
                if found(resp):
                    return resp
    except TimeoutError:
        pytest.fail(f"{client.user_id}: no {what} within {within}s")


def timeline(resp: nio.SyncResponse, room_id: str) -> list[nio.Event]:
    room = resp.rooms.join.get(room_id)
    return list(room.timeline.events) if room else []


def text_bodies(resp: nio.SyncResponse, room_id: str) -> list[str]:
    return [e.body for e in timeline(resp, room_id) if isinstance(e, nio.RoomMessageText)]


async def joined_room(
    creator: nio.AsyncClient, guest: nio.AsyncClient, **create_kwargs: object
) -> str:
    """``creator`` makes a room, invites ``guest``, who sees the invite and joins."""
    created = await creator.room_create(invite=[guest.user_id], **create_kwargs)  # type: ignore[arg-type]
    assert isinstance(created, nio.RoomCreateResponse), created
    room_id = created.room_id
    await sync_until(guest, lambda r: room_id in r.rooms.invite, "invite")
    joined = await guest.join(room_id)
    assert isinstance(joined, nio.JoinResponse), joined
    await sync_until(guest, lambda r: room_id in r.rooms.join, "join")
    return room_id


def http_get(server: SynapseServer, path: str, token: str) -> tuple[int, dict]:
    req = urllib.request.Request(
        server.base_url + path, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


async def test_dm_message_round_trip(matrix_user: MatrixUserFactory) -> None:
    alice = await matrix_user("alice")
    bob = await matrix_user("bob")
    await alice.sync(timeout=0)

    room_id = await joined_room(
        alice, bob, is_direct=True, preset=nio.RoomPreset.trusted_private_chat
    )
    sent = await bob.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": "hello alice"}
    )
    assert isinstance(sent, nio.RoomSendResponse), sent

    await sync_until(alice, lambda r: "hello alice" in text_bodies(r, room_id), "message")
    room = alice.rooms[room_id]
    assert set(room.users) == {alice.user_id, bob.user_id}


async def test_shared_secret_registration_admin_flag(
    synapse: SynapseServer, matrix_user: MatrixUserFactory
) -> None:
    admin = await matrix_user("admin", admin=True)
    plain = await matrix_user("plain")
    path = "/_synapse/admin/v2/users/" + urllib.parse.quote(plain.user_id)
    assert http_get(synapse, path, admin.access_token)[0] == 200
    status, body = http_get(synapse, path, plain.access_token)
    assert status == 403
    assert body["errcode"] == "M_FORBIDDEN"


@pytest.mark.skipif(
    not nio.crypto.ENCRYPTION_ENABLED,
    reason="matrix-nio e2e extra (vodozemac) not installed: pip install 'matrix-nio[e2e]'",
)
async def test_encrypted_room(synapse: SynapseServer, matrix_user: MatrixUserFactory) -> None:
    alice = await matrix_user("alice", encryption=True)
    bob = await matrix_user("bob", encryption=True)
    for client in (alice, bob):
        assert client.should_upload_keys
        uploaded = await client.keys_upload()
        assert isinstance(uploaded, nio.KeysUploadResponse), uploaded
    await alice.sync(timeout=0)

    encryption = {
        "type": "m.room.encryption",
        "state_key": "",
        "content": {"algorithm": "m.megolm.v1.aes-sha2"},
    }
    room_id = await joined_room(alice, bob, initial_state=[encryption])
    assert bob.rooms[room_id].encrypted

    sent = await bob.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.text", "body": "for alice's eyes only"},
        ignore_unverified_devices=True,
    )
    assert isinstance(sent, nio.RoomSendResponse), sent

    resp = await sync_until(
        alice,
        lambda r: any(e.event_id == sent.event_id for e in timeline(r, room_id)),
        "encrypted message",
    )
    [event] = [e for e in timeline(resp, room_id) if e.event_id == sent.event_id]
    assert isinstance(event, nio.RoomMessageText), f"not decrypted: {event}"
    assert event.decrypted
    assert event.body == "for alice's eyes only"

    # The homeserver only ever saw ciphertext.
    path = "/_matrix/client/v3/rooms/{}/event/{}".format(
        *(urllib.parse.quote(x) for x in (room_id, sent.event_id))
    )
    status, raw = http_get(synapse, path, alice.access_token)
    assert status == 200
    assert raw["type"] == "m.room.encrypted"
    assert "for alice" not in json.dumps(raw)


async def test_restart_keeps_users_and_clients_reconnect(
    synapse: SynapseServer, matrix_user: MatrixUserFactory
) -> None:
    alice = await matrix_user("alice")
    bob = await matrix_user("bob")
    await alice.sync(timeout=0)
    room_id = await joined_room(alice, bob)

    await asyncio.to_thread(synapse.restart)
    assert synapse.running

    # Existing sessions (access tokens) survive and keep working.
    sent = await alice.room_send(
        room_id, "m.room.message", {"msgtype": "m.text", "body": "after restart"}
    )
    assert isinstance(sent, nio.RoomSendResponse), sent
    await sync_until(bob, lambda r: "after restart" in text_bodies(r, room_id), "message")

    # Accounts survive: a fresh login with the same password works.
    again = nio.AsyncClient(synapse.base_url, bob.user_id)
    try:
        login = await again.login(matrix_user.passwords[bob.user_id])
        assert isinstance(login, nio.LoginResponse), login
    finally:
        await again.close()

    # A request made while the server is down is retried by nio and goes through
    # once the server is back (same port, same data).
    await asyncio.to_thread(synapse.stop)
    pending = asyncio.create_task(
        bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "while down"})
    )
    await asyncio.sleep(0.5)  # what does not happen: in half a second without a server,
    assert not pending.done()  # nio neither gave up nor pretended it went through
    await asyncio.to_thread(synapse.start)
    resent = await asyncio.wait_for(pending, TIMEOUT)
    assert isinstance(resent, nio.RoomSendResponse), resent
    await sync_until(alice, lambda r: "while down" in text_bodies(r, room_id), "message")


async def test_default_rate_limits_answer_limit_exceeded(
    synapse_rate_limited: SynapseServer, matrix_user: MatrixUserFactory
) -> None:
    no_retry = nio.AsyncClientConfig(max_limit_exceeded=0, max_timeouts=3)
    alice = await matrix_user("alice", server=synapse_rate_limited, config=no_retry)
    created = await alice.room_create(name="burst")
    assert isinstance(created, nio.RoomCreateResponse), created
    await alice.sync(timeout=0)

    # Synapse's default rc_message is 0.2/s with a burst of 10.
    results = []
    for i in range(20):
        resp = await alice.room_send(
            created.room_id, "m.room.message", {"msgtype": "m.text", "body": f"burst {i}"}
        )
        results.append(resp)
        if isinstance(resp, nio.RoomSendError):
            break

    limited = results[-1]
    assert isinstance(limited, nio.RoomSendError), "20 messages were not rate limited"
    assert limited.status_code == "M_LIMIT_EXCEEDED"
    assert limited.retry_after_ms is not None
    assert limited.retry_after_ms > 0
    ok = [r for r in results if isinstance(r, nio.RoomSendResponse)]
    assert 5 <= len(ok) <= 12, f"{len(ok)} messages went through before the limit"
