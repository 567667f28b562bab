"""Chat platforms: each module turns platform updates into `bot.events.Inbound` and
`Outbound` messages into platform calls. Policy lives in `bot/`, never here."""

from bot.events import Adapter, Capability, Inbound, Outbound

__all__ = ["Adapter", "Capability", "Inbound", "Outbound"]
