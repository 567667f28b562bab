"""What several handlers need: the open round, the draft's paragraphs, recording input."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from bot import i18n
from bot.messages import Catalog
from bot.summary_options import DEFAULT_SUMMARY_OPTIONS, SummaryOptions
from bot.turn import Refusal, Turn, attribution_label
from consultations import rounds as round_rules
from consultations.ids import ConsultationId, GroupId, PersonId, SubmissionId, VersionId
from consultations.model import Attribution, Kind, Role, RoundState, StakeholderGroup
from consultations.submissions import check_paragraph, check_text
from consultations.summary import Input, Paragraph, Participation, Summary, summarise
from consultations.themes import DEFAULT_THEMES, Embed
from storage.records import Records
from storage.rounds import RoundFacts
from storage.submissions import NewSubmission
from storage.tables import Consultation, Round, id_of


def paragraphs(records: Records, version_id: VersionId) -> list[Paragraph]:
    return [Paragraph(p.uid, p.position, p.text) for p in records.drafts.paragraphs(version_id)]


def paragraphs_for(turn: Turn, version_id: VersionId) -> list[Paragraph]:
    """The version's paragraphs as this person reads them: in their language where the
    facilitator loaded one (`translate`), else the original text."""
    return paragraphs_in(turn.records, version_id, i18n.supported(turn.language))


def paragraphs_in(records: Records, version_id: VersionId, language: str) -> list[Paragraph]:
    """The version's paragraphs in `language`, each falling back to the original text.

    A paragraph that later versions left unchanged keeps the translation loaded for an
    earlier version, so publishing does not undo the translators' work.
    """
    rows = records.drafts.paragraphs(version_id)
    chain = [version_id]  # this version, then its ancestors
    version = records.drafts.version_by_id(version_id)
    while version is not None and version.parent_id is not None:
        chain.append(version.parent_id)
        version = records.drafts.version_by_id(version.parent_id)
    loaded = records.drafts.translations(chain, language)
    if not loaded:
        return paragraphs(records, version_id)
    texts = dict(loaded.get(version_id, {}))
    unchanged = {row.uid: row.text for row in rows if row.uid not in texts}
    for ancestor in chain[1:]:
        if not unchanged:
            break
        before = {row.uid: row.text for row in records.drafts.paragraphs(ancestor)}
        unchanged = {uid: text for uid, text in unchanged.items() if before.get(uid) == text}
        for uid in list(unchanged):
            if uid in loaded.get(ancestor, {}):
                texts[uid] = loaded[ancestor][uid]
                del unchanged[uid]
    return [Paragraph(row.uid, row.position, texts.get(row.uid, row.text)) for row in rows]


def latest_paragraphs(turn: Turn, consultation: Consultation) -> list[Paragraph]:
    version = turn.records.drafts.version(id_of(consultation))
    if version is None:
        raise Refusal("draft.none")
    return paragraphs(turn.records, id_of(version))


def open_round(turn: Turn, consultation_id: ConsultationId) -> RoundFacts:
    """The round taking input now, or a refusal that says what the person can do instead."""
    round_ = turn.records.rounds.facts(consultation_id)
    if round_ is None:
        raise Refusal("round.none_yet")
    if not round_rules.accepts_input(RoundState(round_.state), round_.closes_at, turn.now):
        if round_.state == RoundState.SCHEDULED:
            raise Refusal("round.not_yet_open", number=round_.number)
        raise Refusal("round.closed_for_input", number=round_.number)
    return round_


def stakeholder_group(turn: Turn, consultation_id: ConsultationId) -> GroupId:
    group_id = turn.group_id(consultation_id)
    if group_id is None:
        raise Refusal("not_allowed")
    return group_id


def record_input(
    turn: Turn,
    round_: RoundFacts,
    number: int,
    kind: Kind,
    text: str | None = None,
) -> SubmissionId:
    """Validate and store one piece of input, returning its id; the event's source makes
    it idempotent.

    An amendment is compared with the paragraph as the person read it (in their
    language), and the submission records that language.
    """
    # Only an amendment is compared with the text as the person read it (their language).
    paras = (
        paragraphs_for(turn, round_.version_id)
        if kind is Kind.AMENDMENT
        else paragraphs(turn.records, round_.version_id)
    )
    paragraph = paras[check_paragraph(number, len(paras))]
    cleaned = None
    if kind in (Kind.COMMENT, Kind.AMENDMENT):
        cleaned = check_text(kind, text or "", paragraph.text)
    return turn.records.submissions.add(
        NewSubmission(
            round_id=round_.id,
            person_id=turn.person_id,
            group_id=stakeholder_group(turn, round_.consultation_id),
            paragraph_uid=paragraph.uid,
            kind=kind,
            text=cleaned,
            source=turn.event.source,
            created_at=turn.now,
            language=i18n.supported(turn.language),
        )
    )


def groups_of(records: Records, consultation: Consultation) -> list[StakeholderGroup]:
    return [
        StakeholderGroup(g.key, g.name, tuple(a for a in g.aliases.split(",") if a))
        for g in records.consultations.groups(id_of(consultation))
    ]


def group_keys(records: Records, consultation: Consultation) -> dict[GroupId | None, str]:
    """Each group's key, by id (a submission without a group has none)."""
    return {id_of(g): g.key for g in records.consultations.groups(id_of(consultation))}


def participation(
    records: Records, consultation: Consultation, round_: Round
) -> dict[str, Participation]:
    """Per group: stakeholders who answered in the round, of those invited."""
    keys = group_keys(records, consultation)
    responders = records.submissions.responders(id_of(round_))
    invited: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for member in records.consultations.members(id_of(consultation), Role.STAKEHOLDER):
        key = keys.get(member.group_id)
        if key is None:
            continue
        invited[key] += 1
        if member.person_id in responders:
            answered[key] += 1
    return {key: Participation(answered[key], invited[key]) for key in invited}


def silent_stakeholders(
    records: Records, consultation: Consultation, round_: Round, group_key: str | None = None
) -> list[PersonId]:
    """Person ids of stakeholders (of one group, if given) with no input in the round."""
    keys = group_keys(records, consultation)
    responders = records.submissions.responders(id_of(round_))
    return [
        m.person_id
        for m in records.consultations.members(id_of(consultation), Role.STAKEHOLDER)
        if m.person_id not in responders
        and (group_key is None or keys.get(m.group_id) == group_key)
    ]


def summary_options(turn: Turn) -> SummaryOptions:
    return turn.summary_options or DEFAULT_SUMMARY_OPTIONS


def summary_for(
    turn: Turn,
    consultation: Consultation,
    round_: Round,
    *,
    embed: Embed | None = None,
    themes: bool = True,
) -> Summary:
    return build_summary(
        turn.records,
        turn.catalog,
        turn.language,
        consultation,
        round_,
        embed=embed,
        themes=themes,
    )


def build_summary(
    records: Records,
    catalog: Catalog,
    language: str | None,
    consultation: Consultation,
    round_: Round,
    *,
    embed: Embed | None = None,
    themes: bool = True,
) -> Summary:
    """The round's summary, attributed as the consultation's policy allows.

    Themes come from TF-IDF, or from `embed` (sentence embeddings) when given; none
    with `themes=False` (where only counts and amendments are wanted).
    """
    keys = group_keys(records, consultation)
    names = {g.id: g.name for g in records.consultations.groups(id_of(consultation))}
    policy = Attribution(consultation.attribution)
    consenting = records.consultations.consenting(id_of(consultation))
    inputs = []
    for s in records.submissions.in_rounds([id_of(round_)]):
        author = records.people.person(s.person_id) if s.person_id is not None else None
        inputs.append(
            Input(
                id=id_of(s),
                paragraph_uid=s.paragraph_uid,
                group_key=keys.get(s.group_id),
                kind=Kind(s.kind),
                text=s.text,
                author=attribution_label(
                    catalog,
                    language,
                    policy,
                    group=names.get(s.group_id),
                    person=author,
                    consented=s.person_id in consenting,
                ),
                target_id=s.target_id,
                person=s.person_id,
                language=s.language,
            )
        )
    return summarise(
        paragraphs(records, round_.version_id),
        inputs,
        groups_of(records, consultation),
        participation(records, consultation, round_),
        embed=embed,
        themes=DEFAULT_THEMES if themes else None,
    )


def provenance(
    records: Records, consultation: Consultation, version_ids: Iterable[VersionId]
) -> dict[str, list[tuple[SubmissionId, str | None]]]:
    """Paragraph uid -> the amendments that changed it in these versions, with their group.

    Always by stakeholder group, whatever the attribution policy: a change belongs to the
    group whose member proposed it.
    """
    names = {g.id: g.name for g in records.consultations.groups(id_of(consultation))}
    found: dict[str, list[tuple[SubmissionId, str | None]]] = {}
    for version_id in version_ids:
        for row in records.drafts.paragraphs(version_id):
            for amendment_id in row.sources:
                submission = records.submissions.get(amendment_id)
                group = names.get(submission.group_id) if submission is not None else None
                found.setdefault(row.uid, []).append((amendment_id, group))
    return found


def tell_stakeholders(turn: Turn, consultation: Consultation, key: str, **values: Any) -> int:
    """Queue `key` for every stakeholder of the consultation; returns how many."""
    people = stakeholders(turn.records, consultation)
    for person_id in people:
        turn.notify(person_id, key, **values)
    return len(people)


def stakeholders(records: Records, consultation: Consultation) -> list[PersonId]:
    return sorted(
        {m.person_id for m in records.consultations.members(id_of(consultation), Role.STAKEHOLDER)}
    )


def organisers(records: Records, consultation: Consultation) -> list[PersonId]:
    """Facilitators and secretariat: they receive summaries and flags."""
    return sorted(
        {
            m.person_id
            for m in records.consultations.members(id_of(consultation))
            if m.role in (Role.FACILITATOR, Role.SECRETARIAT)
        }
    )
