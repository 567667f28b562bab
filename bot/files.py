"""Saving a file for the person who asked for it, never over one that is already there.

An export or a summary written twice on the same day has the same name; the second is
saved beside the first with "-2" (then "-3"...) before the extension, and the caller says
so. The file is created exclusively, so two saves at once cannot both take one name.
"""

from __future__ import annotations

from pathlib import Path

MOST_COPIES = 1000  # of one name in one folder; past that, something is writing in a loop


def save_new(target: Path, content: bytes) -> Path:
    """Write `content` at `target`, or at the first free `stem-N.ext` beside it; the
    folder is created if need be. Returns where it went."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, MOST_COPIES + 1):
        path = target if n == 1 else target.with_name(f"{target.stem}-{n}{target.suffix}")
        try:
            with path.open("xb") as file:
                file.write(content)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{target} and {MOST_COPIES - 1} numbered copies already exist")


def save_new_folder(target: Path, files: dict[str, bytes]) -> Path:
    """Write `files` into a new folder at `target`, or at the first free `target-N`.
    Returns where they went."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, MOST_COPIES + 1):
        path = target if n == 1 else target.with_name(f"{target.name}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        for name, content in files.items():
            (path / name).write_bytes(content)
        return path
    raise FileExistsError(f"{target} and {MOST_COPIES - 1} numbered copies already exist")
