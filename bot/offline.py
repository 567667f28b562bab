"""What the operator and the secretariat do from the command line, without a chat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import SetupError
from bot.catalog import Catalog
from bot.handlers.people import issue_invite
from bot.handlers.record import build_conversation, build_record
from bot.turn import Refusal
from consultations import exports
from consultations.exports import polis
from consultations.ids import ConsultationId, GroupId, PersonId
from consultations.model import Kind, Role, StakeholderGroup
from storage.records import Records, Store
from storage.tables import Consultation, Submission, id_of


def list_consultations(store: Store) -> list[str]:
    with store.transaction() as records:
        return [f"{c.id}\t{c.title}" for c in records.consultations.all()]


def export_record(
    store: Store,
    consultation_id: ConsultationId,
    fmt: str,
    language: str | None = None,
    *,
    version: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, bytes]:
    """(file name, content) of a consultation's record; `progress` hears each stage begin."""
    name = exports.export_format(fmt)
    if name is None:
        raise SetupError(
            f"{fmt!r} is not an export format; use one of: {', '.join(exports.EXPORTERS)}"
        )
    step = progress or (lambda stage: None)
    catalog = Catalog()
    step("reading the record")
    with store.transaction() as records:
        consultation = existing(records, consultation_id)
        try:
            record = build_record(
                records, catalog, language, consultation, datetime.now(UTC), version
            )
        except Refusal as refusal:
            raise SetupError(catalog.text(refusal.key, language, **refusal.values)) from None

    def t(key: str, **values: Any) -> str:
        return catalog.text(key, language, **values)

    step(f"writing {name}")
    filename, _, content = exports.render(record, name, t)
    return filename, content


def existing(records: Records, consultation_id: ConsultationId) -> Consultation:
    consultation = records.consultations.get(consultation_id)
    if consultation is None:
        raise SetupError(
            f"there is no consultation {consultation_id}; `consultbot consultations` lists them"
        )
    return consultation


def create_invite(
    store: Store, consultation_id: ConsultationId, group: str, uses: int, days: int
) -> str:
    with store.transaction() as records:
        consultation = existing(records, consultation_id)
        try:
            code, role = issue_invite(
                records, consultation, group, uses, datetime.now(UTC) + timedelta(days=days), None
            )
        except Refusal as refusal:
            raise SetupError(Catalog().text(refusal.key, **refusal.values)) from None
        records.audit.append(
            consultation_id,
            "operator",
            "invite.created",
            {"role": role.value, "group": group, "uses": uses},
        )
    return code


def export_polis(
    store: Store, consultation_id: ConsultationId, version: int | None = None
) -> tuple[str, dict[str, bytes]]:
    """(folder name, files) of the latest round (on `version`, if given) in the Pol.is
    open-data layout."""
    catalog = Catalog()
    with store.transaction() as records:
        consultation = existing(records, consultation_id)
        try:
            conversation = build_conversation(records, catalog, consultation, version)
        except Refusal as refusal:
            raise SetupError(catalog.text(refusal.key, None, **refusal.values)) from None
        title = consultation.title
    return polis.folder_name(title, conversation), polis.to_polis(conversation)


def import_polis(
    store: Store, folder: Path, title: str | None = None
) -> tuple[ConsultationId, str]:
    """A consultation seeded from a Pol.is export folder: its comments the paragraphs of
    version 1, its opinion groups (or our stakeholder groups) the groups, its votes the
    stances of a closed round 1 (an earlier vote superseded by the later). Returns the
    consultation's id and a line saying what was read."""
    if not folder.is_dir():
        raise SetupError(f"{folder} is not a folder; give the folder holding comments.csv")
    files = {
        name: (folder / name).read_text(encoding="utf-8-sig")
        for name in polis.FILES
        if (folder / name).is_file()
    }
    try:
        conversation = polis.read_polis(files)
    except polis.PolisFormatError as error:
        raise SetupError(f"{folder} is not a Pol.is export: {error}") from None
    if not conversation.statements:
        raise SetupError(f"{folder}/comments.csv has no comment to make a paragraph of")
    statements = sorted(conversation.statements, key=lambda s: s.id)
    start = min((v.at for v in conversation.votes), default=statements[0].created_at)
    end = max((v.at for v in conversation.votes), default=start)
    with store.transaction() as records:
        importer = records.people.person_for(
            "polis:import", display_name="Pol.is import", language=None
        )
        groups = [
            StakeholderGroup(f"polis-{i}", name) for i, name in enumerate(conversation.group_names)
        ]
        consultation = records.consultations.create(
            title or conversation.topic or folder.name, created_by=id_of(importer), groups=groups
        )
        cid = id_of(consultation)
        group_ids = [id_of(g) for g in records.consultations.groups(cid)]
        version = records.drafts.add_version(
            cid,
            title=consultation.title,
            paragraphs=[(f"c{s.id}", s.text, []) for s in statements],
            parent_id=None,
            created_by=id_of(importer),
            created_at=min(s.created_at for s in statements),
        )
        round_ = records.rounds.add(cid, id_of(version))
        round_.state, round_.opened_at, round_.closed_at = "closed", start, end
        records.save(round_)
        people: dict[int, tuple[PersonId, GroupId | None]] = {}
        for participant in sorted(
            set(conversation.groups) | {v.participant for v in conversation.votes}
        ):
            person = records.people.person_for(
                f"polis:{cid}-{participant}",
                display_name=f"Participant {participant}",
                language=None,
            )
            group = conversation.groups.get(participant)
            group_id = group_ids[group] if group is not None and group < len(group_ids) else None
            records.consultations.add_member(cid, id_of(person), Role.STAKEHOLDER, group_id)
            people[participant] = (id_of(person), group_id)
        last: dict[tuple[int, int], Submission] = {}
        rows = []
        for vote in conversation.votes:
            person_id, group_id = people[vote.participant]
            row = Submission(
                round_id=id_of(round_),
                person_id=person_id,
                group_id=group_id,
                paragraph_uid=f"c{vote.statement}",
                kind=POLIS_STANCES[vote.vote].value,
                created_at=vote.at,
            )
            earlier = last.get((vote.participant, vote.statement))
            if earlier is not None:
                earlier.superseded_at = vote.at
            last[(vote.participant, vote.statement)] = row
            rows.append(row)
        records.save(*rows)
    read = (
        f"{len(statements)} comments as paragraphs, {len(people)} participants in "
        f"{len(conversation.group_names)} groups, {len(rows)} votes"
    )
    return cid, read


POLIS_STANCES = {1: Kind.SUPPORT, -1: Kind.OPPOSE, 0: Kind.ABSTAIN}
