"""Matrix's settings: CONSULTBOT_MATRIX_* variables, or `matrix_*` keys in the file."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from bot.settings import EnvironmentSettings


class MatrixSettings(EnvironmentSettings):
    model_config = SettingsConfigDict(env_prefix="CONSULTBOT_MATRIX_")

    homeserver: str | None = None  # Matrix is used when it is set
    user_id: str | None = None
    password: SecretStr | None = None
    access_token: SecretStr | None = None
    store_path: Path | None = None  # sync position and encryption keys; default: DATA_DIR/matrix

    @model_validator(mode="after")
    def _check_account(self) -> MatrixSettings:
        if self.homeserver and not self.user_id:
            raise ValueError(
                "CONSULTBOT_MATRIX_USER_ID is needed with CONSULTBOT_MATRIX_HOMESERVER"
            )
        if self.homeserver and not (self.password or self.access_token):
            raise ValueError(
                "set CONSULTBOT_MATRIX_PASSWORD or CONSULTBOT_MATRIX_ACCESS_TOKEN for Matrix"
            )
        return self
