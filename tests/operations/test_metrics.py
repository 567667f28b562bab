"""Prometheus metrics, scraped over HTTP while people use the bot; JSON-line logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import socket
from pathlib import Path

import aiohttp

from adapters.memory import MemoryAdapter
from bot.dispatcher import Dispatcher
from bot.logs import JsonLines
from bot.metrics import MetricsServer
from tests.conversation.scenario import open_round
from tests.operations.test_doctor import EXE
from tests.telegram_api import BotAPIServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def value(exposition: str, name: str) -> float:
    """The sample `name` (with its labels, as written) in the text format."""
    for line in exposition.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in\n{exposition}")


async def test_metrics_follow_what_people_do(chat: MemoryAdapter) -> None:
    dispatcher: Dispatcher = chat.dispatcher  # type: ignore[attr-defined]
    dispatcher.metrics.watch(dispatcher.store, dispatcher.adapters)
    server = MetricsServer(dispatcher.metrics.exposition, "127.0.0.1", free_port())
    await server.start()
    url = f"http://127.0.0.1:{server.port}/metrics"

    async def scrape() -> str:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            return await response.text()

    try:
        await open_round(chat, {"ana": "government", "ben": "civil-society"})
        before = await scrape()
        await chat.say("ana", "/comment 1 Please name the licensing authority.")
        await chat.say("ben", "/support 2")
        after = await scrape()
    finally:
        await server.stop()

    def grew(name: str) -> float:
        return value(after, name) - value(before, name)

    assert grew('consultbot_messages_in_total{platform="memory"}') == 2
    assert grew('consultbot_messages_out_total{kind="reply",platform="memory"}') >= 2
    assert grew('consultbot_reply_seconds_count{platform="memory"}') == 2
    assert value(before, 'consultbot_messages_out_total{kind="notice",platform="memory"}') >= 2
    assert value(after, 'consultbot_rounds{state="open"}') == 1
    assert value(after, 'consultbot_rounds{state="closed"}') == 0
    assert value(after, "consultbot_outbox_depth") == 0  # every announcement went out
    assert "Please name" not in after and "ana" not in after  # no text, nobody


def test_json_lines_carry_the_event_and_an_error_type_only() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    log = logging.getLogger("tests.json_lines")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("delivery failed platform=%s", "telegram")
        try:
            raise ValueError("text a person sent")
        except ValueError:
            log.exception("event failed")
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "WARNING" and first["event"] == "delivery failed platform=telegram"
    assert first["logger"] == "tests.json_lines" and first["time"].endswith("+00:00")
    assert second["error"] == "ValueError"
    assert "text a person sent" not in stream.getvalue()


async def test_consultbot_run_serves_metrics_and_logs_json_lines(tmp_path: Path) -> None:
    port = free_port()
    async with BotAPIServer() as server:
        ana = server.create_user("Ana")
        server.private_chat(ana)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
        environment |= {
            "CONSULTBOT_DATA_DIR": str(tmp_path / "data"),
            "CONSULTBOT_TELEGRAM_TOKEN": server.token,
            "CONSULTBOT_TELEGRAM_API_URL": server.base_url,
            "CONSULTBOT_METRICS": "true",
            "CONSULTBOT_METRICS_PORT": str(port),
            "CONSULTBOT_LOG_FORMAT": "json",
        }
        log = (tmp_path / "log").open("wb")
        bot = await asyncio.create_subprocess_exec(
            EXE, "run", env=environment, stdout=log, stderr=log
        )
        try:
            await server.wait_for(lambda: server.is_long_polling, 60, "consultbot to start")
            server.user_sends_text(ana, "/help")
            await server.wait_for(lambda: server.sent_messages(ana), 30, "the answer")
            url = f"http://127.0.0.1:{port}/metrics"
            async with aiohttp.ClientSession() as session, session.get(url) as response:
                scraped = await response.text()
        finally:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
            log.close()
    assert value(scraped, 'consultbot_messages_in_total{platform="telegram"}') == 1
    assert value(scraped, 'consultbot_rate_limited_total{platform="telegram"}') == 0
    assert value(scraped, 'consultbot_rounds{state="open"}') == 0
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines, "the bot logged nothing at INFO"
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "event"} <= entry.keys()
    assert any("metrics at http://127.0.0.1" in json.loads(line)["event"] for line in lines)
