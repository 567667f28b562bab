"""Submissions: what stakeholders put in a round (stances, comments, amendments,
endorsements), with the flags raised on them and the decisions taken on amendments.

A submission is never edited: a new stance supersedes the person's earlier one on that
paragraph, a withdrawal or a moderator's hiding marks it; only erasure and retention
(`purge_texts`) take text or authors away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy
from sqlalchemy import Table, bindparam, insert, update
from sqlmodel import col, select

from consultations.ids import GroupId, PersonId, RoundId, SubmissionId
from consultations.model import Kind
from storage.events import Events
from storage.tables import AmendmentDecision, Flag, Submission, id_of
from storage.unit_of_work import AlreadyHandled, Repository, UnitOfWork

SUBMISSIONS: Table = Submission.__table__  # type: ignore[attr-defined]
INSERT_SUBMISSION = insert(SUBMISSIONS).returning(SUBMISSIONS.c.id)
# When a person gave their nth latest input: a walk down their index, on the driver.
NTH_LATEST_INPUT = (
    sqlalchemy.select(SUBMISSIONS.c.created_at)
    .where(SUBMISSIONS.c.person_id == bindparam("person_id"))
    .order_by(SUBMISSIONS.c.id.desc())
    .offset(bindparam("skip"))
    .limit(bindparam("one"))  # the driver takes only named values
)


@dataclass(frozen=True, slots=True)
class NewSubmission:
    """Input to store (`Submissions.add`): a submission before it has an id."""

    round_id: RoundId
    person_id: PersonId | None
    paragraph_uid: str
    kind: Kind
    created_at: datetime
    group_id: GroupId | None = None
    text: str | None = None
    source: str | None = None
    target_id: SubmissionId | None = None  # an endorsement: what it backs
    language: str | None = None  # the language the person worked in
    draft_language: str | None = None  # the language of the draft text it was made on


class Submissions(Repository):
    def __init__(self, session: UnitOfWork, events: Events) -> None:
        super().__init__(session)
        self.events = events  # what this transaction claimed cannot have been stored before

    def add(self, new: NewSubmission) -> SubmissionId:
        """Store input and return its id; a new stance supersedes the person's earlier
        stance on that paragraph (as of the new one's time).

        Input from an event this unit of work claimed cannot have been stored before (the
        claim and the submission commit together), so only other sources are looked up.
        The source is stored as the event's keyed pseudonym (`Events.identity`).
        """
        source = self.events.identity(new.source) if new.source is not None else None
        if source is not None and source not in self.events.claimed:
            seen = self.session.exec(
                select(Submission.id).where(Submission.source == source)
            ).first()
            if seen is not None:
                raise AlreadyHandled(new.source)
        if new.kind.is_stance and new.person_id is not None:
            stances = [k.value for k in Kind if k.is_stance]
            self.session.execute(
                update(Submission)
                .where(
                    col(Submission.round_id) == new.round_id,
                    col(Submission.person_id) == new.person_id,
                    col(Submission.paragraph_uid) == new.paragraph_uid,
                    col(Submission.kind).in_(stances),
                    col(Submission.superseded_at).is_(None),
                    col(Submission.withdrawn_at).is_(None),
                )
                .values(superseded_at=new.created_at)
            )
        # A Core insert: building a `Submission` and running the ORM around the statement
        # cost twice the insert itself, and every input ends in this statement.
        row = {
            "round_id": new.round_id,
            "person_id": new.person_id,
            "group_id": new.group_id,
            "paragraph_uid": new.paragraph_uid,
            "kind": new.kind.value,
            "text": new.text,
            "source": source,
            "created_at": new.created_at,
            "target_id": new.target_id,
            "language": new.language,
            "draft_language": new.draft_language,
        }
        [(submission_id,)] = self.session.write(INSERT_SUBMISSION, row)
        return SubmissionId(submission_id)

    def get(self, submission_id: SubmissionId) -> Submission | None:
        return self.session.get(Submission, submission_id)

    def in_rounds(
        self, round_ids: Sequence[RoundId], *, live_only: bool = True
    ) -> Sequence[Submission]:
        """Submissions of the rounds; live ones are neither withdrawn, superseded nor hidden."""
        query = select(Submission).where(col(Submission.round_id).in_(round_ids))
        if live_only:
            query = query.where(
                col(Submission.withdrawn_at).is_(None),
                col(Submission.superseded_at).is_(None),
                col(Submission.hidden_at).is_(None),
            )
        return self.session.exec(query.order_by(col(Submission.id))).all()

    def given_at(self, person_id: PersonId, nth: int) -> datetime | None:
        """When the person gave their `nth` latest input (1: the latest), in any round;
        None if they have given fewer. A walk of `nth` steps down their index (a count of
        their input since a time would read every row of theirs), on the driver: it runs
        on every input."""
        rows = self.session.read(
            NTH_LATEST_INPUT, {"person_id": person_id, "skip": nth - 1, "one": 1}
        )
        return cast(datetime, rows[0][0]) if rows else None

    def by_person(self, person_id: PersonId, round_ids: Sequence[RoundId]) -> Sequence[Submission]:
        return self.session.exec(
            select(Submission)
            .where(col(Submission.round_id).in_(round_ids), Submission.person_id == person_id)
            .order_by(col(Submission.id))
        ).all()

    def responders(self, round_id: RoundId) -> set[PersonId]:
        """Persons with at least one live submission in the round."""
        rows = self.session.exec(
            select(col(Submission.person_id))
            .where(
                Submission.round_id == round_id,
                col(Submission.withdrawn_at).is_(None),
                col(Submission.person_id).is_not(None),
            )
            .distinct()
        ).all()
        return {person_id for person_id in rows if person_id is not None}

    def answered(
        self, round_id: RoundId, person_id: PersonId | None = None
    ) -> dict[PersonId, set[str]]:
        """The paragraphs (uids) each stakeholder has answered in the round, of one person
        if given: any input of theirs on a paragraph that they have not withdrawn."""
        query = select(col(Submission.person_id), col(Submission.paragraph_uid)).where(
            Submission.round_id == round_id,
            col(Submission.withdrawn_at).is_(None),
            col(Submission.person_id).is_not(None),
        )
        if person_id is not None:
            query = query.where(Submission.person_id == person_id)
        found: dict[PersonId, set[str]] = {}
        for who, uid in self.session.exec(query.distinct()).all():
            if who is not None:
                found.setdefault(who, set()).add(uid)
        return found

    def add_flag(self, flag: Flag) -> bool:
        """Record a flag; False if this person had already flagged that submission."""
        seen = self.session.exec(
            select(Flag).where(
                Flag.submission_id == flag.submission_id, Flag.person_id == flag.person_id
            )
        ).first()
        if seen is not None:
            return False
        self.session.add(flag)
        self.session.flush()
        return True

    def purge_texts(self, round_ids: Sequence[RoundId], keep: set[SubmissionId]) -> int:
        """Blank the text of submissions in the rounds (except `keep`) and unlink their
        authors; the reasons given for hiding or flagging them go too (they quote or
        describe what was written), and who flagged them."""
        rows = self.session.exec(
            select(Submission).where(col(Submission.round_id).in_(round_ids))
        ).all()
        purged = 0
        for row in rows:
            if row.id in keep or (
                row.text is None and row.person_id is None and row.hidden_reason is None
            ):
                continue
            row.text = None
            row.person_id = None
            row.source = None
            row.hidden_reason = None
            self.session.add(row)
            purged += 1
        self.session.execute(
            update(Flag)
            .where(col(Flag.submission_id).in_([r.id for r in rows if r.id not in keep]))
            .values(reason=None, person_id=None)
        )
        self.session.flush()
        return purged

    def disown(self, person_id: PersonId, *, delete: bool) -> int:
        """Take a person's submissions away from them (erasure): deleted, with their flags
        and decisions, or kept without an author; an accepted amendment, already in a
        published version, is always kept without one. The flags they raised stay, without
        them. Returns how many submissions were deleted."""
        deleted = 0
        submissions = self.session.exec(
            select(Submission).where(Submission.person_id == person_id)
        ).all()
        for submission in submissions:
            if delete:
                decision = self.decision(id_of(submission))
                if decision is not None and decision.decision == "accepted":
                    # text already in a published version: keep it, unattributed
                    submission.person_id = None
                    submission.source = None
                    self.session.add(submission)
                    continue
                if decision is not None:
                    self.session.delete(decision)
                for flag in self.session.exec(
                    select(Flag).where(Flag.submission_id == submission.id)
                ):
                    self.session.delete(flag)
                self.session.delete(submission)
                deleted += 1
            else:
                submission.person_id = None
                submission.source = None
                self.session.add(submission)
        self.session.execute(
            update(Flag).where(col(Flag.person_id) == person_id).values(person_id=None)
        )
        return deleted

    def decision(self, submission_id: SubmissionId | None) -> AmendmentDecision | None:
        if submission_id is None:
            return None
        return self.session.exec(
            select(AmendmentDecision).where(AmendmentDecision.submission_id == submission_id)
        ).first()

    def decisions(
        self, submission_ids: Sequence[SubmissionId]
    ) -> dict[SubmissionId, AmendmentDecision]:
        rows = self.session.exec(
            select(AmendmentDecision).where(
                col(AmendmentDecision.submission_id).in_(submission_ids)
            )
        ).all()
        return {row.submission_id: row for row in rows}
