"""Settings: read once at start from CONSULTBOT_* variables and an optional TOML file.

The core's own are `Settings`; each adapter package brings a model of its own (its
variables start CONSULTBOT_<PLATFORM>_), read at the same time through its entry point
(`bot.app`). Nothing else reads the environment; the validated settings are passed to
whoever needs them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from platformdirs import user_data_path
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DATA_DIR = user_data_path("consultbot", appauthor=False)
PREFIX = "CONSULTBOT_"
M = TypeVar("M", bound="EnvironmentSettings")


class SettingsError(Exception):
    """Settings that do not validate: each problem as (setting, what is wrong with it)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


class EnvironmentSettings(BaseSettings):
    """Settings from CONSULTBOT_* variables, else the TOML file named by CONSULTBOT_CONFIG,
    whose keys are the same names in lower case without CONSULTBOT_ (`telegram_token`).

    A subclass names its variables with `env_prefix`: CONSULTBOT_TELEGRAM_ gives the
    field `token` the variable CONSULTBOT_TELEGRAM_TOKEN and the file key `telegram_token`.
    """

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore")

    @classmethod
    def file_prefix(cls) -> str:
        """What the file's keys for these settings start with: '' or 'telegram_'."""
        return str(cls.model_config.get("env_prefix", PREFIX)).removeprefix(PREFIX).lower()

    @classmethod
    def setting_name(cls, location: Sequence[int | str]) -> str:
        """A field as a person writes it in the file ('telegram_webhook_port'); 'settings'
        for a problem of the whole."""
        field = ".".join(str(part) for part in location)
        return f"{cls.file_prefix()}{field}" if field else "settings"

    @classmethod
    def read(cls: type[M]) -> M:
        """The settings as the environment and the file give them; `SettingsError` if
        any value is wrong."""
        try:
            return cls()
        except ValidationError as error:
            problems = [(cls.setting_name(p["loc"]), p["msg"]) for p in error.errors()]
            raise SettingsError(problems) from None

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
            table = TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)).toml_data
            prefix = cls.file_prefix()
            ours = {k.removeprefix(prefix): v for k, v in table.items() if k.startswith(prefix)}
            sources.append(InitSettingsSource(settings_cls, ours))
        return tuple(sources)


class NoSettings(EnvironmentSettings):
    """For an adapter with nothing to set (the console, the in-memory platform)."""


class Settings(EnvironmentSettings):
    """The core's settings."""

    config: Path | None = Field(default=None, description="TOML file with these settings")
    data_dir: Path = DATA_DIR
    database_url: str = ""
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Keys the pseudonyms of handled events (chat and message ids are never stored in
    # clear). Unset: a random key kept in DATA_DIR/event.key. Several workers on one
    # PostgreSQL database need the same key: set it, or share that file.
    event_key: SecretStr | None = None
    # Input (stances, comments, amendments, endorsements) one person may give in a minute;
    # past it the bot asks them to wait. A person reviewing reads before answering; a
    # script flooding a round does not. 0: no limit.
    input_per_minute: int = Field(default=60, ge=0)
    log_level: str = "INFO"
    # "json": one JSON object a line (time, level, logger, event), for a log collector.
    # Either way logs carry no message text and no platform id.
    log_format: Literal["text", "json"] = "text"
    # Prometheus metrics at http://metrics_listen:metrics_port/metrics, off unless asked for.
    metrics: bool = False
    metrics_listen: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=1, le=65535)
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

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'consultbot.db'}"
        if self.llm_base_url and not self.llm_model:
            raise ValueError("CONSULTBOT_LLM_MODEL is needed with CONSULTBOT_LLM_BASE_URL")
        return self

    @property
    def is_embedded(self) -> bool:
        """The embedded default store: its schema is brought up to date on start."""
        return self.database_url.startswith("sqlite")
