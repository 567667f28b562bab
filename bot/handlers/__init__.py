"""Command handlers, and what they build on (`common`; `record`, a consultation's full record
for exports and the CLI). Importing this package declares every command, button and dialog
step in `bot.commands.registry`."""

from bot.handlers import (
    facilitation,
    language,
    moderation,
    people,
    progress,
    reading,
    review,
    schedule,
)

__all__ = [
    "facilitation",
    "language",
    "moderation",
    "people",
    "progress",
    "reading",
    "review",
    "schedule",
]
