"""`consultbot doctor` asks a real homeserver about the bot's Matrix account."""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.matrix_homeserver import SynapseServer
from tests.operations.test_doctor import doctor, problems


async def test_the_homeserver_and_the_account_are_checked(
    tmp_path: Path, synapse: SynapseServer
) -> None:
    localpart = f"doctor{secrets.token_hex(3)}"
    user_id, token = synapse.register_user(localpart, "a-long-password")
    account = {
        "CONSULTBOT_MATRIX_HOMESERVER": synapse.base_url,
        "CONSULTBOT_MATRIX_USER_ID": user_id,
    }

    code, output = await doctor(tmp_path, **account, CONSULTBOT_MATRIX_PASSWORD="a-long-password")
    assert code == 0, output
    assert "matrix: the credentials are accepted" in output

    code, output = await doctor(tmp_path, **account, CONSULTBOT_MATRIX_ACCESS_TOKEN=token)
    assert code == 0, output

    code, output = await doctor(tmp_path, **account, CONSULTBOT_MATRIX_ACCESS_TOKEN="syt_wrong")
    assert code == 1
    [line] = problems(output)
    assert "refused CONSULTBOT_MATRIX_ACCESS_TOKEN" in line

    other, _ = synapse.register_user(f"other{secrets.token_hex(3)}", "a-long-password")
    code, output = await doctor(
        tmp_path,
        CONSULTBOT_MATRIX_HOMESERVER=synapse.base_url,
        CONSULTBOT_MATRIX_USER_ID=other,
        CONSULTBOT_MATRIX_ACCESS_TOKEN=token,
    )
    [line] = problems(output)
    assert f"belongs to {user_id}" in line
