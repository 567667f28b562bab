"""Telegram, through the Bot API with python-telegram-bot (PTB).

The package translates, paces and retries; what to say, to whom and when is decided in
`bot/`. It keeps two promises about delivery:

**An update is confirmed only after the dispatcher handled it.** Long polling never
moves getUpdates' offset past an update still in hand (`polling.py`); a webhook POST is
answered only after handling (`webhook.py`). Each update is handled with retry
(`adapters.kit`), one chat's updates in order and chats side by side. After a crash
Telegram delivers every unconfirmed update again, and the dispatcher drops what it had
already stored (`Inbound.source` is the idempotency key).

**A message the dispatcher hands over arrives.** `FloodControl` keeps to Telegram's
limits and `call` waits out its bad moments (`pacing.py`); a refusal for good is a
`DeliveryError`.

    translate.py  Telegram's things and ours, both ways (pure functions)
    adapter.py    the adapter: lifecycle, updates in, messages out
    polling.py    getUpdates, confirmed only once handled
    webhook.py    Telegram's POSTs, answered only once handled
    pacing.py     FloodControl, and calls retried through transient failures
"""
