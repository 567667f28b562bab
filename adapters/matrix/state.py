"""State the adapter keeps in its store path, and the ids of what it sent lately."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SENT_IDS = 2048  # recent ids of the bot's own messages, to recognise replies to them


class StateFile:
    """A small JSON file, written whole (temp file + rename) and readable by its owner only.

    A rename is atomic, so a crash leaves the old content or the new, never half of one.
    There is no fsync: after a power cut the sync position may be the one before, and
    the events after it come again, which the dispatcher drops as already handled.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("matrix: %s is unreadable (%s); starting without it", self.path, error)
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:  # mkstemp makes it 0600
                json.dump(data, file)
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


class RecentIds:
    """The last `size` ids of messages the bot sent (to tell replies to it from others)."""

    def __init__(self, size: int = SENT_IDS) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids
