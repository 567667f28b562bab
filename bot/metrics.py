"""Prometheus metrics of a running bot, served at /metrics when the operator turns them on.

Counted as they happen: messages in (by platform), messages out (by platform, reply or
notice), the time from a message's arrival to its reply being sent, how late the
scheduler ran what was due. Read from the store at each scrape: the outbox's depth and
rounds by state; and from each adapter that counts them, the rate-limit answers
(Telegram's 429s) it met. No label carries a person, a chat or a text.

Each `Metrics` has its own registry, so several bots in one process (tests) do not mix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from storage.records import Store

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Replies: from tens of milliseconds (idle) to seconds (a flood, a summary).
REPLY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LAG_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 1800.0)
ROUND_STATES = ("scheduled", "open", "closed")


class Metrics:
    """The bot's metrics in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.messages_in = Counter(
            "consultbot_messages_in",
            "Messages, commands and button presses received",
            ["platform"],
            registry=self.registry,
        )
        self.messages_out = Counter(
            "consultbot_messages_out",
            "Messages sent: replies to the person who wrote, notices to others",
            ["platform", "kind"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "consultbot_reply_seconds",
            "From a message's arrival to the last of its replies sent",
            ["platform"],
            buckets=REPLY_BUCKETS,
            registry=self.registry,
        )
        self.scheduler_lag = Histogram(
            "consultbot_scheduler_lag_seconds",
            "How late a scheduled open, close or reminder ran",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )

    def watch(self, store: Store, adapters: Mapping[str, object]) -> None:
        """Read the outbox, the rounds and the adapters' rate limits at each scrape."""
        self.registry.register(_StoreCollector(store, adapters))

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    def __init__(self, store: Store, adapters: Mapping[str, object]) -> None:
        self.store = store
        self.adapters = adapters

    def describe(self) -> Iterable[Metric]:
        return []  # collected at scrape time only: reading the store at registration is not wanted

    def collect(self) -> Iterator[Metric]:
        limited = CounterMetricFamily(
            "consultbot_rate_limited",
            "Rate-limit answers (Telegram's 429) the platform gave",
            labels=["platform"],
        )
        for name, adapter in self.adapters.items():
            count = getattr(adapter, "rate_limited", None)
            if isinstance(count, int):
                limited.add_metric([name], count)
        yield limited
        try:
            with self.store.transaction() as records:
                depth = records.outbox.depth()
                states = records.rounds.count_by_state()
        except Exception as error:  # a scrape must not fail because the store is busy
            log.warning("metrics: the store could not be read error=%s", type(error).__name__)
            return
        yield GaugeMetricFamily(
            "consultbot_outbox_depth", "Messages to other people waiting to be sent", value=depth
        )
        rounds = GaugeMetricFamily("consultbot_rounds", "Rounds by state", labels=["state"])
        for state in sorted({*ROUND_STATES, *states}):
            rounds.add_metric([state], states.get(state, 0))
        yield rounds


class MetricsServer:
    """GET /metrics on listen:port (aiohttp, which the bot has anyway)."""

    def __init__(self, exposition: Callable[[], bytes], listen: str, port: int) -> None:
        self.exposition = exposition
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._get)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.listen, self.port).start()
        self._runner = runner
        log.info("metrics at http://%s:%d/metrics", self.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _get(self, _request: web.Request) -> web.Response:
        body = await asyncio.to_thread(self.exposition)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
