"""Dialog state: where a person is in a conversation with the bot in one chat (the
review walk, a comment's text awaited, a draft awaited, the organisation question), kept
in the database so that a restart or another worker carries on where they were."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from consultations.ids import PersonId
from storage.tables import DialogState, utcnow
from storage.unit_of_work import Repository


class Dialogs(Repository):
    def get(self, person_id: PersonId, chat: str) -> DialogState | None:
        return self.session.get(DialogState, (person_id, chat))

    def set(self, person_id: PersonId, chat: str, step: str, data: dict[str, Any]) -> None:
        dialog = self.get(person_id, chat)
        if dialog is None:
            dialog = DialogState(person_id=person_id, chat=chat, step=step, data=data)
        else:
            dialog.step, dialog.data, dialog.updated_at = step, dict(data), utcnow()
        self.session.add(dialog)
        self.session.flush()

    def clear(self, person_id: PersonId, chat: str) -> None:
        dialog = self.get(person_id, chat)
        if dialog is not None:
            self.session.delete(dialog)
            self.session.flush()

    def clear_all(self, person_id: PersonId) -> None:
        """End a person's dialogs in every chat (erasure); deleted at the next flush."""
        for dialog in self.session.exec(
            select(DialogState).where(DialogState.person_id == person_id)
        ):
            self.session.delete(dialog)
