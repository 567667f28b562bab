"""Languages: the one a person reads the bot in, and language versions of the draft.

    language [CODE]   anyone: show the current language and those available, or choose one
    translate LANG    facilitator: the draft's latest version in LANG follows, as a file or
                      pasted text, with as many paragraphs as the original, in its order

A person's language is the platform's (Telegram's `language_code`) until they choose one
with `language`; from then on their choice stands. Command names are the same in every
language. A stakeholder reviews a version in their language where one was loaded, and
each submission records the language it was made in (bot/handlers/common.py).
"""

from __future__ import annotations

from typing import Any

from bot import i18n
from bot.commands import Access, Arg, registry
from bot.handlers.drafting import received_draft
from bot.turn import Refusal, Turn
from consultations.document import Document
from consultations.errors import ConsultationError
from consultations.ids import ConsultationId, VersionId
from storage.drafts import TITLE
from storage.tables import id_of

AWAIT_TRANSLATION = "await_translation"
PREVIEW_CHARS = 80


def follow_platform(turn: Turn, reported: str | None) -> None:
    """Take the language the platform reports for this person, unless they chose one."""
    code = i18n.base(reported)
    if code is None or turn.sender.language_chosen or turn.language == code:
        return
    turn.person.language = code
    turn.records.save(turn.person)


def available() -> str:
    """'en (English), fr (français), es (español)': each language in its own name."""
    return ", ".join(f"{code} ({i18n.language_name(code)})" for code in i18n.LANGUAGES)


def _name(turn: Turn, code: str) -> str:
    """The language `code` as this person calls it: 'French', 'français', 'francés'."""
    return i18n.language_name(code, i18n.supported(turn.language))


def _known(turn: Turn, text: str) -> str:
    code = i18n.base(text)
    if code not in i18n.LANGUAGES:
        raise Refusal("language.unknown", code=text, available=available())
    return code


@registry.command("language", Arg("code", optional=True), access=Access.ANYONE)
def language(turn: Turn, code: str | None) -> None:
    """Show the language the bot writes in, or choose another; the choice is remembered."""
    if code is None:
        current = i18n.supported(turn.language)
        turn.say(
            "language.current",
            name=_name(turn, current),
            code=current,
            available=available(),
        )
        return
    chosen = _known(turn, code)
    turn.person.language = chosen
    turn.person.language_chosen = True
    turn.records.save(turn.person)
    turn.menu_changed = True  # the command menu's help, in the new language
    turn.say("language.set", name=_name(turn, chosen))


@registry.command("translate", Arg("language"), access=Access.FACILITATOR)
def translate(turn: Turn, language: str) -> None:
    """Load the latest version of the draft in another language; the text follows."""
    consultation = turn.require_consultation()
    code = _known(turn, language)
    version = turn.records.drafts.version(id_of(consultation))
    if version is None:
        raise Refusal("draft.none")
    if code == consultation.language:
        raise Refusal("translate.master", name=_name(turn, code))
    count = len(turn.records.drafts.paragraphs(id_of(version)))
    turn.records.dialogs.set(
        turn.person_id,
        turn.chat,
        AWAIT_TRANSLATION,
        {"consultation": id_of(consultation), "version": id_of(version), "language": code},
    )
    turn.say(
        "translate.send",
        version=version.number,
        name=_name(turn, code),
        count=count,
        expects_reply=True,
    )


@registry.dialog(AWAIT_TRANSLATION)
def take_translation(turn: Turn, data: dict[str, Any]) -> None:
    """The text `translate` asked for: aligned with the original paragraph by paragraph."""
    consultation = turn.records.consultations.get(ConsultationId(int(data["consultation"])))
    version = turn.records.drafts.version_by_id(VersionId(int(data["version"])))
    if consultation is None or version is None:
        turn.records.dialogs.clear(turn.person_id, turn.chat)  # answered, not refused: kept
        turn.say("button.stale")
        return
    code = str(data["language"])
    name = _name(turn, code)
    try:
        draft = received_draft(turn)
    except ConsultationError as error:
        # stay in the dialog: the facilitator can send a corrected text straight away
        turn.say(error.key, **error.values)
        turn.say("translate.send_again", name=name)
        return
    master = turn.records.drafts.document(id_of(version))
    originals = master.paragraphs
    if len(draft.paragraphs) != len(originals):
        turn.say(
            "translate.count_mismatch",
            version=version.number,
            expected=turn.t("count.paragraphs", count=len(originals)),
            count=len(draft.paragraphs),
        )
        turn.say("translate.send_again", name=name)
        return
    turn.records.drafts.set_translation(id_of(version), code, *_aligned(master, draft))
    turn.records.dialogs.clear(turn.person_id, turn.chat)
    turn.audit(
        consultation,
        "draft.translated",
        version=version.number,
        language=code,
        paragraphs=len(originals),
    )
    preview = "\n".join(
        f"{number}. {text[:PREVIEW_CHARS]}{'…' if len(text) > PREVIEW_CHARS else ''}"
        for number, text in enumerate(draft.texts, start=1)
    )
    turn.say(
        "translate.loaded",
        version=version.number,
        name=name,
        count=len(originals),
        preview=preview,
    )


def _aligned(master: Document, translated: Document) -> tuple[dict[str, str], dict[str, str]]:
    """The translation's parts by the master's uids (texts, and the master texts they
    translate): paragraphs by position; headings, notes and the title where the two
    documents have as many."""
    pairs: list[tuple[str, str, str]] = [
        (p.uid, t.text, p.text)
        for p, t in zip(master.paragraphs, translated.paragraphs, strict=True)
    ]
    if len(master.headings) == len(translated.headings):
        pairs += [
            (p.uid, t.text, p.text)
            for p, t in zip(master.headings, translated.headings, strict=True)
        ]
    if len(master.notes) == len(translated.notes):
        pairs += [
            (p.uid, t.text, p.text) for p, t in zip(master.notes, translated.notes, strict=True)
        ]
    if master.title and translated.title:
        pairs.append((TITLE, translated.title, master.title))
    return {uid: text for uid, text, _ in pairs}, {uid: original for uid, _, original in pairs}
