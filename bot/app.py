"""Wiring: settings in, a running dispatcher with its store and adapters out.

`bot` may not import `adapters` (they depend on it), and names no platform: adapters are
found through the `consultbot.adapters` entry points that the package declares. Each
entry is a `Platform`: it brings its own settings model, says whether those settings ask
for it, and creates its adapter. Adding a platform touches `adapters/<platform>/` and
pyproject.toml only (docs/architecture.md, "Adding a platform").
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import IO, Any, Protocol, TypeVar

from bot.dispatcher import Dispatcher
from bot.events import Adapter
from bot.metrics import MetricsServer
from bot.scheduler import RoundScheduler
from bot.settings import EnvironmentSettings, Settings, SettingsError
from bot.summary_options import SummaryOptions
from storage.engine import (
    AlreadyServed,
    Checkpoints,
    hold_database,
    is_up_to_date,
    make_engine,
    private_file,
    upgrade,
)
from storage.records import Store

log = logging.getLogger(__name__)
S = TypeVar("S", bound=EnvironmentSettings)


class SetupError(Exception):
    """The bot cannot start as configured; the message says what to change."""


class Platform(Protocol[S]):
    """What an adapter package offers through its `consultbot.adapters` entry point."""

    @property
    def settings(self) -> type[S]:
        """Its own settings model: CONSULTBOT_<PLATFORM>_* variables, and the same names
        (lower case, without CONSULTBOT_) in the CONSULTBOT_CONFIG file."""

    @property
    def command_prefix(self) -> str:
        """How its people type commands ("/", "!"): what a worker that does not serve
        the platform writes in the messages it queues for them (`Courier.queue`)."""

    @property
    def enable(self) -> str:
        """What to set to use it, as `consultbot run` says when no platform is configured
        ("CONSULTBOT_TELEGRAM_TOKEN"); empty for an adapter that a command picks itself
        (the console, the in-memory one)."""

    def configured(self, settings: S) -> bool:
        """Whether `settings` ask for this platform: `consultbot run` starts it then."""

    def create(self, core: Settings, settings: S) -> Adapter:
        """The adapter, not started yet."""

    async def check(self, core: Settings, settings: S) -> list[str]:
        """For `consultbot doctor`, once `configured`: what is wrong with these settings
        as the platform answers them (a token refused, a server out of reach), one line
        each, each saying what to change; empty when the platform would start."""


def installed_platforms() -> dict[str, Platform[Any]]:
    """Every adapter the installed packages declare, by entry point name."""
    return {entry.name: entry.load() for entry in entry_points(group="consultbot.adapters")}


def create_adapter(name: str, core: Settings) -> Adapter:
    """The adapter `name` on its own settings, for a command that picks its adapter itself
    (`consultbot chat`, the demo)."""
    platform = installed_platforms().get(name)
    if platform is None:
        raise SetupError(f"no adapter named {name!r} is installed; reinstall consultbot")
    return platform.create(core, platform.settings.read())


@dataclass(frozen=True)
class Configuration:
    """The settings of one start: the core's, and each installed platform's own."""

    core: Settings
    platforms: dict[str, tuple[Platform[Any], EnvironmentSettings]]

    @classmethod
    def read(cls) -> Configuration:
        """Every settings model read and validated once; `SettingsError` lists every
        wrong value of them all."""
        problems: list[tuple[str, str]] = []
        core: Settings | None = None
        platforms: dict[str, tuple[Platform[Any], EnvironmentSettings]] = {}
        try:
            core = Settings.read()
        except SettingsError as error:
            problems += error.problems
        for name, platform in installed_platforms().items():
            try:
                platforms[name] = (platform, platform.settings.read())
            except SettingsError as error:
                problems += error.problems
        if core is None or problems:
            raise SettingsError(problems)
        return cls(core, platforms)

    def configured(self) -> list[str]:
        """The platforms the settings ask for."""
        return [
            name for name, (platform, own) in self.platforms.items() if platform.configured(own)
        ]

    def how_to_enable(self) -> list[str]:
        """For each platform that settings can enable, what to set."""
        return [platform.enable for platform, _ in self.platforms.values() if platform.enable]

    def served_elsewhere(self) -> dict[str, str]:
        """The platforms other workers may serve (those settings could enable but do not
        here), with their command prefixes."""
        return {
            name: platform.command_prefix
            for name, (platform, own) in self.platforms.items()
            if platform.enable and not platform.configured(own)
        }

    def adapters(self) -> list[Adapter]:
        """The adapters of the configured platforms, created."""
        return [
            platform.create(self.core, own)
            for platform, own in self.platforms.values()
            if platform.configured(own)
        ]


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
    return Store(engine, event_key(settings))


EVENT_KEY_FILE = "event.key"


def event_key(settings: Settings) -> bytes:
    """The key of handled events' pseudonyms: the setting, else the data directory's key
    file, made on first start (32 random bytes, readable by the owner only)."""
    if settings.event_key is not None:
        return settings.event_key.get_secret_value().encode()
    path = settings.data_dir / EVENT_KEY_FILE
    if not path.exists():
        private_file(path)
        path.write_bytes(secrets.token_bytes(32))
    key = path.read_bytes()
    if len(key) < 16:
        raise SetupError(f"{path} holds no usable key: delete it to make a new one")
    return key


def build(
    settings: Settings,
    adapters: Iterable[Adapter] = (),
    served_elsewhere: Mapping[str, str] | None = None,
) -> Dispatcher:
    dispatcher = Dispatcher(
        open_store(settings),
        admins=settings.admins,
        summary_options=SummaryOptions.from_settings(settings),
        input_per_minute=settings.input_per_minute,
        served_elsewhere=served_elsewhere,
    )
    for adapter in adapters:
        dispatcher.add(adapter)
    return dispatcher


def hold(store: Store) -> IO[str] | None:
    """Serve this store alone, where it is a SQLite file (see `storage.engine.hold_database`);
    the lock lasts while the returned file is open (the process)."""
    try:
        return hold_database(store.engine)
    except AlreadyServed as error:
        raise SetupError(
            f"another consultbot (process {error.holder or '?'}) is already serving "
            f"{error.path}: stop it first. Several processes on one database need PostgreSQL."
        ) from None


async def serve(dispatcher: Dispatcher, settings: Settings | None = None) -> None:
    """Run until SIGINT or SIGTERM, then stop the adapters cleanly. A platform may take a
    while to answer at start (retrying a failing server): a signal meanwhile stops at
    once, with `SetupError`, as does a platform that fails to start. With
    `settings.metrics`, Prometheus metrics are served meanwhile."""
    lock = hold(dispatcher.store)
    metrics: MetricsServer | None = None
    if settings is not None and settings.metrics:
        dispatcher.metrics.watch(dispatcher.store, dispatcher.adapters)
        metrics = MetricsServer(
            dispatcher.metrics.exposition, settings.metrics_listen, settings.metrics_port
        )
        try:
            await metrics.start()
        except OSError as error:
            raise SetupError(
                f"metrics cannot listen on {settings.metrics_listen}:{settings.metrics_port} "
                f"({error.strerror}): set CONSULTBOT_METRICS_PORT to a free port"
            ) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler = RoundScheduler(dispatcher)
    checkpoints = Checkpoints(dispatcher.store.engine)
    checkpoints.start()
    started = False
    try:
        starting = asyncio.ensure_future(dispatcher.start())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not starting.done():
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            raise SetupError("stopped before start-up finished")
        starting.result()  # raises what start-up raised
        await scheduler.start()
        started = True
        log.info("consultbot running with %s", ", ".join(dispatcher.adapters) or "no adapter")
        await stop.wait()
    finally:
        if started:
            await scheduler.stop()
        try:
            await dispatcher.stop()
        except Exception as error:  # an adapter that never started may not stop cleanly
            log.warning("stopping the adapters failed: %s", type(error).__name__)
        checkpoints.stop()
        if lock is not None:
            lock.close()
        if metrics is not None:
            await metrics.stop()
