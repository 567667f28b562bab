"""Shared fixtures: stores on SQLite and PostgreSQL, and a bot driven as a transcript.

PostgreSQL: the server named by CONSULTBOT_TEST_POSTGRES_URL (default: the local one at
127.0.0.1:5432, database `test`). Each test session creates its own database there and
drops it at the end. Where no server answers, PostgreSQL tests are skipped, unless
CONSULTBOT_REQUIRE_POSTGRES=1 (as in CI), which makes that a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from storage.engine import make_engine, upgrade
from storage.records import Store
from tests.clocks import Clock

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_server() -> str | None:
    url = os.environ.get("CONSULTBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return url
    except Exception as error:  # no driver, no server, refused: all mean "not here"
        if os.environ.get("CONSULTBOT_REQUIRE_POSTGRES") == "1":
            raise RuntimeError(
                f"PostgreSQL was required but {url} is not reachable: {error}"
            ) from error
        return None


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """A fresh database for this session on the PostgreSQL server, at the newest schema."""
    server = _postgres_server()
    if server is None:
        pytest.skip("no PostgreSQL server reachable (set CONSULTBOT_TEST_POSTGRES_URL)")
    name = f"consultbot_test_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("template") / "consultbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close folds the WAL into the file
    return path


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path) -> Iterator[Store]:
    path = tmp_path / "consultbot.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def postgres_store(postgres_engine: Engine) -> Store:
    """A store on the session's PostgreSQL database, emptied first."""
    _empty(postgres_engine)
    return Store(postgres_engine)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """The same tests on both supported stores."""
    return cast(Store, request.getfixturevalue(f"{request.param}_store"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


FACILITATOR = "fac"


@pytest.fixture
async def chat(sqlite_store: Store, clock: Clock) -> MemoryAdapter:
    """A running bot on the in-memory platform; `fac` is an admin (facilitator)."""
    adapter = MemoryAdapter()
    dispatcher = Dispatcher(sqlite_store, admins=[f"memory:{FACILITATOR}"], clock=clock)
    dispatcher.add(adapter)
    await dispatcher.start()
    adapter.dispatcher = dispatcher  # type: ignore[attr-defined]
    return adapter
