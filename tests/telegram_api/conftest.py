"""Makes the ``bot_api_server`` fixture available to the tests in this folder.

Tests elsewhere import it into their module or conftest (``from tests.telegram_api
import bot_api_server``), or list ``tests.telegram_api.server`` in ``pytest_plugins``.
"""

from .server import bot_api_server

__all__ = ["bot_api_server"]
