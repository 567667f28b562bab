"""Rounds: a consultation's successive rounds of input on one draft version each.

A turn that takes input reads its round as `RoundFacts`, plain values on the driver
(`storage.driver`), remembered for the rest of the transaction until a round is written;
a turn that changes a round, or the organisers' commands, read the `Round` row, with its
consultation (`latest`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy
from sqlalchemy import Table, and_, bindparam, delete, func
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import col, select

from consultations.ids import ConsultationId, RoundId, VersionId
from storage.tables import Consultation, Round
from storage.unit_of_work import Repository

ROUNDS: Table = Round.__table__  # type: ignore[attr-defined]
CONSULTATIONS: Table = Consultation.__table__  # type: ignore[attr-defined]
LATER_ROUNDS = ROUNDS.alias("later")


def latest_number(consultation_id: ColumnElement[Any]) -> ScalarSelect[Any]:
    """The number of a consultation's newest round, as a subquery."""
    return (
        sqlalchemy.select(func.max(LATER_ROUNDS.c.number))
        .where(LATER_ROUNDS.c.consultation_id == consultation_id)
        .scalar_subquery()
    )


# A consultation with its latest round.
WITH_LATEST_ROUND = (
    sqlalchemy.select(Consultation, Round)
    .outerjoin(
        Round,
        and_(
            col(Round.consultation_id) == col(Consultation.id),
            col(Round.number) == latest_number(CONSULTATIONS.c.id),
        ),
    )
    .where(col(Consultation.id) == bindparam("consultation_id"))
)
# A consultation's latest round, and a round by id, as `RoundFacts`.
ROUND_FACTS = sqlalchemy.select(
    ROUNDS.c.id,
    ROUNDS.c.consultation_id,
    ROUNDS.c.version_id,
    ROUNDS.c.number,
    ROUNDS.c.state,
    ROUNDS.c.closes_at,
)
LATEST_ROUND_FACTS = ROUND_FACTS.where(
    ROUNDS.c.consultation_id == bindparam("consultation_id"),
    ROUNDS.c.number == latest_number(bindparam("consultation_id")),
)
ROUND_FACTS_BY_ID = ROUND_FACTS.where(ROUNDS.c.id == bindparam("round_id"))


@dataclass(frozen=True, slots=True)
class RoundFacts:
    """A round as read, for taking input in it: whether it is open, which draft version it
    shows. Changing the round goes through its `Round` row (`Rounds.latest`)."""

    id: RoundId
    consultation_id: ConsultationId
    version_id: VersionId
    number: int
    state: str
    closes_at: datetime | None


class Rounds(Repository):
    def add(self, consultation_id: ConsultationId, version_id: VersionId) -> Round:
        """A new round of the consultation, on `version_id`, numbered after the last."""
        number = (
            self.session.exec(
                select(func.max(Round.number)).where(Round.consultation_id == consultation_id)
            ).one()
            or 0
        ) + 1
        round_ = Round(consultation_id=consultation_id, version_id=version_id, number=number)
        self.session.add(round_)
        self.session.flush()
        return round_

    def latest(self, consultation_id: ConsultationId) -> Round | None:
        """The consultation's newest round, read with the consultation; both are
        remembered for the rest of the transaction."""

        def load() -> Round | None:
            found = self.session.execute(WITH_LATEST_ROUND, {"consultation_id": consultation_id})
            for consultation, round_ in found:
                self.session.memo.setdefault("consultation", {})[consultation_id] = consultation
                return cast(Round | None, round_)
            return None

        return self.session.remembered("round", consultation_id, load)

    def facts(self, consultation_id: ConsultationId) -> RoundFacts | None:
        """The consultation's newest round as plain values (no row object to build, the
        most common read of a turn); remembered until a round is written."""
        self.session.flush()  # a round changed but not yet written: the flush forgets it
        return self.session.remembered(
            "round",
            ("facts", consultation_id),
            lambda: self._facts(LATEST_ROUND_FACTS, {"consultation_id": consultation_id}),
        )

    def facts_by_id(self, round_id: RoundId) -> RoundFacts | None:
        return self._facts(ROUND_FACTS_BY_ID, {"round_id": round_id})

    def _facts(self, statement: ClauseElement, values: dict[str, Any]) -> RoundFacts | None:
        rows = self.session.read(statement, values)
        return RoundFacts(*rows[0]) if rows else None

    def of(self, consultation_id: ConsultationId) -> Sequence[Round]:
        return self.session.exec(
            select(Round)
            .where(Round.consultation_id == consultation_id)
            .order_by(col(Round.number))
        ).all()

    def get(self, round_id: RoundId) -> Round | None:
        return self.session.get(Round, round_id)

    def for_update(self, round_id: RoundId) -> Round | None:
        """The round, locked until the transaction ends (a row lock on PostgreSQL;
        SQLite's BEGIN IMMEDIATE already serialises writers)."""
        return self.session.exec(
            select(Round)
            .where(Round.id == round_id)
            .with_for_update()
            .execution_options(populate_existing=True)  # the locked row, not one read before
        ).first()

    def delete_all(self, consultation_id: ConsultationId) -> None:
        """Remove a consultation's rounds (none ever opened: `Records.delete`)."""
        self.session.execute(delete(Round).where(col(Round.consultation_id) == consultation_id))

    def live(self) -> Sequence[Round]:
        """Rounds that still have something to happen: scheduled or open."""
        return self.session.exec(
            select(Round).where(col(Round.state).in_(["scheduled", "open"])).order_by(col(Round.id))
        ).all()

    def count_by_state(self) -> dict[str, int]:
        """How many rounds are in each state (scheduled, open, closed)."""
        rows = self.session.execute(
            sqlalchemy.select(ROUNDS.c.state, func.count()).group_by(ROUNDS.c.state)
        )
        return {state: int(count) for state, count in rows}
