"""Engines for the two supported stores, and bringing their schema up to date.

SQLite is the embedded default: WAL so readers never wait for the writer, foreign keys
on, `synchronous=NORMAL` (a crashed or killed process loses no committed transaction;
only a power cut may lose the last ones), and every transaction starts with
`BEGIN IMMEDIATE` so two writers queue on the busy timeout instead of failing halfway.
While the bot serves, a thread of its own folds SQLite's log into the database
(`Checkpoints`), so no reply waits for that. PostgreSQL is the shared store for several
workers.

Alembic is loaded only when the schema has to change: a start on an up-to-date database
reads the `alembic_version` row and compares it with `HEAD_REVISION` (a test keeps that
constant equal to the newest migration), which spares every start the import of Alembic
and Mako.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import String, column, event, inspect, select, table
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision; a new migration changes it (tests/storage checks).
HEAD_REVISION = "0011_outbox_claims"
VERSION_TABLE = "alembic_version"  # where Alembic keeps the revision a database is at


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`, with the pragmas and pool a bot needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(Path(database).expanduser())
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def private_file(path: Path) -> None:
    """Create `path`'s folder readable by its owner only (0700) and the file itself empty
    with 0600, unless they exist: SQLite then gives its log (`-wal`, `-shm`) the
    database's mode. A database holds what people wrote and who they are."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def is_shared(engine: Engine) -> bool:
    """Whether several processes may use this database at once: PostgreSQL, not SQLite."""
    return engine.dialect.name == "postgresql"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")  # what is deleted is overwritten, not left
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]


class Checkpoints:
    """SQLite's write-ahead log folded into the database by a thread of its own.

    Left to SQLite, the commit that takes the log past 1,000 pages copies it into the
    database and syncs both to disk, and the person whose message that was waits several
    times as long for their answer (one reply in a hundred or so). While the bot serves,
    its connections leave that to this thread instead: every `interval` seconds it folds
    what the log holds (`PRAGMA wal_checkpoint(PASSIVE)`, which neither waits for nor holds
    up the writer or readers). The last connection to close folds the rest, as always. On
    PostgreSQL, or SQLite in memory, there is nothing to do.
    """

    def __init__(self, engine: Engine, interval: float = 2.0) -> None:
        database = engine.url.database or ""
        self.engine = engine
        self.interval = interval
        self.needed = engine.dialect.name == "sqlite" and database not in ("", ":memory:")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.needed or self._thread is not None:
            return
        event.listen(self.engine, "connect", _no_automatic_checkpoints)
        self.engine.dispose()  # connections opened before now would still fold on commit
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        self.fold()

    def fold(self) -> None:
        """Fold the log into the database now."""
        connection = self.engine.raw_connection()
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.fold()
            except Exception:  # a busy or failing disk: the next round, or the close, folds it
                log.warning("checkpoint failed", exc_info=True)


class AlreadyServed(Exception):
    """Another process serves this SQLite database."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is in use by another consultbot (process {holder or '?'})")
        self.path = path
        self.holder = holder


def hold_database(engine: Engine) -> IO[str] | None:
    """Make this process the only one serving the engine's SQLite file: an exclusive lock
    on `<database>.lock`, released when the process ends (even killed). Two processes
    serving one file would both send what the outbox holds. Raises `AlreadyServed`.
    Returns the open lock file, to keep; None on PostgreSQL or in memory."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:"):
        return None
    path = Path(database).expanduser().with_name(Path(database).name + ".lock")
    private_file(path)
    handle = path.open("r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = handle.read().strip()
        handle.close()
        raise AlreadyServed(Path(database), holder) from None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def truncate_log(engine: Engine) -> None:
    """Fold SQLite's write-ahead log into the database and empty it, after an erasure:
    with `secure_delete`, what was erased is then gone from both files. If readers hold
    the log, it is emptied by the next fold they allow; nothing else is affected."""
    if engine.dialect.name != "sqlite" or (engine.url.database or "") in ("", ":memory:"):
        return
    connection = engine.raw_connection()
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # busy: the periodic fold, or the close, empties it
        log.warning("log not emptied after an erasure", exc_info=True)
    finally:
        connection.close()


def _no_automatic_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


class BackupError(Exception):
    """The database cannot be copied as asked; the message says what to do instead."""


def backup_sqlite(url: str, target: Path, *, pages: int = 1024) -> int:
    """Copy the SQLite database at `url` to `target` with SQLite's online backup API:
    consistent as of one moment while the bot goes on writing (it copies `pages` at a
    time and starts again from where a write changed what it had copied). The copy is
    checked, made a single file (no write-ahead log), readable by its owner only, and
    put in place whole. Returns its size in bytes."""
    import os
    import sqlite3

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(
            "`consultbot backup` copies the embedded SQLite database; back PostgreSQL up "
            "with pg_dump (docs/deployment.md)"
        )
    source_path = Path(parsed.database or "").expanduser()
    if not parsed.database or parsed.database == ":memory:" or not source_path.is_file():
        raise BackupError(
            f"there is no database file at {source_path}: check CONSULTBOT_DATABASE_URL"
        )
    target = target.expanduser()
    if target.resolve() == source_path.resolve():
        raise BackupError("the copy must go to another file than the database itself")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory: create it first")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=pages)
            copy.execute("PRAGMA journal_mode=DELETE")
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed SQLite's integrity check ({verdict}); try again")
    os.chmod(partial, 0o600)
    partial.replace(target)
    return target.stat().st_size


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default); safe to run every start.

    A database already at the newest revision is left alone without loading Alembic."""
    if revision == "head" and is_up_to_date(engine):
        return
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at; None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        version = column("version_num", String)
        revisions = list(connection.scalars(select(version).select_from(table(VERSION_TABLE))))
    if len(revisions) > 1:  # branches: never made here, but say so rather than pick one
        raise RuntimeError(f"the database is at several revisions: {sorted(revisions)}")
    return revisions[0] if revisions else None


def is_up_to_date(engine: Engine) -> bool:
    """Whether the database's schema is at this version of consultbot's newest revision."""
    return current_revision(engine) == HEAD_REVISION


def head_revision() -> str | None:
    """The newest revision as Alembic finds it in the migration scripts (loads Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
