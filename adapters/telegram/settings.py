"""Telegram's settings: CONSULTBOT_TELEGRAM_* variables, or `telegram_*` keys in the file."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from bot.settings import EnvironmentSettings


class TelegramSettings(EnvironmentSettings):
    model_config = SettingsConfigDict(env_prefix="CONSULTBOT_TELEGRAM_")

    token: SecretStr | None = None  # from BotFather; Telegram is used when it is set
    api_url: str = "https://api.telegram.org"
    # A self-hosted Bot API server started with --local, on this machine: files are read
    # from the paths it gives instead of downloaded.
    api_local: bool = False
    # Webhook mode (instead of long polling) when a public HTTPS URL is set: Telegram POSTs
    # updates there with the secret in a header; the bot listens on listen:port behind
    # the HTTPS proxy. Several workers may share one URL through a load balancer.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # Telegram lets one bot send 30 messages a second, all its processes together: with
    # several workers, give each its share (15 each for two), or they meet 429s.
    messages_per_second: float = Field(default=30, gt=0, le=30)
    # Files people send (drafts) are downloaded up to this size; the Bot API's own limit is
    # 20 MB (a self-hosted Bot API server allows more).
    max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)

    @field_validator("api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        """The server's base URL; python-telegram-bot's own form, ending in `/bot`, too."""
        return value.rstrip("/").removesuffix("/bot").rstrip("/")

    @model_validator(mode="after")
    def _check_webhook(self) -> TelegramSettings:
        if not self.webhook_url:
            return self
        if not self.webhook_url.startswith(("https://", "http://")):
            raise ValueError(
                "CONSULTBOT_TELEGRAM_WEBHOOK_URL must start with https:// "
                "(http:// only with a self-hosted Bot API server)"
            )
        if self.webhook_secret is None:
            raise ValueError(
                "set CONSULTBOT_TELEGRAM_WEBHOOK_SECRET with CONSULTBOT_TELEGRAM_WEBHOOK_URL "
                "(1-256 characters: letters, digits, _ and -)"
            )
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.webhook_secret.get_secret_value()):
            raise ValueError(
                "CONSULTBOT_TELEGRAM_WEBHOOK_SECRET may only hold 1-256 letters, digits, _ and -"
            )
        return self
