"""Starting against a Bot API server that fails: the operator is told which server and
what it answered, in one line, and a SIGTERM meanwhile stops the bot at once."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from adapters.telegram import adapter as telegram_adapter
from adapters.telegram.adapter import TelegramAdapter, build_application
from adapters.telegram.settings import TelegramSettings
from bot.app import SetupError
from tests.telegram.loopback import BotProcess, Participant
from tests.telegram_api import BadGateway, BotAPIServer


async def test_a_server_failing_at_start_is_named_with_what_it_answered(
    bot_api_server: BotAPIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telegram_adapter, "START_DEADLINE", 1.0)
    bot_api_server.faults.script("getMe", [BadGateway()] * 100)
    telegram = TelegramAdapter(
        build_application(bot_api_server.token, bot_api_server.base_url),
        api_url=bot_api_server.base_url,
    )
    with pytest.raises(SetupError) as raised:
        await telegram.start(lambda event: None)  # type: ignore[arg-type,return-value]
    said = str(raised.value)
    assert bot_api_server.base_url in said and "Bad Gateway" in said
    assert bot_api_server.token not in said and "\n" not in said


def test_the_url_in_python_telegram_bots_own_form_is_understood() -> None:
    for given in (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/bot/",
        "http://127.0.0.1:8081/",
    ):
        assert TelegramSettings(api_url=given).api_url == "http://127.0.0.1:8081"


async def test_consultbot_run_with_the_bot_form_of_the_url_serves(
    bot_api_server: BotAPIServer, tmp_path: Path
) -> None:
    fatima = Participant(bot_api_server, bot_api_server.create_user("Fatima"))
    bot = BotProcess(bot_api_server, tmp_path, admins=[fatima.user])
    bot.env["CONSULTBOT_TELEGRAM_API_URL"] = bot_api_server.base_url + "/bot"
    await bot.start()
    try:
        await fatima.say("/help", expect="Commands you can use")
    finally:
        assert await bot.stop() == 0


async def test_a_wrong_url_stops_with_one_line_naming_it(
    bot_api_server: BotAPIServer, tmp_path: Path
) -> None:
    bot = BotProcess(bot_api_server, tmp_path, admins=[])
    bot.env["CONSULTBOT_TELEGRAM_API_URL"] = bot_api_server.base_url + "/nothing-here"
    with pytest.raises(AssertionError, match="exited with 2"):
        await bot.start()
    log = bot.log()
    assert f"{bot_api_server.base_url}/nothing-here" in " ".join(log.split())
    assert "Traceback" not in log and bot_api_server.token not in log


async def test_sigterm_while_the_server_fails_at_start_stops_at_once(
    bot_api_server: BotAPIServer, tmp_path: Path
) -> None:
    bot_api_server.faults.script("getMe", [BadGateway()] * 1000)
    bot = BotProcess(bot_api_server, tmp_path, admins=[])
    bot.env["CONSULTBOT_LOG_LEVEL"] = "INFO"
    await bot.start_process()
    await bot_api_server.wait_for_calls("getMe", 2, timeout=20)  # retrying
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    status = await bot.process.wait()  # long before the retries would give up
    bot._close_log()
    log = bot.log()
    assert status == 2 and "stopped before start-up finished" in log
    assert "Traceback" not in log
    assert len(bot_api_server.calls_to("getMe")) < 10
