"""Reply latency on Telegram: consultbot against a bare python-telegram-bot echo bot.

Both run as processes at the same time, each against its own loopback Bot API server
(tests/telegram_api) in this process; probes alternate between them so both see the same
machine. Latency is from the user's message entering the server's update queue to the
bot's reply arriving at the server: long-poll wake-up, the bot's work, sendMessage.

* echo: `ApplicationBuilder` + `run_polling`, one MessageHandler that replies with the text.
* adapter echo: consultbot's `TelegramAdapter` (its getUpdates loop, flood control,
  sending) with a handler that sends the text back in place of the dispatcher: the
  adapter's own cost, next to PTB's.
* consultbot: `consultbot run` on SQLite; a stakeholder sends `/comment 1 ...`: stored in
  one transaction, then "Recorded #N: comment on paragraph 1. ..." comes back.

The echo probes are as long as consultbot's answer, since the test server parses every
message's HTML in this process and that time counts in both.

Probes are paced: PACE rounds a second (10 by default) of one probe per bot, each bot's
spread over PEOPLE people in turn (10: one message a second in each chat). consultbot
keeps to Telegram's flood limits (30 messages a second for the bot, about one a second in
a chat); the echo bot has none. Back to back (`--pace 0 --people 1`) the probes would ask
consultbot for some 40 replies a second in one chat, and the figures would show its flood
control holding them to 30, not how fast it answers.

    python bench/telegram_latency.py             # 1,000 probes of each (about 2 minutes)
    python bench/telegram_latency.py --count 50
    python bench/telegram_latency.py --pace 0 --people 1   # back to back, one chat
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the test servers, in the package tests

from telegram_fanout import seed  # noqa: E402  (bench/ is on the path when run as a script)

from tests.telegram_api import BotAPIServer, User  # noqa: E402

CONSULTBOT = str(Path(sys.executable).with_name("consultbot"))
WARM_UP = 20
ECHO_TEXT = "Recorded #{n}: comment on paragraph 1. Send /withdraw {n} to take it back."


def echo_bot(api_url: str, token: str) -> None:
    """The bare PTB echo bot, as the PTB examples write it (run in its own process)."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0.0, timeout=25)


def adapter_echo_bot(api_url: str, token: str) -> None:
    """consultbot's Telegram adapter answering each message with its text, no dispatcher."""
    from adapters.telegram.adapter import TelegramAdapter, build_application
    from bot.events import Inbound, Outbound

    async def serve() -> None:
        adapter = TelegramAdapter(build_application(token, api_url))

        async def echo(event: Inbound) -> None:
            await adapter.send(Outbound(chat=event.chat, text=event.text))

        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await adapter.start(echo)
        await stop.wait()
        await adapter.stop()

    asyncio.run(serve())


async def start(
    server: BotAPIServer, *command: str, env: dict[str, str]
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    await server.wait_for(lambda: server.is_long_polling, 60, f"{command[0]} to start polling")
    return process


async def probe(server: BotAPIServer, user: User, text: str) -> float:
    """Seconds from `user` sending `text` to the bot's reply."""
    before = len(server.sent_messages(user))
    started = time.perf_counter()
    server.user_sends_text(user, text)
    await server.wait_for(lambda: len(server.sent_messages(user)) > before, 10, "the reply")
    return time.perf_counter() - started


def figures(name: str, seconds: list[float]) -> str:
    ms = sorted(1000 * s for s in seconds)
    cuts = statistics.quantiles(ms, n=100)
    return (
        f"{name:<22} p50 {cuts[49]:6.1f} ms   p90 {cuts[89]:6.1f} ms   "
        f"p99 {cuts[98]:6.1f} ms   mean {statistics.fmean(ms):6.1f} ms"
    )


async def run(count: int, pace: float, people: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="consultbot-latency-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
    async with (
        BotAPIServer() as echo_server,
        BotAPIServer() as adapter_server,
        BotAPIServer() as bot_server,
    ):
        echo_users = [echo_server.create_user(f"Echo {n}") for n in range(people)]
        adapter_users = [adapter_server.create_user(f"Adapter {n}") for n in range(people)]
        facilitator = bot_server.create_user("Facilitator")
        delegates = [bot_server.create_user(f"Delegate {n}") for n in range(people)]
        for server, users in (
            (echo_server, echo_users),
            (adapter_server, adapter_users),
            (bot_server, [facilitator, *delegates]),
        ):
            for user in users:
                server.private_chat(user)
        database = folder / "consultbot.db"
        await asyncio.to_thread(seed, database, facilitator, delegates)

        processes = [
            await start(
                echo_server,
                sys.executable, __file__, "--echo-bot", echo_server.base_url, echo_server.token,
                env=base_env,
            ),
            await start(
                adapter_server,
                sys.executable, __file__, "--adapter-echo-bot",
                adapter_server.base_url, adapter_server.token,
                env=base_env,
            ),
            await start(
                bot_server,
                CONSULTBOT, "run",
                env={
                    **base_env,
                    "CONSULTBOT_TELEGRAM_TOKEN": bot_server.token,
                    "CONSULTBOT_TELEGRAM_API_URL": bot_server.base_url,
                    "CONSULTBOT_DATABASE_URL": f"sqlite:///{database}",
                    "CONSULTBOT_ADMINS": f"telegram:{facilitator.id}",
                    "CONSULTBOT_DATA_DIR": str(folder),
                    "CONSULTBOT_LOG_LEVEL": "WARNING",
                },
            ),
        ]  # fmt: skip
        results: dict[str, list[float]] = {
            "echo bot": [],
            "adapter echo": [],
            "consultbot /comment": [],
        }
        try:
            await probe(bot_server, facilitator, "/round open 3d")
            loop = asyncio.get_running_loop()
            next_round = loop.time()
            for n in range(WARM_UP + count):
                if pace > 0:
                    await asyncio.sleep(max(0.0, next_round - loop.time()))
                    next_round = max(next_round + 1 / pace, loop.time())
                text = ECHO_TEXT.format(n=n)
                seconds = [
                    await probe(echo_server, echo_users[n % people], text),
                    await probe(adapter_server, adapter_users[n % people], text),
                    await probe(bot_server, delegates[n % people], f"/comment 1 Probe {n}."),
                ]
                if n >= WARM_UP:
                    for series, value in zip(results.values(), seconds, strict=True):
                        series.append(value)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
                await process.wait()

    spacing = f"{pace:g} rounds a second" if pace > 0 else "back to back"
    print(
        f"{count} probes of each, in turn, {spacing}, over {people} people, "
        f"after {WARM_UP} to warm up"
    )
    for name, seconds in results.items():
        print(figures(name, seconds))
    echoes = results["echo bot"]
    for name in ("adapter echo", "consultbot /comment"):
        ratio_50 = statistics.median(results[name]) / statistics.median(echoes)
        ratio_99 = (
            statistics.quantiles(results[name], n=100)[98] / statistics.quantiles(echoes, n=100)[98]
        )
        print(f"{name + ' / echo bot':<32} p50 {ratio_50:.2f}x   p99 {ratio_99:.2f}x")
    print("goal: consultbot within 1.3x of the echo bot")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--echo-bot":
        echo_bot(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--adapter-echo-bot":
        adapter_echo_bot(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count",
        type=int,
        default=1000,
        help="probes of each kind (p99 is the tenth-worst of 1,000, the third of 300)",
    )
    parser.add_argument(
        "--pace", type=float, default=10.0, help="probe rounds a second; 0: back to back"
    )
    parser.add_argument("--people", type=int, default=10, help="chats each bot's probes visit")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.count, arguments.pace, max(1, arguments.people)))


if __name__ == "__main__":
    main()
