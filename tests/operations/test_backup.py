"""`consultbot backup`: a consistent copy of the SQLite database while the bot writes."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

from sqlalchemy import text

from storage.engine import HEAD_REVISION, make_engine, upgrade
from tests.cli.test_commands import consultbot


def test_a_copy_taken_while_writing_is_whole_and_private(tmp_path: Path) -> None:
    database = tmp_path / "data" / "consultbot.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    stop = threading.Event()
    written = [0]

    def write() -> None:  # another process's worth of writes, going on during the copy
        while not stop.is_set():
            with engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO backup_probe (key, value) VALUES (:k, :v)"),
                    {"k": f"k{written[0]}", "v": "x" * 200},
                )
            written[0] += 1

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS backup_probe (key TEXT, value TEXT)"))
    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 200:
            stop.wait(0.01)
        result = consultbot("backup", "copy.db", tmp_path=tmp_path)
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "copy.db"
    assert "a consistent copy" in result.stdout
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert not copy.with_name("copy.db-wal").exists()  # one file, ready to move
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            HEAD_REVISION
        )
        rows = connection.execute("SELECT count(*) FROM backup_probe").fetchone()[0]
    assert 200 <= rows <= written[0]


def test_postgresql_and_a_missing_database_say_what_to_do(tmp_path: Path) -> None:
    result = consultbot(
        "backup",
        "copy.db",
        tmp_path=tmp_path,
        CONSULTBOT_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    assert result.returncode == 2
    assert "pg_dump" in result.stderr

    result = consultbot("backup", "copy.db", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "there is no database file" in result.stderr
    assert not (tmp_path / "copy.db").exists()
