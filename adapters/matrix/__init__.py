"""Matrix, through matrix-nio: direct messages and rooms, end-to-end encrypted or not.

matrix-nio does the protocol (HTTP, the room state, end-to-end encryption with
vodozemac); this package translates, keeps the sync position, and retries where the
homeserver asks it to. What to say, to whom and when is decided in `bot/`. It keeps
three promises: it logs in once (`session.py`); no event is answered twice, none is
missed (`sync.py`); a message the dispatcher hands over arrives (`adapter.py`).

    translate.py  Matrix events and ours, both ways (pure functions)
    adapter.py    the adapter: lifecycle, events in, messages out
    session.py    logging in once; the same device across restarts
    sync.py       events in, the sync position kept only once they were handled
    media.py      files in (downloaded, decrypted) and out (uploaded, encrypted)
    state.py      small files in the store path; the ids of the bot's recent messages
    client.py     matrix-nio, imported without database drivers; its errors, read
    check.py      `consultbot doctor`: the homeserver and the account asked about

Encryption, as a bot must: keys are shared with every device of the room's members
(unverified ones included), and messages from unverified devices are read. Verifying
devices would need a person at the bot's side; the price is that a device added to a
member's account (by them, or by whoever controls their homeserver) can read the bot's
answers from then on, as in any room where nobody verifies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.matrix.settings import MatrixSettings
from bot.events import Adapter
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Platform


class Matrix:
    """The entry point (`consultbot.adapters`): nio is imported only once it is used."""

    settings = MatrixSettings
    command_prefix = "!"  # "/" is taken by Matrix clients for their own commands
    enable = "CONSULTBOT_MATRIX_HOMESERVER with CONSULTBOT_MATRIX_USER_ID and a password or token"

    def configured(self, settings: MatrixSettings) -> bool:
        return bool(settings.homeserver)

    def create(self, core: Settings, settings: MatrixSettings) -> Adapter:
        from adapters.matrix.adapter import create

        return create(settings, core.data_dir)

    async def check(self, core: Settings, settings: MatrixSettings) -> list[str]:
        from adapters.matrix.check import check

        return await check(settings, core.data_dir)


platform: Platform[MatrixSettings] = Matrix()
