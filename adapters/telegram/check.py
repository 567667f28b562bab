"""`consultbot doctor` for Telegram: the token asked about at the Bot API (getMe), and
in webhook mode, what Telegram last said about delivering to the webhook."""

from __future__ import annotations

import httpx

from adapters.telegram.settings import TelegramSettings

TIMEOUT = 10.0  # seconds: a Bot API that takes longer is as good as down for a check


async def check(settings: TelegramSettings) -> list[str]:
    """Problems, one line each; empty when the Bot API accepts the token."""
    if settings.token is None:
        return []
    base = f"{settings.api_url}/bot{settings.token.get_secret_value()}"
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            me = await client.get(f"{base}/getMe")
        except httpx.HTTPError as error:  # its text would hold the URL, and the token with it
            return [
                f"telegram: the Bot API at {settings.api_url} cannot be reached "
                f"({type(error).__name__}): check CONSULTBOT_TELEGRAM_API_URL and the network"
            ]
        if me.status_code in (401, 404):
            return [
                "telegram: the Bot API refused CONSULTBOT_TELEGRAM_TOKEN "
                f"({me.status_code}): copy the token again from @BotFather"
            ]
        if me.status_code != 200:
            return [f"telegram: the Bot API answered getMe with {me.status_code}: try again later"]
        if not settings.webhook_url:
            return []
        info = await client.get(f"{base}/getWebhookInfo")
    if info.status_code != 200:
        return []
    result = info.json().get("result", {})
    if result.get("url") and result.get("last_error_message"):
        return [
            f"telegram: Telegram's last delivery to the webhook failed "
            f"({result['last_error_message']}): check the TLS proxy in front of "
            f"{settings.webhook_listen}:{settings.webhook_port}"
        ]
    return []
