"""A Telegram Bot API server on loopback for end-to-end tests; see :mod:`.server`."""

from .models import (
    ApiError,
    BadGateway,
    CallbackQuery,
    Chat,
    ChatMessage,
    DropConnection,
    Fault,
    MessageEdit,
    RecordedCall,
    Slow,
    Stats,
    StoredFile,
    TooManyRequests,
    Update,
    User,
)
from .server import DEFAULT_TOKEN, BotAPIServer, FaultPlan, RateLimit, bot_api_server

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BadGateway",
    "BotAPIServer",
    "CallbackQuery",
    "Chat",
    "ChatMessage",
    "DropConnection",
    "Fault",
    "FaultPlan",
    "MessageEdit",
    "RateLimit",
    "RecordedCall",
    "Slow",
    "Stats",
    "StoredFile",
    "TooManyRequests",
    "Update",
    "User",
    "bot_api_server",
]
