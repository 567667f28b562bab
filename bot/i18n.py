"""The bot's languages: gettext catalogs made from the English catalog, and loading them.

`bot.messages.ENGLISH` stays the source of truth. Each key becomes one gettext message
whose msgctxt is the key and whose msgid is the English text, so a translator sees both:

    msgctxt "publish.notice"
    msgid "Version {version} of “{title}” has been published ({count} amendment accepted)."
    msgid_plural "Version {version} of “{title}” has been published ({count} amendments accepted)."
    msgstr[0] "La version {version} de « {title} » a été publiée ({count} amendement accepté)."
    msgstr[1] "La version {version} de « {title} » a été publiée ({count} d'amendements acceptés)."
    msgstr[2] "La version {version} de « {title} » a été publiée ({count} amendements acceptés)."

A counted message is declared in the English catalog as a pair of English forms, one
and many, whose count is the `{count}` placeholder; it becomes a gettext plural message
(msgid / msgid_plural, one msgstr per plural form of the language, as its Plural-Forms
header says), and `template_for` picks the form for the count with npgettext.

    python -m bot.i18n extract   writes bot/locale/messages.pot and updates
                                 bot/locale/{fr,es}/LC_MESSAGES/messages.po, keeping
                                 every translation (a key whose English changed keeps
                                 its old translation, marked fuzzy, until reviewed)
    python -m bot.i18n check     lists keys still missing a translation

At run time `translations(language)` loads the compiled `messages.mo` (setup.py compiles
them when the package is built, so an install needs no extra step); where there is none
(an editable install, a checkout) it compiles the `.po` in memory with Babel. English is
the fallback for anything missing. `extract_messages` is the same extraction as a Babel
extractor (entry point `consultbot_catalog`) for `pybabel extract`.

`bot.messages` (the English texts) and `bot.catalog` build on this module; this one reads the
English catalog from its source, as `pybabel extract` does, and never imports it.
"""

from __future__ import annotations

import ast
import copy
import gettext
import io
import re
import string
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias, cast

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog as PoCatalog
    from babel.messages.catalog import Message

# Babel is imported where it is used: a running bot needs it only to name a language or
# write a date, and the catalog tools (extract, check, compiling a .po) only here.

LOCALE_DIR = Path(__file__).with_name("locale")
MESSAGES = Path(__file__).with_name("messages.py")  # the English catalog, the source
DOMAIN = "messages"
SOURCE = "en"
# The languages the bot speaks, English first; each other one has a catalog in LOCALE_DIR.
LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
TRANSLATED: tuple[str, ...] = tuple(code for code in LANGUAGES if code != SOURCE)
COUNT = "count"  # the placeholder that chooses a counted message's plural form

# An English text: a template, or a counted message's two English forms (one, many).
Counted: TypeAlias = tuple[str, str]
English: TypeAlias = str | Counted


# ---- which language -----------------------------------------------------------------------


def base(code: str | None) -> str | None:
    """The language part of a platform's code, lower case: 'pt-BR' -> 'pt', 'fr_CA' -> 'fr'."""
    if not code:
        return None
    head = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return head if head.isalpha() and len(head) <= 8 else None


def supported(code: str | None) -> str:
    """The language the bot speaks to someone whose language is `code`: English if not ours."""
    found = base(code)
    return found if found in LANGUAGES else SOURCE


def language_name(code: str, in_language: str | None = None) -> str:
    """'French' in English, 'français' in French; its own name without `in_language`."""
    from babel import Locale

    try:
        name = Locale.parse(code).get_display_name(Locale.parse(in_language or code))
    except (ValueError, LookupError):
        return code
    return name or code


# ---- the compiled catalogs ------------------------------------------------------------------


def po_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return po_path(language, locale_dir).with_suffix(".mo")


def compile_po(po: Path) -> bytes:
    """A `.po` file as the bytes of its `.mo`: fuzzy (unreviewed) translations left out."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


@lru_cache(maxsize=16)
def translations(language: str, locale_dir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """The catalog of `language`: its `.mo`, else its `.po` compiled now, else nothing."""
    if language == SOURCE or language not in LANGUAGES:
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, localedir=locale_dir, languages=[language])
    except FileNotFoundError:
        pass
    po = po_path(language, locale_dir)
    if po.exists():  # a checkout or an editable install: nothing was compiled
        return gettext.GNUTranslations(io.BytesIO(compile_po(po)))
    return gettext.NullTranslations()


def template_for(key: str, english: English, language: str | None, count: int = 1) -> str:
    """The template of `key` in `language`, or the English where it has no translation;
    for a counted message, the form that goes with `count`."""
    code = supported(language)
    if isinstance(english, str):
        return english if code == SOURCE else translations(code).pgettext(key, english)
    one, many = english
    if code == SOURCE:
        return one if count == 1 else many
    return translations(code).npgettext(key, one, many, count)


def plural_index(language: str | None, count: int) -> int:
    """Which of a language's plural forms goes with `count` (its Plural-Forms rule)."""
    found = translations(supported(language))
    if isinstance(found, gettext.GNUTranslations):
        return int(cast(Any, found).plural(count))  # set from the catalog's Plural-Forms
    return 0 if count == 1 else 1


def forms(english: English) -> tuple[str, ...]:
    """Every form of an English text: one template, or a counted message's two."""
    return (english,) if isinstance(english, str) else english


def placeholders(template: English) -> set[str]:
    """The `{named}` fields of a template, or of every form of a counted message (what a
    translation must keep, no more, no less)."""
    return {
        name for form in forms(template) for _, name, _, _ in string.Formatter().parse(form) if name
    }


# ---- typography ------------------------------------------------------------------------------

NARROW_NBSP = "\u202f"
# French puts a narrow no-break space before : ; ! ? (where they end a clause, not in
# 17:00 or https://) and inside « » (the templates only: what people wrote stays theirs).
_FRENCH_PUNCTUATION = re.compile(r"(\S)[ \u00a0\u202f]?([;:!?])(?=\s|$|[»”\"')\]])")
_FRENCH_OPENING = re.compile(r"«[ \u00a0\u202f]?")
_FRENCH_CLOSING = re.compile(r"[ \u00a0\u202f]?»")


def typography(template: str, language: str) -> str:
    """`template` with the spacing its language's typography asks for (French)."""
    if language != "fr":
        return template
    spaced = _FRENCH_PUNCTUATION.sub(rf"\1{NARROW_NBSP}\2", template)
    spaced = _FRENCH_OPENING.sub("«" + NARROW_NBSP, spaced)
    return _FRENCH_CLOSING.sub(NARROW_NBSP + "»", spaced)


# ---- dates and times ------------------------------------------------------------------------


def format_instant(when: datetime, language: str, zone: str) -> str:
    """'4 déc. 2026, 17:00 Europe/Zurich': `when` (already in its zone) for a reader."""
    from babel.dates import format_date, format_time, get_datetime_format

    pattern = str(get_datetime_format("medium", locale=language))
    date = format_date(when, "medium", locale=language)
    clock = format_time(when, "HH:mm", locale=language)
    return f"{pattern.replace('{1}', date).replace('{0}', clock)} {zone}"


def format_duration(delta: timedelta, language: str) -> str:
    """A time left, rounded as a person counts it, in their language: '5 minutes',
    '2 hours 35 minutes', '17 hours', '2 days 5 hours', '10 days'.

    Rounded to the nearest unit shown, never down to nothing: a round of five minutes
    opened a second ago has '5 minutes' left, not '4m'.
    """
    minutes = max(1, round(delta.total_seconds() / 60))
    hours = round(minutes / 60)
    if minutes < 60:
        parts = [(minutes, "minute")]
    elif minutes < 6 * 60:  # to five minutes
        parts = list(zip(divmod(5 * round(minutes / 5), 60), ("hour", "minute"), strict=True))
    elif hours < 48:
        parts = [(hours, "hour")]
    elif hours < 7 * 24:
        parts = list(zip(divmod(hours, 24), ("day", "hour"), strict=True))
    else:
        parts = [(round(hours / 24), "day")]
    return " ".join(_unit(value, unit, language) for value, unit in parts if value)


def _unit(value: int, unit: str, language: str) -> str:
    from babel.units import format_unit

    return str(format_unit(value, f"duration-{unit}", length="long", locale=language))


def zone_label(when: datetime) -> str:
    """How a clock time's zone is written: its abbreviation where it has one ('CET',
    'EST', 'UTC'), else its offset ('UTC−3', 'UTC+5:45')."""
    name = when.tzname() or ""
    if name.isalpha():
        return name
    offset = when.utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_clock(when: datetime, language: str) -> str:
    """'17:00 CET': a time of day (24-hour, as in every language here) and its zone."""
    from babel.dates import format_time

    return f"{format_time(when, 'HH:mm', locale=language)} {zone_label(when)}"


def format_day(when: datetime, language: str, with_year: bool = False) -> str:
    """'Fri, Dec 4', 'ven. 4 déc.', 'vie, 4 dic': a day near enough to need no year."""
    from babel.dates import format_skeleton

    return str(format_skeleton("yMMMEd" if with_year else "MMMEd", when, locale=language))


# ---- extraction ------------------------------------------------------------------------------


def english_entries(source: str) -> Iterator[tuple[int, str, English]]:
    """(line, key, English) for each entry of the `ENGLISH = {...}` literal in `source`: a
    template, or a counted message's pair of English forms."""
    for node in ast.walk(ast.parse(source)):
        target: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        if not (isinstance(target, ast.Name) and target.id == "ENGLISH"):
            continue
        if not isinstance(value, ast.Dict):
            continue
        for key, text in zip(value.keys, value.values, strict=True):
            if key is None:
                continue  # a ** expansion: nothing to extract from
            found_key, found_text = ast.literal_eval(key), ast.literal_eval(text)
            if isinstance(found_key, str) and _is_english(found_text):
                yield key.lineno, found_key, found_text


def _is_english(value: object) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)


def english() -> dict[str, English]:
    """The English catalog, `ENGLISH` in bot/messages.py, read from its source as
    `pybabel extract` reads it: the catalog imports this module, not the reverse."""
    return {key: text for _, key, text in english_entries(MESSAGES.read_text(encoding="utf-8"))}


def extract_messages(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Any,
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, tuple[str, ...], list[str]]]:
    """A Babel extractor for bot/messages.py: each ENGLISH entry as pgettext(key, English),
    a counted one as npgettext(key, one, many).

    Registered as the `consultbot_catalog` extraction method; with a mapping file that
    says `[consultbot_catalog: bot/messages.py]`, `pybabel extract` finds the same
    messages as `python -m bot.i18n extract`.
    """
    encoding = str(options.get("encoding", "utf-8"))
    for line, key, english in english_entries(fileobj.read().decode(encoding)):
        if isinstance(english, str):
            yield line, "pgettext", (key, english), []
        else:
            yield line, "npgettext", (key, *english), []


def _new_catalog(language: str | None) -> PoCatalog:
    from babel.messages.catalog import Catalog as PoCatalog

    return PoCatalog(
        locale=language,
        project="consultbot",
        version="",
        copyright_holder="the consultbot authors",
        msgid_bugs_address="",
        last_translator="consultbot translators",
        language_team=language_name(language, SOURCE) if language else None,
        fuzzy=False,
        header_comment=(
            "# consultbot's messages"
            + (f" in {language_name(language, SOURCE)}" if language else "")
            + ", made by `python -m bot.i18n extract` from bot/messages.py.\n"
            "# msgctxt is the message's key, msgid its English text. Keep each {placeholder}\n"
            "# and each command name (review, comment N TEXT, ...) exactly as it is."
        ),
    )


def _message(key: str, english: English) -> Message:
    from babel.messages.catalog import Message

    message = Message(english, context=key)
    # Babel would guess %-formatting from a "% s" in prose; our templates use {named} fields.
    message.flags.discard("python-format")
    names = sorted(placeholders(english))
    if names:
        message.flags.add("python-brace-format")
        message.auto_comments = ["Keep: " + " ".join("{" + n + "}" for n in names)]
    if not isinstance(english, str):
        message.auto_comments.append(
            "Counted: one text per plural form of the language, chosen by {count}."
        )
    return message


def template(entries: Mapping[str, English] | None = None) -> PoCatalog:
    """The POT: one message per key of the English catalog, in its order."""
    if entries is None:
        entries = english()
    catalog = _new_catalog(None)
    for key, text in entries.items():
        catalog[text] = _message(key, text)
    return catalog


def translated(message: Message) -> bool:
    """Whether every form of `message` has a translation (reviewed or not)."""
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings)


def updated(existing: PoCatalog | None, pot: PoCatalog, language: str) -> PoCatalog:
    """`existing` brought in line with `pot`, keeping every translation.

    Matched by key (msgctxt): a key whose English changed keeps its old translation,
    marked fuzzy (left out of the compiled catalog) until a translator reviews it; a key
    no longer in the catalog is dropped. Unlike Babel's own fuzzy matching, a new
    key never borrows the translation of some other key whose English looks alike. A
    message that became counted keeps its old translation in each of its forms.
    """
    catalog = existing or _new_catalog(language)
    previous = {m.context: m for m in catalog if m.id and m.context}
    # Babel adds the template's own message objects: a copy keeps languages apart.
    catalog.update(copy.deepcopy(pot), no_fuzzy_matching=True)
    for message in catalog:
        if not message.id or not message.context or translated(message):
            continue
        old = previous.get(message.context)
        if old is not None and old.string and translated(old) and old.id != message.id:
            message.string = _reshaped(old.string, message, catalog.num_plurals)
            message.flags.add("fuzzy")
    catalog.obsolete.clear()
    return catalog


def _reshaped(string: str | Sequence[str], message: Message, plurals: int) -> str | tuple[str, ...]:
    """An old translation in the shape of `message`: one string, or one per plural form."""
    old = [string] if isinstance(string, str) else list(string)
    if not message.pluralizable:
        return old[0]
    return tuple(old[min(i, len(old) - 1)] for i in range(plurals))


def _po_text(catalog: PoCatalog) -> str:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False)
    return out.getvalue().decode("utf-8")


def _write_if_changed(path: Path, text: str) -> bool:
    """Write unless only the dates in the header would change (no churn in the history)."""

    def body(content: str) -> list[str]:
        return [
            line
            for line in content.splitlines()
            if not line.startswith(('"POT-Creation-Date:', '"PO-Revision-Date:'))
        ]

    if path.exists() and body(path.read_text(encoding="utf-8")) == body(text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def extract(
    locale_dir: Path = LOCALE_DIR, entries: Mapping[str, English] | None = None
) -> list[Path]:
    """Write the POT and update each language's `.po`; returns the files that changed."""
    from babel.messages.pofile import read_po

    pot = template(entries)
    changed = []
    if _write_if_changed(locale_dir / f"{DOMAIN}.pot", _po_text(pot)):
        changed.append(locale_dir / f"{DOMAIN}.pot")
    for language in TRANSLATED:
        path = po_path(language, locale_dir)
        existing = None
        if path.exists():
            with path.open("rb") as source:
                existing = read_po(source, locale=language)
        catalog = updated(existing, pot, language)
        if _write_if_changed(path, _po_text(catalog)):
            changed.append(path)
    translations.cache_clear()
    return changed


def missing(language: str, locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Keys of the English catalog with no reviewed translation in `language`."""
    from babel.messages.pofile import read_po

    with po_path(language, locale_dir).open("rb") as source:
        catalog = read_po(source, locale=language)
    done = {m.context for m in catalog if m.id and translated(m) and not m.fuzzy}
    return [key for key in english() if key not in done]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["extract"]:
        for path in extract():
            print(f"updated {path}")
        return 0
    if args == ["check"]:
        gaps = {language: missing(language) for language in TRANSLATED}
        for language, keys in gaps.items():
            for key in keys:
                print(f"{language}: {key}")
        return 1 if any(gaps.values()) else 0
    print("usage: python -m bot.i18n extract | check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
