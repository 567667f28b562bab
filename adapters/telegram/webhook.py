"""Webhook mode: Telegram POSTs each update to a public HTTPS URL instead of being polled.

The bot listens on listen:port behind the HTTPS proxy, checks the secret token Telegram
sends in a header, and answers a POST only after the update was handled: Telegram
delivers again until it gets a 2xx, which gives the promise long polling gives (an
update is confirmed only once handled). Several workers may share one URL through a load
balancer, or, on one machine, one port (each listens with SO_REUSEPORT). Only this mode
needs aiohttp (installed with matrix-nio): the adapter imports this module when a webhook
URL is set.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import ExtBot

from adapters.telegram.pacing import call
from adapters.telegram.translate import ALLOWED_UPDATES

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)


class Webhook:
    """Telegram's POSTs served at `url`'s path on listen:port, each update handed to
    `handle` (which retries, and does not raise)."""

    def __init__(
        self,
        bot: ExtBot[Any],
        handle: Callable[[Update], Awaitable[object]],
        *,
        url: str,
        secret: str | None,
        listen: str,
        port: int,
    ) -> None:
        self.bot = bot
        self.handle = handle
        self.url = url
        self.secret = secret
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(urlsplit(self.url).path or "/", self._on_post)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        # SO_REUSEPORT: several workers on this machine listen on the one port, and the
        # kernel shares Telegram's connections out between them.
        await web.TCPSite(runner, self.listen, self.port, reuse_port=True).start()
        self._runner = runner
        await call(
            self.bot.set_webhook,
            url=self.url,
            secret_token=self.secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def stop(self) -> None:
        """Stop listening. The webhook stays set: other workers may still be serving it."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("telegram: webhook request without the right secret token refused")
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception:  # not JSON, or JSON that is no update: the sender's mistake
            log.warning("telegram: webhook request that is no update refused")
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await self.handle(update)
        # 200 even after giving up: a poison update would otherwise block every later one.
        return web.Response(status=200)
