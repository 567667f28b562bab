"""Chat platforms: each package (telegram, matrix) or module (console, memory) turns
platform updates into `bot.events.Inbound` and `Outbound` messages into platform calls,
pacing and retrying as its platform requires. `kit` holds what they all need the same
way. Policy (what to say, to whom, when, in which language) lives in `bot/`, never here.
Each is found through its `consultbot.adapters` entry point (`bot.app.Platform`)."""

from bot.events import Adapter, Capability, Inbound, Outbound

__all__ = ["Adapter", "Capability", "Inbound", "Outbound"]
