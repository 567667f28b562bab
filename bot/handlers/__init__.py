"""Command handlers; importing this package declares every command in `bot.commands.registry`."""

from bot.handlers import facilitation, language, moderation, people, reading, review, schedule

__all__ = ["facilitation", "language", "moderation", "people", "reading", "review", "schedule"]
