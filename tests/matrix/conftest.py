"""Fixtures for Matrix end-to-end tests against a real Synapse on 127.0.0.1.

Synapse must be installed in its own venv first: ``.ci/install-synapse``. Without it the
fixtures fail (they do not skip) unless ``CONSULTBOT_SKIP_MATRIX=1`` is set.

Fixtures:
    synapse               session-scoped SynapseServer, rate limits lifted
    synapse_rate_limited  function-scoped SynapseServer with Synapse's default limits
    matrix_user           async factory: ``await matrix_user("alice")`` -> logged-in
                          nio.AsyncClient on ``synapse`` (or ``server=...``)
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import AsyncIterator, Iterator

import nio
import pytest

from tests.matrix_homeserver import SynapseError, SynapseServer, synapse_python

_SKIP_ENV = "CONSULTBOT_SKIP_MATRIX"


def _server(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs: object) -> SynapseServer:
    if os.environ.get(_SKIP_ENV, "").lower() in {"1", "true", "yes"}:
        pytest.skip(f"{_SKIP_ENV} is set: Matrix end-to-end tests skipped")
    try:
        python = synapse_python()
        return SynapseServer(tmp_path_factory.mktemp(name), python=python, **kwargs).start()  # type: ignore[arg-type]
    except SynapseError as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """One homeserver for the whole session, rate limits lifted. Register fresh users
    per test (``matrix_user`` does): never rely on state another test left."""
    server = _server(tmp_path_factory, "synapse")
    yield server
    server.stop()


@pytest.fixture
def synapse_rate_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """A separate homeserver with Synapse's default rate limits (about 2 s to start)."""
    server = _server(tmp_path_factory, "synapse-rl", lift_rate_limits=False)
    yield server
    server.stop()


_counter = itertools.count(1)


class MatrixUserFactory:
    """``await matrix_user(localpart="user", *, server=None, password=None, admin=False,
    encryption=False, config=None) -> nio.AsyncClient``

    Registers ``<localpart>-<n>-<random>`` (so localparts never collide within or
    across sessions), logs in with the password (a real /login, new device) and returns
    the client. ``server`` defaults to the session ``synapse``. ``encryption=True``
    needs matrix-nio's e2e extra (vodozemac) and skips the test without it. The
    default client config retries connection errors once a second for ~30 s (nio's
    default is forever, with growing backoff); 429s are still retried, waiting
    ``retry_after_ms``, unless ``config`` says otherwise (``max_limit_exceeded=0``).
    All clients are closed at teardown. ``passwords[user_id]`` keeps each password,
    for tests that log in again.
    """

    def __init__(self, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
        self._request = request
        self._tmp = tmp_path_factory
        self.clients: list[nio.AsyncClient] = []
        self.passwords: dict[str, str] = {}

    async def __call__(
        self,
        localpart: str = "user",
        *,
        server: SynapseServer | None = None,
        password: str | None = None,
        admin: bool = False,
        encryption: bool = False,
        config: nio.AsyncClientConfig | None = None,
    ) -> nio.AsyncClient:
        if encryption and not nio.crypto.ENCRYPTION_ENABLED:
            pytest.skip("matrix-nio e2e support missing: pip install 'matrix-nio[e2e]'")
        if server is None:
            server = self._request.getfixturevalue("synapse")
        localpart = f"{localpart.lower()}-{next(_counter)}-{secrets.token_hex(3)}"
        password = password or secrets.token_urlsafe(16)
        user_id, _token = server.register_user(localpart, password, admin=admin)
        self.passwords[user_id] = password
        if config is None:
            config = nio.AsyncClientConfig(
                encryption_enabled=encryption,
                store_sync_tokens=False,
                # nio retries connection errors forever by default; here it gives up
                # after ~30 s, polling once a second (enough for a Synapse restart).
                max_timeouts=30,
                max_timeout_retry_wait_time=1.0,
                request_timeout=30,
            )
        client = nio.AsyncClient(
            server.base_url,
            user_id,
            store_path=str(self._tmp.mktemp("nio-store")),
            config=config,
        )
        self.clients.append(client)
        resp = await client.login(password, device_name=f"consultbot-test-{localpart}")
        if not isinstance(resp, nio.LoginResponse):
            pytest.fail(f"login of {user_id} on {server.base_url} failed: {resp}")
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


@pytest.fixture
async def matrix_user(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[MatrixUserFactory]:
    factory = MatrixUserFactory(request, tmp_path_factory)
    yield factory
    await factory.close()
