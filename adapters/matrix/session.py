"""The bot's Matrix session: it logs in once, and stays one device.

The first start logs in with the password and keeps the access token and device id in
`credentials.json` in the store path (mode 0600); later starts restore that session, so
the bot stays one device with one set of encryption keys. If the homeserver ends the
session, the bot logs in again with the password, same device. With an access token
configured instead, the device is the token's (asked with whoami), and the token itself
is not copied to disk, only recognised by a digest.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from adapters.matrix.client import RETRY_WAIT, nio, reason
from adapters.matrix.state import StateFile
from bot.app import SetupError

log = logging.getLogger(__name__)
T = TypeVar("T")

DEVICE_NAME = "consultbot"
START_WAIT = 60.0  # seconds a first login may take before the start is given up


class Session:
    """Opens the client on the configured token, the kept session, or a first login."""

    def __init__(
        self,
        homeserver: str,
        user_id: str,
        store_path: Path,
        *,
        password: str | None,
        access_token: str | None,
    ) -> None:
        self.homeserver = homeserver
        self.user_id = user_id
        self.store_path = store_path
        self.password = password
        self.access_token = access_token
        self.credentials = StateFile(store_path / "credentials.json")

    async def open(self) -> nio.AsyncClient:
        """The configured token, else the kept session, else a first password login.

        A kept session is restored without asking the homeserver (which may be down just
        now); if it was ended meanwhile, the sync says so and `renew` logs in again.
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
                        f"({reason(whoami)}): check it and CONSULTBOT_MATRIX_USER_ID"
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
            self._save(client, pickle_key)
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
                f"Matrix login as {self.user_id} failed ({reason(response)}): check "
                "CONSULTBOT_MATRIX_USER_ID and CONSULTBOT_MATRIX_PASSWORD"
            )
        self._save(client, pickle_key)
        log.info("matrix: logged in with the password as device %s", client.device_id)
        return client

    async def renew(self, client: nio.AsyncClient) -> bool:
        """The homeserver ended the session (M_UNKNOWN_TOKEN): same device, new token."""
        if not self.password:
            log.error("matrix: the access token is no longer valid; set a new one and restart")
            return False
        log.warning("matrix: the homeserver ended the session; logging in again")
        client.access_token = ""
        response = await client.login(self.password, device_name=DEVICE_NAME)
        if not isinstance(response, nio.LoginResponse):
            log.error("matrix: logging in again failed (%s)", reason(response))
            return False
        if client.olm is not None:  # a device logged out lost its keys: publish them again
            client.olm.account.shared = False
        self._save(client, self.credentials.load().get("pickle_key", ""))
        return True

    def _new_client(self, device_id: str | None, pickle_key: str) -> nio.AsyncClient:
        config = nio.AsyncClientConfig(
            encryption_enabled=nio.crypto.ENCRYPTION_ENABLED,
            store_sync_tokens=False,  # the position is ours: saved after handling (sync.py)
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

    async def _at_start(self, client: nio.AsyncClient, call: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(call, START_WAIT)
        except TimeoutError:
            await client.close()
            raise SetupError(
                f"the Matrix homeserver {self.homeserver} did not answer within "
                f"{START_WAIT:.0f}s: check CONSULTBOT_MATRIX_HOMESERVER"
            ) from None

    def _save(self, client: nio.AsyncClient, pickle_key: str) -> None:
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


def _digest(token: str) -> str:
    """Recognises a configured token without keeping a copy of it."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]
