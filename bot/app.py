"""Wiring: settings in, a running dispatcher with its store and adapters out.

`bot` may not import `adapters` (they depend on it), so adapters are found through the
`consultbot.adapters` entry points that the package declares; each entry is a factory
`create(settings) -> Adapter | None` that returns None when its platform is not configured.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from importlib.metadata import entry_points

from bot.dispatcher import Dispatcher
from bot.events import Adapter
from bot.scheduler import RoundScheduler
from bot.settings import Settings
from bot.summary_options import SummaryOptions
from storage.engine import Checkpoints, is_up_to_date, make_engine, upgrade
from storage.records import Store

log = logging.getLogger(__name__)

AdapterFactory = Callable[..., Adapter | None]


class SetupError(Exception):
    """The bot cannot start as configured; the message says what to change."""


def adapter_factory(name: str) -> AdapterFactory:
    for entry in entry_points(group="consultbot.adapters"):
        if entry.name == name:
            factory: AdapterFactory = entry.load()
            return factory
    raise SetupError(f"no adapter named {name!r} is installed; reinstall consultbot")


def open_store(settings: Settings) -> Store:
    """The store named by the settings, its schema brought up to date where that is safe.

    On the embedded SQLite default the schema is upgraded on start; a shared PostgreSQL
    database is upgraded by the operator (`consultbot db upgrade`), once, not by each worker.
    """
    engine = make_engine(settings.database_url)
    if settings.is_embedded:
        upgrade(engine)
    else:
        if not is_up_to_date(engine):
            raise SetupError(
                "the database schema is not up to date: run `consultbot db upgrade` first"
            )
    return Store(engine)


def configured_platforms(settings: Settings) -> list[str]:
    platforms = []
    if settings.telegram_token is not None:
        platforms.append("telegram")
    if settings.matrix_homeserver:
        platforms.append("matrix")
    return platforms


def build(settings: Settings, platforms: list[str]) -> Dispatcher:
    dispatcher = Dispatcher(
        open_store(settings),
        admins=settings.admins,
        summary_options=SummaryOptions.from_settings(settings),
    )
    for name in platforms:
        adapter = adapter_factory(name)(settings)
        if adapter is not None:
            dispatcher.add(adapter)
    return dispatcher


async def serve(dispatcher: Dispatcher) -> None:
    """Run until SIGINT or SIGTERM, then stop the adapters cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler = RoundScheduler(dispatcher)
    checkpoints = Checkpoints(dispatcher.store.engine)
    checkpoints.start()
    await dispatcher.start()
    await scheduler.start()
    log.info("consultbot running with %s", ", ".join(dispatcher.adapters) or "no adapter")
    try:
        await stop.wait()
    finally:
        await scheduler.stop()
        await dispatcher.stop()
        checkpoints.stop()
