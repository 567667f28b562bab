"""Values as each reader reads them: durations, deadlines, commands, typography, usage."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot import i18n
from bot.catalog import Catalog, Deadline, localise
from bot.commands import registry
from bot.messages import ENGLISH

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "en", "fr", "es"),
    [
        (timedelta(minutes=4, seconds=59), "5 minutes", "5 minutes", "5 minutos"),
        (timedelta(seconds=20), "1 minute", "1 minute", "1 minuto"),
        (timedelta(hours=2, minutes=37), "2 hours 35 minutes", "2 heures 35 minutes",
         "2 horas 35 minutos"),
        (timedelta(hours=17, minutes=20), "17 hours", "17 heures", "17 horas"),
        (timedelta(days=3), "3 days", "3 jours", "3 días"),
        (timedelta(days=2, hours=5, minutes=20), "2 days 5 hours", "2 jours 5 heures",
         "2 días 5 horas"),
        (timedelta(days=10, hours=13), "11 days", "11 jours", "11 días"),
    ],
)  # fmt: skip
def test_a_time_left_is_rounded_as_people_count_it_and_translated(
    left: timedelta, en: str, fr: str, es: str
) -> None:
    said = {code: i18n.format_duration(left, code) for code in ("en", "fr", "es")}
    said = {code: text.replace("\u00a0", " ") for code, text in said.items()}
    assert said == {"en": en, "fr": fr, "es": es}


@pytest.mark.parametrize(
    ("at", "zone", "language", "expected"),
    [
        (NOW + timedelta(hours=8), "Europe/Zurich", "en", "today at 18:00 CET"),
        (NOW + timedelta(hours=16), "Europe/Zurich", "fr", "demain à 02:00 CET"),
        (NOW + timedelta(days=3), "America/New_York", "es", "el vie, 4 dic a las 04:00 EST"),
        (NOW + timedelta(days=3), "America/Sao_Paulo", "en", "on Fri, Dec 4 at 06:00 UTC−3"),
        (NOW + timedelta(days=40), None, "en", "on Sun, Jan 10, 2027 at 09:00 UTC"),
    ],
)
def test_a_deadline_is_said_from_now_in_the_readers_zone_and_language(
    at: datetime, zone: str | None, language: str, expected: str
) -> None:
    values = localise({"closes": Deadline(at, NOW), "left": at - NOW}, zone)
    text = Catalog().text("status.closes", language, **values)
    assert expected in text


def test_a_deadline_given_a_zone_keeps_it() -> None:
    values = localise({"closes": Deadline(NOW, NOW, "Asia/Tokyo"), "left": timedelta(0)}, "UTC")
    assert "today at 18:00 JST" in Catalog().text("status.closes", "en", **values)


def test_commands_in_texts_take_the_readers_platform_prefix() -> None:
    catalog = Catalog()
    assert catalog.text("not_understood", "en").endswith(
        "Send /help to see the commands you can use."
    )
    assert "Envoyez !help pour voir" in catalog.text("not_understood", "fr", command_prefix="!")
    matrix = catalog.text("consent.current", "en", command_prefix="!", policy="p", consent="c")
    assert "Change it with !consent yes or !consent no." in matrix
    # Slashes that are no command stay as they are.
    zone = catalog.text("timezone.current", "en", command_prefix="!", zone="UTC")
    assert zone.endswith("e.g. !timezone Europe/Zurich.")


def test_french_texts_get_narrow_no_break_spaces_and_what_people_wrote_does_not() -> None:
    text = Catalog().text("moderation.flag_notice", "fr", id=3, title="Why?", reason="Rude: yes!")
    assert "#3 dans «\u202fWhy?\u202f» a été signalée" in text
    assert "Motif\u202f: Rude: yes!." in text  # the reason is theirs, spaces and all
    for untouched in ("14:00", "http://x", "!review"):
        assert i18n.typography(untouched, "fr") == untouched
    english = Catalog().text("moderation.flag_notice", "en", id=3, title="t", reason="r")
    assert "\u202f" not in english


def test_every_argument_has_a_name_in_every_language() -> None:
    """Usage lines name arguments in the reader's language ('/comment N TEXTE...')."""
    arguments = {arg.name for command in registry.commands.values() for arg in command.args}
    missing = sorted(name for name in arguments if f"arg.{name}" not in ENGLISH)
    assert not missing, f"add arg.<name> to bot/messages.py for: {missing}"
    comment = registry.commands["comment"]
    assert comment.usage(lambda name: Catalog().text(f"arg.{name}", "es")) == "comment N TEXTO..."


# A placeholder followed by a plural noun ("{n} comments") reads "1 comments" for a count
# of one: such a text must be a counted message, its count `{count}`.
PLURAL_AFTER_PLACEHOLDER = re.compile(r"\{(\w+)\} ([a-z]+s)\b")
# Placeholders that are no count (an ordinal, a name, a time): the words after them are
# not nouns they count.
NOT_COUNTS = {"number", "id", "version", "round", "total", "a", "b", "name", "group", "when"}


def test_no_count_hides_outside_a_counted_message() -> None:
    suspicious = {
        key: match.group(0)
        for key, english in ENGLISH.items()
        if isinstance(english, str)
        for match in PLURAL_AFTER_PLACEHOLDER.finditer(english)
        if match.group(1) not in NOT_COUNTS and match.group(2) not in ("is", "was", "has")
    }
    assert not suspicious, f"write these as counted messages with {{count}}: {suspicious}"
