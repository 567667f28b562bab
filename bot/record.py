"""Assembling a consultation's full record from the store, for exports and the CLI."""

from __future__ import annotations

from datetime import datetime

from bot.handlers.common import build_summary, cid, paragraphs
from bot.messages import Catalog
from bot.turn import attribution_label
from consultations.exports import DecisionRecord, Record, RoundRecord, VersionRecord
from consultations.model import Attribution, Kind
from storage.records import Records
from storage.tables import Consultation


def build_record(
    records: Records,
    catalog: Catalog,
    language: str | None,
    consultation: Consultation,
    now: datetime,
) -> Record:
    """Everything an export shows, attributed as the consultation's policy allows."""
    versions = records.versions(cid(consultation))
    version_numbers = {v.id: v.number for v in versions}
    version_records = []
    for v in versions:
        assert v.id is not None
        rows = records.paragraphs(v.id)
        version_records.append(
            VersionRecord(
                number=v.number,
                title=v.title,
                created_at=v.created_at,
                paragraphs=tuple(paragraphs(records, v.id)),
                sources={p.uid: tuple(p.sources) for p in rows if p.sources},
            )
        )
    rounds = records.rounds(cid(consultation))
    round_records = tuple(
        RoundRecord(
            number=r.number,
            version=version_numbers.get(r.version_id, 0),
            state=r.state,
            opened_at=r.opened_at,
            closed_at=r.closed_at,
            summary=build_summary(records, catalog, language, consultation, r),
        )
        for r in rounds
    )
    amendments = [
        s
        for s in records.submissions([r.id for r in rounds if r.id is not None])
        if s.kind == Kind.AMENDMENT
    ]
    decided = records.decisions([s.id for s in amendments if s.id is not None])
    groups = {g.id: g.name for g in records.groups(cid(consultation))}
    positions = {}
    for r in rounds:
        for p in records.paragraphs(r.version_id):
            positions[(r.id, p.uid)] = p.position
    decisions = []
    for s in amendments:
        d = decided.get(s.id or -1)
        if d is None or s.id is None:
            continue
        author = records.person(s.person_id) if s.person_id is not None else None
        decisions.append(
            DecisionRecord(
                amendment_id=s.id,
                paragraph=positions.get((s.round_id, s.paragraph_uid), 0),
                author=attribution_label(
                    catalog,
                    language,
                    Attribution(consultation.attribution),
                    group=groups.get(s.group_id),
                    person=author,
                ),
                text=s.text or "",
                decision=d.decision,
                note=d.note,
                version=version_numbers.get(d.applied_in_version_id)
                if d.applied_in_version_id
                else None,
            )
        )
    return Record(
        consultation_id=cid(consultation),
        title=consultation.title,
        attribution=consultation.attribution,
        versions=tuple(version_records),
        rounds=round_records,
        decisions=tuple(decisions),
        generated_at=now,
    )
