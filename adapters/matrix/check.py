"""`consultbot doctor` for Matrix: the homeserver reached, the account's token asked
about (whoami) or, before the first login, password login offered, and the store path
writable. Nothing here logs in: a check must not add a device to the bot's account."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from adapters.matrix.settings import MatrixSettings
from adapters.matrix.state import StateFile

TIMEOUT = 10.0  # seconds: a homeserver that takes longer is as good as down for a check


async def check(settings: MatrixSettings, data_dir: Path) -> list[str]:
    """Problems, one line each; empty when the bot would start on Matrix."""
    if not settings.homeserver or not settings.user_id:
        return []
    store = settings.store_path or data_dir / "matrix"
    problems = _store_problems(store)
    base = settings.homeserver.rstrip("/")
    token = settings.access_token.get_secret_value() if settings.access_token else None
    which = "CONSULTBOT_MATRIX_ACCESS_TOKEN"
    if token is None:
        saved = StateFile(store / "credentials.json").load()
        if saved.get("user_id") == settings.user_id and saved.get("access_token"):
            token, which = str(saved["access_token"]), f"the session kept in {store}"
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            versions = await client.get(f"{base}/_matrix/client/versions")
        except httpx.HTTPError as error:
            return [
                *problems,
                f"matrix: the homeserver {base} cannot be reached ({type(error).__name__}): "
                "check CONSULTBOT_MATRIX_HOMESERVER and the network",
            ]
        if versions.status_code != 200:
            return [
                *problems,
                f"matrix: {base} answered {versions.status_code} where a homeserver lists its "
                "versions: check CONSULTBOT_MATRIX_HOMESERVER",
            ]
        if token is not None:
            whoami = await client.get(
                f"{base}/_matrix/client/v3/account/whoami",
                headers={"Authorization": f"Bearer {token}"},
            )
            if whoami.status_code == 401:
                if which.startswith("the session"):  # the bot logs in again with the password
                    return problems
                return [*problems, f"matrix: the homeserver refused {which}: set a new one"]
            if whoami.status_code != 200:
                return [*problems, f"matrix: whoami answered {whoami.status_code}: try later"]
            owner = whoami.json().get("user_id")
            if owner != settings.user_id:
                return [
                    *problems,
                    f"matrix: {which} belongs to {owner}, not to "
                    f"CONSULTBOT_MATRIX_USER_ID={settings.user_id}",
                ]
            return problems
        flows = await client.get(f"{base}/_matrix/client/v3/login")
    kinds = {flow.get("type") for flow in flows.json().get("flows", [])} if flows.is_success else ()
    if "m.login.password" not in kinds:
        return [
            *problems,
            f"matrix: {base} does not offer password login: "
            "set CONSULTBOT_MATRIX_ACCESS_TOKEN instead of the password",
        ]
    return problems


def _store_problems(store: Path) -> list[str]:
    where = store if store.exists() else store.parent
    if where.exists() and not os.access(where, os.W_OK | os.X_OK):
        return [f"matrix: {where} is not writable: the sync position and keys are kept there"]
    return []
