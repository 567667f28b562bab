"""Settings: read once at start from CONSULTBOT_* variables and an optional TOML file.

Nothing else reads the environment; the validated `Settings` is passed to whoever needs it.
"""

from __future__ import annotations

import os
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
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_password: SecretStr | None = None
    matrix_access_token: SecretStr | None = None
    matrix_store_path: Path | None = None
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"

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
        if self.matrix_store_path is None:
            self.matrix_store_path = self.data_dir / "matrix"
        if self.matrix_homeserver and not self.matrix_user_id:
            raise ValueError(
                "CONSULTBOT_MATRIX_USER_ID is needed with CONSULTBOT_MATRIX_HOMESERVER"
            )
        if self.matrix_homeserver and not (self.matrix_password or self.matrix_access_token):
            raise ValueError(
                "set CONSULTBOT_MATRIX_PASSWORD or CONSULTBOT_MATRIX_ACCESS_TOKEN for Matrix"
            )
        return self

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
