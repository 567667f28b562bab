"""Settings: read once at start from CONSULTBOT_* variables and an optional TOML file.

Nothing else reads the environment; the validated `Settings` is passed to whoever needs it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DATA_DIR = user_data_path("consultbot", appauthor=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSULTBOT_", extra="ignore")

    config: Path | None = Field(default=None, description="TOML file with these settings")
    data_dir: Path = DATA_DIR
    database_url: str = ""
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    # A self-hosted Bot API server started with --local, on this machine: files are read
    # from the paths it gives instead of downloaded.
    telegram_api_local: bool = False
    # Webhook mode (instead of long polling) when a public HTTPS URL is set: Telegram POSTs
    # updates there with the secret in a header; the bot listens on listen:port behind
    # the HTTPS proxy. Several workers may share one URL through a load balancer.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    # Files people send (drafts) are downloaded up to this size; the Bot API's own limit is
    # 20 MB (a self-hosted Bot API server allows more).
    telegram_max_file_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: SecretStr | None = None
    matrix_access_token: SecretStr | None = None
    matrix_store_path: Path | None = None
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    # Summaries. Themes from sentence embeddings need the `embeddings` extra; the
    # abstractive layer (prose over the extractive summary) is off unless a base URL is set.
    embeddings: bool = False
    llm_base_url: str | None = None  # an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=20.0, gt=0)

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("admins")
    @classmethod
    def _check_admins(cls, value: list[str]) -> list[str]:
        for item in value:
            if ":" not in item:
                raise ValueError(
                    f"{item!r} is not a platform id: write telegram:123 or matrix:@ana:example.org"
                )
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'consultbot.db'}"
        if self.matrix_store_path is None:
            self.matrix_store_path = self.data_dir / "matrix"
        if self.llm_base_url and not self.llm_model:
            raise ValueError("CONSULTBOT_LLM_MODEL is needed with CONSULTBOT_LLM_BASE_URL")
        if self.matrix_homeserver and not self.matrix_user_id:
            raise ValueError(
                "CONSULTBOT_MATRIX_USER_ID is needed with CONSULTBOT_MATRIX_HOMESERVER"
            )
        if self.matrix_homeserver and not (self.matrix_password or self.matrix_access_token):
            raise ValueError(
                "set CONSULTBOT_MATRIX_PASSWORD or CONSULTBOT_MATRIX_ACCESS_TOKEN for Matrix"
            )
        if self.telegram_webhook_url:
            self._check_webhook(self.telegram_webhook_url, self.telegram_webhook_secret)
        return self

    @staticmethod
    def _check_webhook(url: str, secret: SecretStr | None) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(
                "CONSULTBOT_TELEGRAM_WEBHOOK_URL must start with https:// "
                "(http:// only with a self-hosted Bot API server)"
            )
        if secret is None:
            raise ValueError(
                "set CONSULTBOT_TELEGRAM_WEBHOOK_SECRET with CONSULTBOT_TELEGRAM_WEBHOOK_URL "
                "(1-256 characters: letters, digits, _ and -)"
            )
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret.get_secret_value()):
            raise ValueError(
                "CONSULTBOT_TELEGRAM_WEBHOOK_SECRET may only hold 1-256 letters, digits, _ and -"
            )

    @property
    def is_embedded(self) -> bool:
        """The embedded default store: its schema is brought up to date on start."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("CONSULTBOT_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)
