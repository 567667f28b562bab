"""Fixtures for the Telegram adapter's tests: the loopback Bot API server and an adapter.

`bot_api_server` comes from tests/telegram_api. `adapter` is a started `TelegramAdapter`
pointed at it whose inbound events pile up in `recorder.events` (no dispatcher behind it).
The end-to-end tests run `consultbot run` as a subprocess instead (see `loopback.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.telegram.adapter import TelegramAdapter, build_application
from tests.telegram.loopback import Recorder
from tests.telegram_api import BotAPIServer, bot_api_server

__all__ = ["adapter", "bot_api_server", "recorder"]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def adapter(
    bot_api_server: BotAPIServer, recorder: Recorder
) -> AsyncIterator[TelegramAdapter]:
    """A long-polling adapter on the loopback server, handing events to `recorder`."""
    telegram = TelegramAdapter(
        build_application(bot_api_server.token, bot_api_server.base_url), max_file_bytes=1000
    )
    await telegram.start(recorder)
    await bot_api_server.wait_for(lambda: bot_api_server.is_long_polling, what="polling")
    yield telegram
    await telegram.stop()
