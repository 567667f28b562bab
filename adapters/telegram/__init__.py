"""Telegram, through the Bot API with python-telegram-bot (PTB).

The package translates, paces and retries; what to say, to whom and when is decided in
`bot/`. It keeps two promises about delivery:

**An update is confirmed only after the dispatcher handled it.** Long polling never
moves getUpdates' offset past an update still in hand (`polling.py`); a webhook POST is
answered only after handling (`webhook.py`). Each update is handled with retry
(`adapters.kit`), one chat's updates in order and chats side by side. After a crash
Telegram delivers every unconfirmed update again, and the dispatcher drops what it had
already stored (`Inbound.source` is the idempotency key).

**A message the dispatcher hands over arrives.** `FloodControl` keeps to Telegram's
limits and `call` waits out its bad moments (`pacing.py`); a refusal for good is a
`DeliveryError`.

    translate.py  Telegram's things and ours, both ways (pure functions)
    adapter.py    the adapter: lifecycle, updates in, messages out
    polling.py    getUpdates, confirmed only once handled
    webhook.py    Telegram's POSTs, answered only once handled
    pacing.py     FloodControl, and calls retried through transient failures
    check.py      `consultbot doctor`: the token asked about at the Bot API
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.telegram.settings import TelegramSettings
from bot.events import Adapter
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Platform


class Telegram:
    """The entry point (`consultbot.adapters`): PTB is imported only once it is used."""

    settings = TelegramSettings
    enable = "CONSULTBOT_TELEGRAM_TOKEN"
    command_prefix = "/"

    def configured(self, settings: TelegramSettings) -> bool:
        return settings.token is not None

    def create(self, core: Settings, settings: TelegramSettings) -> Adapter:
        from adapters.telegram.adapter import create

        return create(settings)

    async def check(self, core: Settings, settings: TelegramSettings) -> list[str]:
        from adapters.telegram.check import check

        return await check(settings)


platform: Platform[TelegramSettings] = Telegram()
