"""Command handlers; importing this package declares every command in `bot.commands.registry`."""

from bot.handlers import facilitation, people, reading, review, schedule

__all__ = ["facilitation", "people", "reading", "review", "schedule"]
