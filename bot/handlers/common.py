"""What several handlers need: the open round, the draft's paragraphs, recording input."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import i18n
from bot.catalog import Catalog, Deadline
from bot.events import Choice, Mark, Styled
from bot.summary_options import DEFAULT_SUMMARY_OPTIONS, SummaryOptions
from bot.turn import Refusal, Turn, attribution_label
from consultations import rounds as round_rules
from consultations.document import Clause
from consultations.exports.text import utc
from consultations.ids import ConsultationId, GroupId, PersonId, RoundId, SubmissionId, VersionId
from consultations.model import Attribution, Kind, Role, RoundState, StakeholderGroup
from consultations.schedule import reminders_for
from consultations.submissions import check_paragraph, check_text
from consultations.summary import Input, Paragraph, Participation, Summary, summarise
from consultations.themes import DEFAULT_THEMES, Embed
from storage.drafts import read_links
from storage.records import Records
from storage.rounds import RoundFacts
from storage.submissions import NewSubmission
from storage.tables import Consultation, Round, id_of


def paragraphs(records: Records, version_id: VersionId) -> list[Paragraph]:
    """The version's reviewable paragraphs, numbered 1..N, with what the document says of
    each (label, kind, links)."""
    return [
        Paragraph(
            p.uid,
            p.position,
            p.text,
            p.label,
            Clause(p.clause) if p.clause else None,
            read_links(p.links),
        )
        for p in records.drafts.paragraphs(version_id)
    ]


@dataclass(frozen=True)
class Shown(Paragraph):
    """A paragraph as one person reads it: in their language where its translation is
    loaded and up to date, else in the master text's."""

    language: str = ""  # the language of `text`
    stale: bool = False  # its translation in the reader's language is out of date


def paragraphs_for(turn: Turn, version_id: VersionId) -> list[Shown]:
    """The version's paragraphs as this person reads them: in their language where the
    facilitator loaded one (`translate`), else the original text."""
    return paragraphs_in(turn.records, version_id, i18n.supported(turn.language))


def paragraphs_in(records: Records, version_id: VersionId, language: str) -> list[Shown]:
    """The version's paragraphs in `language`, each falling back to the master text.

    A translation stands as long as the master text it was made from does, in whichever
    version it was loaded: publishing does not undo the translators' work on unchanged
    paragraphs. One made from another text (the paragraph was amended, edited, merged)
    is out of date: the master text is shown, marked `stale`, until a new one is loaded.
    """
    rows = records.drafts.paragraphs(version_id)
    master = records.drafts.language(version_id)
    if language == master:  # the common case: nothing to look up
        return [Shown(r.uid, r.position, r.text, r.label, language=master) for r in rows]
    chain = [version_id]  # this version, then its ancestors
    version = records.drafts.version_by_id(version_id)
    while version is not None and version.parent_id is not None:
        chain.append(version.parent_id)
        version = records.drafts.version_by_id(version.parent_id)
    loaded = records.drafts.translations(chain, language)
    shown = []
    for row in rows:
        found = next(((v, loaded[v][row.uid]) for v in chain if row.uid in loaded.get(v, {})), None)
        if found is None:
            shown.append(Shown(row.uid, row.position, row.text, row.label, language=master))
            continue
        made_in, translation = found
        original = translation.original
        if original is None:  # loaded before originals were kept: that version's text
            original = next(
                (p.text for p in records.drafts.paragraphs(made_in) if p.uid == row.uid), None
            )
        if original == row.text:
            shown.append(
                Shown(row.uid, row.position, translation.text, row.label, language=language)
            )
        else:
            shown.append(
                Shown(row.uid, row.position, row.text, row.label, language=master, stale=True)
            )
    return shown


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
    if group_id is None:  # a pressed button needs no role: the group is checked here
        raise Refusal("input.no_group")
    return group_id


MINUTE = timedelta(minutes=1)


def check_pace(turn: Turn) -> None:
    """Refuse input past the person's limit a minute (`turn.input_per_minute`): someone
    reviewing reads before they answer; a script flooding the round does not."""
    limit = turn.input_per_minute
    if not limit:
        return
    at = turn.records.submissions.given_at(turn.person_id, limit)
    if at is not None and utc(at) > turn.now - MINUTE:  # `limit` inputs in the last minute
        raise Refusal("input.too_fast", count=limit)


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
    language where a translation is up to date); the submission records the person's
    language and the language of the text it was made on.
    """
    check_pace(turn)
    paras = paragraphs_for(turn, round_.version_id)  # as the person read them
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
            draft_language=paragraph.language,
        )
    )


AWAIT_EDIT = "await_edit"  # the edited text of a paragraph, proposed as its new wording
AWAIT_CONFIRM = "await_confirm"  # a proposal shown as a diff: record, edit again, cancel?
AWAIT_KIND = "await_kind"  # a text unlike its paragraph: a comment, or its new wording?
PROPOSING = (AWAIT_EDIT, AWAIT_CONFIRM, AWAIT_KIND)


def ask_edit(
    turn: Turn, number: int, current: str, data: dict[str, Any], *, again: bool = False
) -> None:
    """Ask for the paragraph's new wording, offering `current` to edit rather than retype:
    a copy to tap and copy, and where the platform can, a button that puts it in the
    input field. The answer goes to the `AWAIT_EDIT` step with `data`."""
    turn.records.dialogs.set(turn.person_id, turn.chat, AWAIT_EDIT, data)
    key = "review.ask_amend_again" if again else "review.ask_amend"
    prompt = turn.t(key, number=number) + "\n\n" + Styled.of(current, Mark.CODE)
    edit_here = Choice(turn.t("button.edit_here"), "", prefill=current)
    turn.say_text(prompt, choices=((edit_here,),), expects_reply=True)


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
    """Per group: stakeholders who answered in the round, of those invited; for a closed
    round, as it was at its close (`fix_participation`), whoever erased themselves since."""
    if round_.participation is not None:
        return {key: Participation(*counts) for key, counts in round_.participation.items()}
    keys = group_keys(records, consultation)
    responders = records.submissions.responders(id_of(round_))
    invited: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    members = records.consultations.members(id_of(consultation), Role.STAKEHOLDER, present=True)
    for member in members:
        key = keys.get(member.group_id)
        if key is None:
            continue
        invited[key] += 1
        if member.person_id in responders:
            answered[key] += 1
    return {key: Participation(answered[key], invited[key]) for key in invited}


def fix_participation(records: Records, consultation: Consultation, round_: Round) -> None:
    """Keep who took part in the round as it is now, as it closes."""
    round_.participation = {
        key: [part.answered, part.invited]
        for key, part in participation(records, consultation, round_).items()
    }


@dataclass(frozen=True)
class Progress:
    """How far one stakeholder has got in a round: paragraphs answered, of `total`."""

    person_id: PersonId
    group_key: str
    answered: int
    total: int

    @property
    def done(self) -> bool:
        return self.answered >= self.total


def progress(
    records: Records, consultation: Consultation, round_: Round, group_key: str | None = None
) -> list[Progress]:
    """Each stakeholder's progress in the round (of one group, if given): `status` shows
    it and `remind` nudges those who have not answered every paragraph."""
    keys = group_keys(records, consultation)
    uids = {row.uid for row in records.drafts.paragraphs(round_.version_id)}
    answered = records.submissions.answered(id_of(round_))
    return [
        Progress(m.person_id, key, len(answered.get(m.person_id, set()) & uids), len(uids))
        for m in records.consultations.members(id_of(consultation), Role.STAKEHOLDER, present=True)
        if (key := keys.get(m.group_id)) is not None and group_key in (None, key)
    ]


def remind_unfinished(
    turn: Turn, consultation: Consultation, round_: Round, group_key: str | None = None
) -> int:
    """Nudge the stakeholders who have not answered every paragraph of the open round,
    each told how far they got; returns how many."""
    assert round_.closes_at is not None
    waiting = [p for p in progress(turn.records, consultation, round_, group_key) if not p.done]
    closes = Deadline(round_.closes_at, turn.now)
    left = round_.closes_at - turn.now
    for person in waiting:
        values = dict(title=consultation.title, number=round_.number, closes=closes, left=left)
        if person.answered:
            turn.notify(
                person.person_id,
                "remind.notice_some",
                while_open=id_of(round_),
                answered=person.answered,
                count=person.total,
                **values,
            )
        else:
            turn.notify(person.person_id, "remind.notice", while_open=id_of(round_), **values)
    return len(waiting)


def tell_round(turn: Turn, consultation_id: ConsultationId) -> None:
    """Tell someone who just joined about the round under way: open (until when, how to
    begin) or scheduled (when it opens)."""
    round_ = turn.records.rounds.latest(consultation_id)
    if round_ is None or round_.closes_at is None:
        return
    closes = Deadline(round_.closes_at, turn.now)
    if round_rules.accepts_input(RoundState(round_.state), round_.closes_at, turn.now):
        version = turn.records.drafts.version_by_id(round_.version_id)
        turn.say(
            "start.round_open",
            number=round_.number,
            closes=closes,
            left=round_.closes_at - turn.now,
            count=len(turn.records.drafts.paragraphs(round_.version_id)),
            version=version.number if version is not None else "?",
        )
    elif round_.state == RoundState.SCHEDULED and round_.opens_at is not None:
        opens = Deadline(round_.opens_at, turn.now)
        turn.say("start.round_scheduled", number=round_.number, opens=opens, closes=closes)


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


def tell_stakeholders(
    turn: Turn,
    consultation: Consultation,
    key: str,
    while_open: RoundId | None = None,
    **values: Any,
) -> int:
    """Queue `key` for every stakeholder of the consultation (dropped unsent once the
    round `while_open`, if given, is no longer open); returns how many."""
    people = stakeholders(turn.records, consultation)
    for person_id in people:
        turn.notify(person_id, key, while_open=while_open, **values)
    return len(people)


def stakeholders(records: Records, consultation: Consultation) -> list[PersonId]:
    """The consultation's stakeholders, but those who erased themselves."""
    members = records.consultations.members(id_of(consultation), Role.STAKEHOLDER, present=True)
    return sorted({m.person_id for m in members})


def organisers(
    records: Records,
    consultation: Consultation,
    roles: tuple[Role, ...] = (Role.FACILITATOR, Role.SECRETARIAT),
) -> list[PersonId]:
    """Facilitators and secretariat (or those of `roles`): they receive summaries and flags."""
    return sorted(
        {m.person_id for m in records.consultations.members(id_of(consultation)) if m.role in roles}
    )


def chosen_reminders(round_: Round) -> tuple[timedelta, ...] | None:
    """The reminders the facilitator set for the round, if they did."""
    if round_.reminders is None:
        return None
    return tuple(timedelta(minutes=minutes) for minutes in round_.reminders)


def reminders_text(turn: Turn, round_: Round, zone: str | None = None) -> str:
    """When the round reminds those who have not answered, in the reader's words (and
    time zone, or `zone`)."""
    closes = round_.closes_at
    offsets = reminders_for(round_.opens_at or round_.opened_at, closes, chosen_reminders(round_))
    if not offsets or closes is None:
        return turn.t("reminders.off", number=round_.number)
    times = ", ".join(
        turn.t("reminders.at", at=Deadline(closes - before, turn.now, zone), left=before)
        for before in offsets
    )
    return turn.t("reminders.list", number=round_.number, times=times)
