"""What several handlers need: the open round, the draft's paragraphs, recording input."""

from __future__ import annotations

from collections import Counter

from bot.messages import Catalog
from bot.turn import Refusal, Turn, attribution_label
from consultations import rounds as round_rules
from consultations.model import Attribution, Kind, Role, RoundState, StakeholderGroup
from consultations.submissions import check_paragraph, check_text
from consultations.summary import Input, Paragraph, Participation, Summary, summarise
from storage.records import Records
from storage.tables import Consultation, Round, Submission


def cid(consultation: Consultation) -> int:
    assert consultation.id is not None
    return consultation.id


def paragraphs(records: Records, version_id: int) -> list[Paragraph]:
    return [Paragraph(p.uid, p.position, p.text) for p in records.paragraphs(version_id)]


def latest_paragraphs(turn: Turn, consultation: Consultation) -> list[Paragraph]:
    version = turn.records.version(cid(consultation))
    if version is None or version.id is None:
        raise Refusal("draft.none")
    return paragraphs(turn.records, version.id)


def open_round(turn: Turn, consultation: Consultation) -> Round:
    """The round taking input now, or a refusal that says what the person can do instead."""
    round_ = turn.records.latest_round(cid(consultation))
    if round_ is None:
        raise Refusal("round.none_yet")
    if not round_rules.accepts_input(RoundState(round_.state), round_.closes_at, turn.now):
        if round_.state == RoundState.SCHEDULED:
            raise Refusal("round.not_yet_open", number=round_.number)
        raise Refusal("round.closed_for_input", number=round_.number)
    return round_


def stakeholder_group(turn: Turn, consultation: Consultation) -> int:
    group = turn.group(consultation)
    if group is None or group.id is None:
        raise Refusal("not_allowed")
    return group.id


def record_input(
    turn: Turn,
    consultation: Consultation,
    round_: Round,
    number: int,
    kind: Kind,
    text: str | None = None,
) -> Submission:
    """Validate and store one piece of input; the event's source makes it idempotent."""
    paras = paragraphs(turn.records, round_.version_id)
    paragraph = paras[check_paragraph(number, len(paras))]
    cleaned = None
    if kind in (Kind.COMMENT, Kind.AMENDMENT):
        cleaned = check_text(kind, text or "", paragraph.text)
    assert round_.id is not None
    submission = Submission(
        round_id=round_.id,
        person_id=turn.person_id,
        group_id=stakeholder_group(turn, consultation),
        paragraph_uid=paragraph.uid,
        kind=kind.value,
        text=cleaned,
        source=turn.event.source,
        created_at=turn.now,
    )
    return turn.records.add_submission(submission, at=turn.now)


def groups_of(records: Records, consultation: Consultation) -> list[StakeholderGroup]:
    return [
        StakeholderGroup(g.key, g.name, tuple(a for a in g.aliases.split(",") if a))
        for g in records.groups(cid(consultation))
    ]


def group_keys(records: Records, consultation: Consultation) -> dict[int, str]:
    return {g.id: g.key for g in records.groups(cid(consultation)) if g.id is not None}


def participation(
    records: Records, consultation: Consultation, round_: Round
) -> dict[str, Participation]:
    """Per group: stakeholders who answered in the round, of those invited."""
    keys = group_keys(records, consultation)
    assert round_.id is not None
    responders = records.responders(round_.id)
    invited: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for member in records.members(cid(consultation), Role.STAKEHOLDER):
        key = keys.get(member.group_id or -1)
        if key is None:
            continue
        invited[key] += 1
        if member.person_id in responders:
            answered[key] += 1
    return {key: Participation(answered[key], invited[key]) for key in invited}


def silent_stakeholders(
    records: Records, consultation: Consultation, round_: Round, group_key: str | None = None
) -> list[int]:
    """Person ids of stakeholders (of one group, if given) with no input in the round."""
    keys = group_keys(records, consultation)
    assert round_.id is not None
    responders = records.responders(round_.id)
    return [
        m.person_id
        for m in records.members(cid(consultation), Role.STAKEHOLDER)
        if m.person_id not in responders
        and (group_key is None or keys.get(m.group_id or -1) == group_key)
    ]


def summary_for(turn: Turn, consultation: Consultation, round_: Round) -> Summary:
    return build_summary(turn.records, turn.catalog, turn.person.language, consultation, round_)


def build_summary(
    records: Records,
    catalog: Catalog,
    language: str | None,
    consultation: Consultation,
    round_: Round,
) -> Summary:
    """The round's summary, attributed as the consultation's policy allows."""
    keys = group_keys(records, consultation)
    names = {g.id: g.name for g in records.groups(cid(consultation))}
    policy = Attribution(consultation.attribution)
    assert round_.id is not None
    inputs = []
    for s in records.submissions([round_.id]):
        assert s.id is not None
        author = records.person(s.person_id) if s.person_id is not None else None
        inputs.append(
            Input(
                id=s.id,
                paragraph_uid=s.paragraph_uid,
                group_key=keys.get(s.group_id or -1),
                kind=Kind(s.kind),
                text=s.text,
                author=attribution_label(
                    catalog, language, policy, group=names.get(s.group_id), person=author
                ),
            )
        )
    return summarise(
        paragraphs(records, round_.version_id),
        inputs,
        groups_of(records, consultation),
        participation(records, consultation, round_),
    )


def stakeholders(records: Records, consultation: Consultation) -> list[int]:
    return sorted({m.person_id for m in records.members(cid(consultation), Role.STAKEHOLDER)})


def organisers(records: Records, consultation: Consultation) -> list[int]:
    """Facilitators and secretariat: they receive summaries and flags."""
    return sorted(
        {
            m.person_id
            for m in records.members(cid(consultation))
            if m.role in (Role.FACILITATOR, Role.SECRETARIAT)
        }
    )
