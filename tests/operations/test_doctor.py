"""`consultbot doctor`, run as the operator runs it, against real servers on loopback."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import HEAD_REVISION, make_engine, upgrade
from tests.telegram_api import BotAPIServer

EXE = shutil.which("consultbot") or str(Path(sys.executable).with_name("consultbot"))


async def doctor(tmp_path: Path, **env: str) -> tuple[int, str]:
    """Runs `consultbot doctor`; its exit code and everything it printed."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
    environment |= {"CONSULTBOT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "300", **env}
    process = await asyncio.create_subprocess_exec(
        EXE,
        "doctor",
        env=environment,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode()


def problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("problem")]


async def test_a_working_telegram_configuration_passes(tmp_path: Path) -> None:
    async with BotAPIServer() as server:
        code, output = await doctor(
            tmp_path,
            CONSULTBOT_TELEGRAM_TOKEN=server.token,
            CONSULTBOT_TELEGRAM_API_URL=server.base_url,
        )
    assert code == 0, output
    assert problems(output) == []
    assert "telegram: the credentials are accepted" in output
    assert "will be created at the first start" in output


async def test_a_wrong_token_and_no_server_are_each_one_line(tmp_path: Path) -> None:
    async with BotAPIServer() as server:
        wrong = "987654321:AAH-not-the-loopback-token_0123456789"
        code, output = await doctor(
            tmp_path,
            CONSULTBOT_TELEGRAM_TOKEN=wrong,
            CONSULTBOT_TELEGRAM_API_URL=server.base_url,
        )
    assert code == 1
    [line] = problems(output)
    assert "refused CONSULTBOT_TELEGRAM_TOKEN" in line and "@BotFather" in line
    assert wrong not in output  # the token is never printed

    code, output = await doctor(
        tmp_path,
        CONSULTBOT_TELEGRAM_TOKEN=wrong,
        CONSULTBOT_TELEGRAM_API_URL="http://127.0.0.1:9",  # nothing listens there
    )
    assert code == 1
    [line] = problems(output)
    assert "cannot be reached" in line and "CONSULTBOT_TELEGRAM_API_URL" in line


async def test_no_platform_and_an_open_data_directory_are_problems(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    database = data / "consultbot.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    database.chmod(0o644)
    code, output = await doctor(tmp_path)
    assert code == 1
    found = problems(output)
    assert any("platforms: none is configured" in line for line in found), output
    assert any(f"chmod 700 {data}" in line for line in found), output
    assert any(f"chmod 600 {database}" in line for line in found), output
    assert f"schema at {HEAD_REVISION}" in output

    data.chmod(0o700)
    database.chmod(0o600)
    _, output = await doctor(tmp_path)
    assert [line for line in problems(output) if "data directory" in line] == []


@pytest.mark.postgres
async def test_an_unmigrated_or_unreachable_postgresql_is_named(
    tmp_path: Path, postgres_engine: object
) -> None:
    server = os.environ.get(
        "CONSULTBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    name = "consultbot_doctor_empty"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        empty = make_url(server).set(database=name).render_as_string(hide_password=False)
        code, output = await doctor(tmp_path, CONSULTBOT_DATABASE_URL=empty)
        assert code == 1
        assert any("has no schema: run `consultbot db upgrade`" in p for p in problems(output))

        gone = make_url(server).set(port=9).render_as_string(hide_password=False)
        code, output = await doctor(tmp_path, CONSULTBOT_DATABASE_URL=gone)
        assert any("cannot be reached" in p for p in problems(output)), output
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
