"""matrix-nio as the adapter uses it: imported without the database drivers it would load
for nothing, and its error responses read without anyone's message in them.

nio reports errors as response objects, not exceptions: `checked` logs a failed call
that the adapter can do without, `reason` says what went wrong in a log line.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Awaitable, Iterator
from types import ModuleType
from typing import Any, TypeVar, cast

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_WAIT = 3.0  # longest pause between attempts to reach the homeserver


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

__all__ = ["RETRY_WAIT", "checked", "decrypt_attachment", "nio", "reason"]


def reason(response: Any) -> str:
    """What went wrong, without the content of anyone's message."""
    if isinstance(response, nio.ErrorResponse):
        return response.status_code or response.message or "unknown error"
    return type(response).__name__


async def checked(call: Awaitable[T], what: str) -> T:
    """The response of `call`, an error logged (as `what` failed) and returned all the same."""
    response = await call
    if isinstance(response, nio.ErrorResponse):
        log.warning("matrix: %s failed (%s)", what, reason(response))
    return response
