"""Which of several workers sharing the store leads (runs the scheduled jobs).

Leadership is a session-level PostgreSQL advisory lock held on a connection of its own:
when the leader dies, its connection closes, the server frees the lock, and the next
worker to ask takes over. SQLite means one process, which always leads.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Connection, Engine

from storage.engine import is_shared

log = logging.getLogger(__name__)

LOCK_KEY = 0x636F6E73756C74  # "consult": one advisory lock for the whole application


class Leadership:
    """Whether this process leads; `acquire` again on every poll to stay or become leader."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    @property
    def shared(self) -> bool:
        return is_shared(self.engine)

    def acquire(self) -> bool:
        """True while this process leads; tries to become leader if it does not."""
        if not self.shared:
            return True
        if self._connection is not None:
            try:
                self._connection.exec_driver_sql("SELECT 1")
                return True
            except Exception:  # the connection (and with it the lock) is gone
                self._connection = None
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({LOCK_KEY})").scalar()
        if got:
            self._connection = connection
            log.info("this worker now runs the scheduled jobs")
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")
            finally:
                self._connection.close()
                self._connection = None
