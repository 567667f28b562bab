"""Assembling a consultation's full record from the store, for exports and the CLI.

This is where the privacy rules meet the exports: every author label is made here by
`attribution_label`, which gives the stakeholder group unless the consultation's policy
and the person allow more, and never more than "a member of GROUP" for someone who has
erased their data. Text a facilitator hid is left out. The export formats only lay out
what this returns.
"""

from __future__ import annotations

from datetime import datetime

from bot.catalog import Catalog
from bot.handlers.common import build_summary, groups_of, paragraphs
from bot.turn import Refusal, attribution_label
from consultations.exports import (
    DecisionRecord,
    NoteRecord,
    Record,
    RoundRecord,
    SectionRecord,
    Status,
    SubmissionRecord,
    VersionRecord,
    with_provenance,
)
from consultations.exports.polis import Conversation, Statement, Vote
from consultations.exports.text import utc
from consultations.ids import PersonId
from consultations.model import Attribution, Kind
from storage.records import Records
from storage.tables import Consultation, Person, Submission, id_of


def build_record(
    records: Records,
    catalog: Catalog,
    language: str | None,
    consultation: Consultation,
    now: datetime,
    version: int | None = None,
) -> Record:
    """Everything an export shows, attributed as the consultation's policy allows.

    With `version`, the record as it stood for that version of the draft: the versions
    up to it, the rounds held on them (with their input), and the decisions that made
    those versions. Decisions on input to that version itself made a later one and are
    left out, unless it is the latest, where they are what the next version will hold.
    Each version carries its paragraphs' provenance since version 1.
    """
    all_versions = records.drafts.versions(id_of(consultation))
    if version is not None and not any(v.number == version for v in all_versions):
        latest = all_versions[-1].number if all_versions else 0
        raise Refusal("export.unknown_version", number=version, latest=latest)
    versions = [v for v in all_versions if version is None or v.number <= version]
    version_numbers = {id_of(v): v.number for v in all_versions}
    version_records = []
    for v in versions:
        rows = records.drafts.paragraphs(id_of(v))
        document = records.drafts.document(id_of(v))
        version_records.append(
            VersionRecord(
                number=v.number,
                title=v.title,
                created_at=utc(v.created_at),
                paragraphs=tuple(paragraphs(records, id_of(v))),
                sources={p.uid: tuple(p.sources) for p in rows if p.sources},
                parent=version_numbers.get(v.parent_id) if v.parent_id is not None else None,
                sections=tuple(
                    SectionRecord(
                        s.uid,
                        s.heading.text if s.heading else None,
                        s.heading.level if s.heading else 0,
                        tuple(p.uid for p in s.parts),
                    )
                    for s in document.sections()
                ),
                notes=tuple(NoteRecord(n.uid, n.kind, n.text, n.links) for n in document.notes),
                language=consultation.language,
            )
        )
    shown = {id_of(v) for v in versions}
    rounds = [r for r in records.rounds.of(id_of(consultation)) if r.version_id in shown]
    submissions = records.submissions.in_rounds([id_of(r) for r in rounds], live_only=False)
    # Everyone who said something, loaded once and held here: the session keeps only weak
    # references, so without this each summary would reload a person per submission.
    people: dict[PersonId, Person] = {
        person_id: records.people.person(person_id)
        for person_id in sorted({s.person_id for s in submissions if s.person_id is not None})
    }
    round_records = tuple(
        RoundRecord(
            number=r.number,
            version=version_numbers.get(r.version_id, 0),
            state=r.state,
            opened_at=utc(r.opened_at) if r.opened_at else None,
            closed_at=utc(r.closed_at) if r.closed_at else None,
            summary=build_summary(records, catalog, language, consultation, r),
        )
        for r in rounds
    )

    group_rows = records.consultations.groups(id_of(consultation))
    keys = {g.id: g.key for g in group_rows}
    names = {g.id: g.name for g in group_rows}
    policy = Attribution(consultation.attribution)
    consenting = records.consultations.consenting(id_of(consultation))

    def author(s: Submission) -> str:
        return attribution_label(
            catalog,
            language,
            policy,
            group=names.get(s.group_id),
            person=people.get(s.person_id) if s.person_id is not None else None,
            consented=s.person_id in consenting,
        )

    positions = {}
    round_of = {}
    for r in rounds:
        round_of[r.id] = (r.number, version_numbers.get(r.version_id, 0))
        for p in records.drafts.paragraphs(r.version_id):
            positions[(r.id, p.uid)] = p.position
    submission_records = []
    for s in submissions:
        number, on_version = round_of[s.round_id]
        status = _status(s)
        submission_records.append(
            SubmissionRecord(
                id=id_of(s),
                round=number,
                version=on_version,
                paragraph=positions.get((s.round_id, s.paragraph_uid), 0),
                paragraph_uid=s.paragraph_uid,
                group=keys.get(s.group_id),
                author=author(s),
                kind=Kind(s.kind),
                text=None if status is Status.HIDDEN else s.text,
                created_at=utc(s.created_at),
                status=status,
                target=s.target_id,
            )
        )

    latest = all_versions[-1].number if all_versions else 0
    scoped_to = version if version is not None and version < latest else None
    amendments = [
        s
        for s in submissions
        if s.kind == Kind.AMENDMENT and (scoped_to is None or round_of[s.round_id][1] < scoped_to)
    ]
    decided = records.submissions.decisions([id_of(s) for s in amendments])
    decisions = []
    for s in amendments:
        d = decided.get(id_of(s))
        if d is None:
            continue
        applied = version_numbers.get(d.applied_in_version_id) if d.applied_in_version_id else None
        if scoped_to is not None and applied is not None and applied > scoped_to:
            continue
        decisions.append(
            DecisionRecord(
                amendment_id=id_of(s),
                paragraph=positions.get((s.round_id, s.paragraph_uid), 0),
                author=author(s),
                text="" if s.hidden_at is not None else s.text or "",
                decision=d.decision,
                note=d.note,
                version=applied,
                group=keys.get(s.group_id),
                decided_at=utc(d.decided_at),
            )
        )
    return Record(
        consultation_id=id_of(consultation),
        title=consultation.title,
        attribution=consultation.attribution,
        versions=with_provenance(version_records),
        rounds=round_records,
        decisions=tuple(decisions),
        generated_at=utc(now),
        groups=tuple(groups_of(records, consultation)),
        submissions=tuple(submission_records),
    )


def _status(s: Submission) -> Status:
    if s.hidden_at is not None:
        return Status.HIDDEN
    if s.withdrawn_at is not None:
        return Status.WITHDRAWN
    if s.superseded_at is not None:
        return Status.SUPERSEDED
    return Status.LIVE


STANCE_VOTES = {Kind.SUPPORT: 1, Kind.OPPOSE: -1, Kind.ABSTAIN: 0}


def build_conversation(
    records: Records,
    catalog: Catalog,
    consultation: Consultation,
    version: int | None = None,
) -> Conversation:
    """The latest round (on `version`, if given) as a Pol.is conversation: the paragraphs
    of the version it reviewed as statements, every stance not withdrawn as a vote, each
    person as a participant numbered for this export alone, their stakeholder group as
    their group."""
    numbers = {id_of(v): v.number for v in records.drafts.versions(id_of(consultation))}
    rounds = records.rounds.of(id_of(consultation))
    chosen = [r for r in rounds if version is None or numbers.get(r.version_id) == version]
    if not chosen:
        if version is None:
            raise Refusal("export.polis_no_round")
        raise Refusal("export.polis_no_round_on", number=version)
    round_ = chosen[-1]
    reviewed = numbers.get(round_.version_id, 0)
    cut = records.drafts.version_by_id(round_.version_id)
    created = utc(cut.created_at if cut is not None else consultation.created_at)
    summary = build_summary(records, catalog, None, consultation, round_, themes=False)
    consensus = {p.paragraph.uid: p.consensus for p in summary.paragraphs}
    shown = paragraphs(records, round_.version_id)
    statement = {p.uid: p.number - 1 for p in shown}
    groups = list(records.consultations.groups(id_of(consultation)))
    group_index = {g.id: index for index, g in enumerate(groups)}

    submissions = records.submissions.in_rounds([id_of(round_)], live_only=False)
    live = {
        (s.person_id, s.paragraph_uid)
        for s in submissions
        if Kind(s.kind) in STANCE_VOTES and s.withdrawn_at is None and s.superseded_at is None
    }
    stances = sorted(
        (
            s
            for s in submissions
            if Kind(s.kind) in STANCE_VOTES
            and s.withdrawn_at is None
            and s.paragraph_uid in statement
            and (s.person_id is None or (s.person_id, s.paragraph_uid) in live)
        ),
        key=lambda s: (utc(s.created_at), id_of(s)),
    )
    # Participants numbered in the order they first spoke; input whose author is gone
    # (no person) counts as a participant of its own.
    number: dict[object, int] = {}

    def participant(s: Submission) -> int:
        who: object = s.person_id if s.person_id is not None else ("input", id_of(s))
        return number.setdefault(who, len(number))

    votes = tuple(
        Vote(
            participant(s),
            statement[s.paragraph_uid],
            STANCE_VOTES[Kind(s.kind)],
            utc(s.created_at),
        )
        for s in stances
    )
    group_of: dict[int, int | None] = {}
    comments_by: dict[int, int] = {}
    for s in sorted(submissions, key=lambda s: (utc(s.created_at), id_of(s))):
        if s.withdrawn_at is not None and Kind(s.kind) in STANCE_VOTES:
            continue
        p = participant(s)
        group_of.setdefault(p, group_index.get(s.group_id) if s.group_id is not None else None)
        if Kind(s.kind) in (Kind.COMMENT, Kind.AMENDMENT):
            comments_by[p] = comments_by.get(p, 0) + 1
    return Conversation(
        topic=consultation.title,
        version=reviewed,
        round=round_.number,
        reviewed_at=created,
        statements=tuple(
            Statement(statement[p.uid], p.text, created, consensus.get(p.uid)) for p in shown
        ),
        votes=votes,
        group_names=tuple(g.name for g in groups),
        groups=group_of,
        comments_by=comments_by,
        description=catalog.text("export.round", None, number=round_.number, version=reviewed),
    )
