"""`consultbot doctor`: whether this configuration would run, checked before it has to.

Each check gives findings, a line each: what is fine, and what is wrong with what to do
about it. The database is reached and its schema compared with this version's; the data
directory must be writable by the bot and closed to other users (it holds the database
and the Matrix keys); each configured platform is asked about its credentials
(`Platform.check`). Nothing is changed: no schema upgrade, no login, no file created.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import Configuration
from bot.settings import Settings
from storage.engine import HEAD_REVISION, current_revision, make_engine


@dataclass(frozen=True)
class Finding:
    ok: bool
    line: str


def fine(line: str) -> Finding:
    return Finding(True, line)


def wrong(line: str) -> Finding:
    return Finding(False, line)


async def diagnose(configuration: Configuration) -> list[Finding]:
    """Every check of this configuration, in the order an operator fixes them."""
    core = configuration.core
    findings = [*data_directory(core.data_dir), *database(core)]
    configured = configuration.configured()
    if not configured:
        ways = ", or ".join(configuration.how_to_enable())
        findings.append(wrong(f"platforms: none is configured: set {ways}"))
    for name in configured:
        platform, own = configuration.platforms[name]
        try:
            problems = await platform.check(core, own)
        except Exception as error:  # a check that breaks says so and the others go on
            problems = [f"{name}: the check failed ({type(error).__name__})"]
        findings += [wrong(problem) for problem in problems]
        if not problems:
            findings.append(fine(f"{name}: the credentials are accepted"))
    return findings


def data_directory(folder: Path) -> list[Finding]:
    """Writable by the bot, closed to other users (it holds personal data and keys)."""
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK | os.X_OK):
            return [wrong(f"data directory: {folder} does not exist and cannot be created")]
        return [fine(f"data directory: {folder} will be created at the first start")]
    if not folder.is_dir():
        return [wrong(f"data directory: {folder} is not a directory: set CONSULTBOT_DATA_DIR")]
    if not os.access(folder, os.W_OK | os.X_OK):
        return [wrong(f"data directory: {folder} is not writable by this user")]
    findings = []
    for path in (folder, *sorted(folder.glob("*.db"))):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & stat.S_IRWXO:
            target = "700" if path.is_dir() else "600"
            findings.append(
                wrong(
                    f"data directory: other users can open {path} (mode {mode:o}): "
                    f"chmod {target} {path}"
                )
            )
    return findings or [fine(f"data directory: {folder} is writable and private")]


def database(settings: Settings) -> list[Finding]:
    """Reachable, and at this version's schema (or empty, for SQLite, which is created)."""
    url = make_url(settings.database_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "").expanduser()
        if url.database and url.database != ":memory:" and not path.exists():
            return [fine(f"database: {shown} will be created at the first start")]
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as error:
        first = str(getattr(error, "orig", error)).strip().splitlines()
        reason = first[0] if first else type(error).__name__
        return [wrong(f"database: {shown} cannot be reached ({reason})")]
    finally:
        engine.dispose()
    if revision == HEAD_REVISION:
        return [fine(f"database: {shown} is reachable, schema at {revision}")]
    if revision is None and settings.is_embedded:
        return [fine(f"database: {shown} is empty; its schema is made at the first start")]
    if revision is None:
        return [wrong(f"database: {shown} has no schema: run `consultbot db upgrade`")]
    if settings.is_embedded:
        return [fine(f"database: {shown} at {revision}; upgraded to {HEAD_REVISION} at start")]
    return [
        wrong(
            f"database: {shown} is at {revision}, this consultbot needs {HEAD_REVISION}: "
            "run `consultbot db upgrade` (or install the consultbot that made it)"
        )
    ]
