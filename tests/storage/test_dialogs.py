"""Where each person is in a dialog, kept across restarts."""

from __future__ import annotations

from storage.records import Store
from tests.storage.world import make_stakeholder


def test_dialog_state_round_trips_json_and_survives_a_new_store(store: Store) -> None:
    ana = make_stakeholder(store, "telegram:100")
    data = {
        "paragraph": 3,
        "pending": {"kind": "amendment", "text": "Déclaration «conjointe» 中文"},
        "seen": [1, 2, 3],
        "ratio": 0.5,
        "done": False,
        "note": None,
    }
    with store.transaction() as records:
        records.dialogs.set(ana, "telegram:100", "review.amend", data)
        records.dialogs.set(ana, "telegram:999", "other", {"x": 1})

    restarted = Store(store.engine)
    with restarted.transaction() as records:
        dialog = records.dialogs.get(ana, "telegram:100")
        assert dialog is not None
        assert (dialog.step, dialog.data) == ("review.amend", data)
        records.dialogs.set(ana, "telegram:100", "review", {"paragraph": 4})
    with restarted.transaction() as records:
        dialog = records.dialogs.get(ana, "telegram:100")
        assert dialog is not None and (dialog.step, dialog.data) == ("review", {"paragraph": 4})
        records.dialogs.clear(ana, "telegram:100")
        records.dialogs.clear(ana, "telegram:100")  # clearing twice is harmless
    with restarted.transaction() as records:
        assert records.dialogs.get(ana, "telegram:100") is None
        other = records.dialogs.get(ana, "telegram:999")
        assert other is not None and other.data == {"x": 1}
