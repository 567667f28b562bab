"""Logging as the operator asked for it: readable lines, or one JSON object a line.

What the bot logs is chosen so that no message text and no platform id is ever written
(events are logged by platform, kind and count). The JSON form keeps to that too: it
writes the logged line and, for an error, the exception's type, never its message or
traceback, which may quote what a person sent.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Libraries log request URLs (which carry the bot token) at INFO: keep them quieter.
NOISY = ("httpx", "httpcore", "telegram", "nio", "apscheduler", "alembic", "aiohttp")


class JsonLines(logging.Formatter):
    """A record as one JSON object: time (UTC, ISO 8601), level, logger, event."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, form: str = "text") -> None:
    """Send the log to stderr at `level`, as `form` ("text" or "json")."""
    handler = logging.StreamHandler()
    if form == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    handler.addFilter(_without_library_tracebacks)


def _without_library_tracebacks(record: logging.LogRecord) -> bool:
    """A library's error as its one line: what it means for the bot is said by the bot
    (a server answering HTML instead of JSON, say, is a start-up error naming the URL)."""
    if record.name.split(".", 1)[0] in NOISY and record.levelno < logging.CRITICAL:
        record.exc_info = None
        record.exc_text = None
    return True
