"""The catalog: each text the bot shows, in the reader's language, with its values
written for the reader (counts, durations, times in their zone) and commands in the form
of their platform. The English texts themselves are in `bot.messages`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot import i18n
from bot.messages import ENGLISH
from bot.styled import Styled
from consultations.schedule import UnknownZone, show, zone

log = logging.getLogger(__name__)

# A language's texts by key, as a test may give them: a template, or a counted message's
# forms in the order of the language's plural forms.
Table = Mapping[str, i18n.English | Sequence[str]]


class Catalog:
    """Texts by key and language; English is the reference every other language follows.

    Other languages come from the gettext catalogs in bot/locale (`bot.i18n`); a table
    given for a language here takes precedence (tests use it). Anything a language lacks,
    or a translation that does not fit its values, is said in English instead.

    A counted message (a pair of English forms in `ENGLISH`) takes its form from the
    `count` value, in each language by that language's plural rule. Values are written
    for the reader: a `timedelta` as a duration ('3 days'), a `LocalTime` or a `Deadline`
    in their language. A command in a template is written `/review`; `command_prefix`
    puts the prefix of the reader's platform in its place (`!review` on Matrix).
    """

    def __init__(self, languages: Mapping[str, Table] | None = None) -> None:
        self.languages: dict[str, Table] = {"en": ENGLISH, **(languages or {})}

    def template(self, key: str, language: str | None = None, count: int = 1) -> str:
        english = ENGLISH[key]
        table = self.languages.get(i18n.base(language) or "en")
        if table is None:
            return i18n.template_for(key, english, language, count)
        found = table.get(key) or english
        if isinstance(found, str):
            return found
        if table is ENGLISH:
            return i18n.template_for(key, english, None, count)
        return found[min(i18n.plural_index(language, count), len(found) - 1)]

    def text(
        self, key: str, language: str | None = None, *, command_prefix: str = "/", **values: Any
    ) -> str:
        """The message in `language`; a styled value is written out plain."""
        plain = {k: v.plain() if isinstance(v, Styled) else v for k, v in values.items()}
        return self._format(key, language, command_prefix, plain)

    def styled(
        self, key: str, language: str | None = None, *, command_prefix: str = "/", **values: Any
    ) -> Styled:
        """The message in `language`, keeping the marks of its styled values (a diff)."""
        pieces: dict[str, Styled] = {}
        for name, value in values.items():
            if isinstance(value, Styled):
                token = f"\x00{len(pieces)}\x00"
                pieces[token] = value
                values[name] = token
        text = self._format(key, language, command_prefix, values)
        if not pieces:
            return Styled.of(text)
        return Styled.join("", (pieces.get(part, part) for part in _TOKENS.split(text)))

    def _format(
        self, key: str, language: str | None, prefix: str, values: Mapping[str, Any]
    ) -> str:
        english = ENGLISH[key]
        count = _count(key, english, values)
        code = i18n.supported(language)
        template = _for_reader(self.template(key, language, count), code, prefix)
        shown = {k: self._shown(v, code) for k, v in values.items()}
        try:
            return template.format(**shown)
        except (KeyError, IndexError, ValueError):
            fallback = i18n.template_for(key, english, None, count)
            if template == fallback:
                raise  # a bug in the caller, not in a translation
            log.warning("translation does not fit its values key=%s language=%s", key, code)
            return fallback.format(**shown)

    def _shown(self, value: Any, language: str) -> Any:
        """A value as the reader reads it."""
        if isinstance(value, Localised):
            return value.render(language)
        if isinstance(value, timedelta):
            return i18n.format_duration(value, language)
        if isinstance(value, Deadline):
            return self._deadline(value, language)
        return value

    def _deadline(self, deadline: Deadline, language: str) -> str:
        tz = _zone_or_utc(deadline.zone)
        at, today = deadline.at.astimezone(tz), deadline.now.astimezone(tz).date()
        clock = i18n.format_clock(at, language)
        if at.date() == today:
            return self._format("when.today", language, "/", {"time": clock})
        if at.date() == today + timedelta(days=1):
            return self._format("when.tomorrow", language, "/", {"time": clock})
        day = i18n.format_day(at, language, with_year=at.year != today.year)
        return self._format("when.day", language, "/", {"date": day, "time": clock})


_TOKENS = re.compile(r"(\x00\d+\x00)")  # where `Catalog.styled` puts its styled values
# A command in a template: '/' before a lower-case word, at the start or after a space or
# an opening mark (not in 'and/or', '{answered}/{invited}' or https://).
_COMMAND = re.compile(r"(?<![^\s(“«\"'‘¿¡\u00a0\u202f])/(?=[a-z])")


@lru_cache(maxsize=4096)  # a few hundred templates, each in a few languages and prefixes
def _for_reader(template: str, language: str, prefix: str) -> str:
    """A template with its language's typography, and commands in the platform's form."""
    template = i18n.typography(template, language)
    return template if prefix == "/" else _COMMAND.sub(prefix, template)


def _count(key: str, english: i18n.English, values: Mapping[str, Any]) -> int:
    """The count that chooses a counted message's form (1 for any other message)."""
    if isinstance(english, str):
        return 1
    count = values.get(i18n.COUNT)
    if not isinstance(count, int):
        raise TypeError(f"{key} is a counted message: give count=<int>, not {count!r}")
    return count


def _zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return zone(name) if name else ZoneInfo("UTC")
    except UnknownZone:
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Deadline:
    """When something will happen, as the reader says it, from `now`: 'today at 17:00 CET',
    'tomorrow at 09:00 CET', 'on Fri, Dec 4 at 17:00 CET'. In the reader's zone (which
    `localise` gives it) unless it names one."""

    at: datetime
    now: datetime
    zone: str | None = None


class Localised(str):
    """A value written for each reader's language: as a string its English form, and
    `render(language)` for the reader's, which `Catalog.text` calls."""

    def render(self, language: str) -> str:
        return str(self)


class LocalTime(Localised):
    """An instant as one person reads it, in their time zone.

    As a string it is the English form, '2026-12-04 17:00 Europe/Zurich'; `Catalog.text`
    renders it for the reader's language ('4 déc. 2026, 17:00 Europe/Zurich').
    """

    at: datetime
    zone: str

    def __new__(cls, when: datetime, zone_name: str | None) -> LocalTime:
        tz = _zone_or_utc(zone_name)
        made = super().__new__(cls, show(when, tz.key))
        made.at = when.astimezone(tz)
        made.zone = tz.key
        return made

    def render(self, language: str) -> str:
        if language == i18n.SOURCE:
            return str(self)
        return i18n.format_instant(self.at, language, self.zone)


def localise(values: Mapping[str, Any], zone: str | None) -> dict[str, Any]:
    """Values as one person reads them: instants and deadlines in their time zone (UTC if
    none), which `Catalog.text` then writes in the person's language."""
    return {k: _in_zone(v, zone) for k, v in values.items()}


def _in_zone(value: Any, zone: str | None) -> Any:
    if isinstance(value, datetime):
        return LocalTime(value, zone)
    if isinstance(value, Deadline) and value.zone is None:
        return replace(value, zone=zone)
    return value
