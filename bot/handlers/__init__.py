"""Command handlers, and what they build on (`common`; `record`, a consultation's full record
for exports and the CLI). Importing this package declares every command, button and dialog
step in `bot.commands.registry`."""

from bot.handlers import (
    amending,
    archive,
    decisions,
    drafting,
    facilitation,
    feedback,
    language,
    moderation,
    people,
    progress,
    reading,
    review,
    schedule,
)

__all__ = [
    "amending",
    "archive",
    "decisions",
    "drafting",
    "facilitation",
    "feedback",
    "language",
    "moderation",
    "people",
    "progress",
    "reading",
    "review",
    "schedule",
]
