"""The gettext catalogs: complete, faithful to the English, compiled, extracted the same way."""

from __future__ import annotations

import gettext
import io
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po

from bot import i18n
from bot.catalog import Catalog
from bot.messages import ENGLISH

ROOT = Path(__file__).resolve().parents[2]


def fields(template: str | tuple[str, ...]) -> list[str]:
    """Every replacement field, with repeats (a translation keeps each as often); of a
    counted message, those of each form, without repeats (a form may say a count twice)."""
    if isinstance(template, tuple):
        return [str(sorted(set(fields(form)))) for form in template]
    return sorted(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)


def same_fields(translation: str | tuple[str, ...], english: i18n.English) -> bool:
    if isinstance(english, str):
        return fields(translation) == fields(english)
    return set(fields(translation)) == set(fields(english)) and len(set(fields(english))) == 1


def po(language: str):
    with i18n.po_path(language).open("rb") as source:
        return read_po(source, locale=language)


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_every_key_has_a_reviewed_translation_with_the_same_placeholders(language: str) -> None:
    messages = {m.context: m for m in po(language) if m.id}
    missing, stale, fuzzy, placeholders = [], [], [], []
    for key, english in ENGLISH.items():
        message = messages.get(key)
        if message is None or not i18n.translated(message):
            missing.append(key)
        elif message.id != english:
            stale.append(key)  # English changed and `python -m bot.i18n extract` was not run
        elif message.fuzzy:
            fuzzy.append(key)
        elif not same_fields(message.string, english):
            placeholders.append((key, fields(english), fields(message.string)))
    assert not missing, f"{language}: no translation for {missing}"
    assert not stale, f"{language}: run `python -m bot.i18n extract`; stale: {stale}"
    assert not fuzzy, f"{language}: translations to review (fuzzy): {fuzzy}"
    assert not placeholders, f"{language}: placeholders differ: {placeholders}"
    assert set(messages) <= set(ENGLISH), set(messages) - set(ENGLISH)


def test_the_committed_catalogs_are_what_extraction_makes(tmp_path: Path) -> None:
    """Re-extracting changes nothing: every key of bot/messages.py is in the .pot and .po."""
    shutil.copytree(i18n.LOCALE_DIR, tmp_path / "locale")
    assert i18n.extract(tmp_path / "locale") == []


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_every_message_renders_in_every_language(language: str) -> None:
    catalog = Catalog()
    different = 0
    for key, english in ENGLISH.items():
        values: dict[str, object] = {name: f"<{name}>" for name in i18n.placeholders(english)}
        if isinstance(english, tuple):
            values["count"] = 3
        text = catalog.text(key, language, **values)
        assert all(str(value) in text for value in values.values()), (key, text)
        different += text != catalog.text(key, "en", **values)
    assert different > 0.8 * len(ENGLISH)  # most texts really are in the other language


def test_a_message_with_a_count_is_counted_and_its_forms_keep_the_count() -> None:
    """A `{count}` chooses the plural form: a message that has one must be declared with
    its English forms (one, many), and each form keeps it."""
    not_counted = [k for k, e in ENGLISH.items() if isinstance(e, str) and "count" in fields(e)]
    assert not not_counted, f"declare these as (one, many) English forms: {not_counted}"
    countless = [
        key
        for key, english in ENGLISH.items()
        if isinstance(english, tuple) and not all("count" in fields(form) for form in english)
    ]
    assert not countless, f"each form of a counted message says {{count}}: {countless}"


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "Version 2 published with 1 accepted amendment."),
        ("en", 0, "Version 2 published with 0 accepted amendments."),
        ("en", 3, "Version 2 published with 3 accepted amendments."),
        ("fr", 0, "Version 2 publiée avec 0 amendement accepté."),  # French: 0 and 1 are one
        ("fr", 1, "Version 2 publiée avec 1 amendement accepté."),
        ("fr", 2, "Version 2 publiée avec 2 amendements acceptés."),
        ("es", 1, "Versión 2 publicada con 1 enmienda aceptada."),
        ("es", 0, "Versión 2 publicada con 0 enmiendas aceptadas."),
        ("es", 21, "Versión 2 publicada con 21 enmiendas aceptadas."),
    ],
)
def test_counted_messages_take_the_form_of_their_count(
    language: str, count: int, expected: str
) -> None:
    assert Catalog().text("publish.done", language, version=2, count=count) == expected


def test_a_counted_message_needs_its_count() -> None:
    with pytest.raises(TypeError):
        Catalog().text("publish.done", "fr", version=2)


def test_language_codes_and_fallbacks() -> None:
    catalog = Catalog()
    assert catalog.text("button.support", "fr") == "Soutenir"
    assert catalog.text("button.support", "fr-CA") == "Soutenir"
    assert catalog.text("button.support", "es_MX") == "Apoyar"
    assert catalog.text("button.support", "pt-BR") == "Support"  # not ours: English
    assert catalog.text("button.support", None) == "Support"
    assert i18n.supported("FR") == "fr" and i18n.supported("de") == "en"
    assert i18n.base("pt-BR") == "pt" and i18n.base("") is None and i18n.base("1; drop") is None


def test_a_translation_that_does_not_fit_falls_back_to_english() -> None:
    broken = Catalog(
        {
            "fr": {
                "round.closed": "Le tour {missing} est clos.",
                "review.done": ("Un {missing}", "Merci pour les {missing} paragraphes"),
            }
        }
    )
    assert broken.text("round.closed", "fr", number=2) == "Round 2 is closed."
    assert broken.text("review.done", "fr", count=1).startswith("You have answered the draft's")
    assert broken.text("review.done", "fr", count=3).startswith("You have answered all 3")
    with pytest.raises(KeyError):
        broken.text("round.closed", "en")  # an English template that does not fit is a bug


def test_the_extractor_finds_every_key_as_pgettext() -> None:
    source = (ROOT / "bot" / "messages.py").read_bytes()
    found = {
        context: message
        for _, message, _, context in extract(i18n.extract_messages, io.BytesIO(source))
    }
    assert found == ENGLISH
    # the same through the entry point, as `pybabel extract` finds it
    by_name = list(extract("consultbot_catalog", io.BytesIO(source)))
    assert len(by_name) == len(ENGLISH)


def test_extraction_keeps_translations_and_marks_reworded_ones_fuzzy(tmp_path: Path) -> None:
    first: dict[str, i18n.English] = {"a.hello": "Hello {name}", "a.bye": "Goodbye"}
    i18n.extract(tmp_path, first)
    path = i18n.po_path("fr", tmp_path)
    catalog = read_po(path.open("rb"), locale="fr")
    catalog.get("Hello {name}", context="a.hello").string = "Bonjour {name}"
    catalog.get("Goodbye", context="a.bye").string = "Au revoir"
    path.write_bytes(i18n._po_text(catalog).encode())

    second: dict[str, i18n.English] = {
        "a.hello": ("Hello {count} person", "Hello {count} people"),  # now counted
        "a.bye": "Goodbye, and thank you",
        "a.new": "Goodbye!",
    }
    assert path in i18n.extract(tmp_path, second)
    catalog = read_po(path.open("rb"), locale="fr")
    counted = catalog.get("Hello {count} person", context="a.hello")
    assert counted.string == ("Bonjour {name}",) * 3 and counted.fuzzy  # in each form
    reworded = catalog.get("Goodbye, and thank you", context="a.bye")
    assert reworded.string == "Au revoir" and reworded.fuzzy
    assert catalog.get("Goodbye!", context="a.new").string == ""  # no borrowed look-alike
    spanish = read_po(i18n.po_path("es", tmp_path).open("rb"), locale="es")
    assert not any(i18n.translated(m) for m in spanish if m.id)  # French stays in French
    assert i18n.extract(tmp_path, second) == []  # nothing new: files untouched


def test_catalogs_load_from_mo_and_else_from_po(tmp_path: Path) -> None:
    mo_only, po_only = tmp_path / "mo", tmp_path / "po"
    target = i18n.mo_path("fr", mo_only)
    target.parent.mkdir(parents=True)
    target.write_bytes(i18n.compile_po(i18n.po_path("fr")))
    shutil.copytree(i18n.LOCALE_DIR, po_only)
    assert not list(po_only.rglob("*.mo"))
    for where in (mo_only, po_only):
        found = i18n.translations("fr", where)
        assert isinstance(found, gettext.GNUTranslations)
        assert found.pgettext("button.support", ENGLISH["button.support"]) == "Soutenir"
    nothing = i18n.translations("es", mo_only)
    assert nothing.pgettext("button.support", "Support") == "Support"


def test_the_build_compiles_the_catalogs_into_the_package(tmp_path: Path) -> None:
    """setup.py's build_py (what `pip install .` runs) puts a .mo beside each .po."""
    pytest.importorskip("setuptools")
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("bot", "adapters", "consultations", "storage"):
        shutil.copytree(
            ROOT / package,
            source / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
        )
    built = tmp_path / "build"
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(built)],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )
    locale = built / "bot" / "locale"
    assert (locale / "messages.pot").exists()
    for language in i18n.TRANSLATED:
        assert i18n.po_path(language, locale).exists()
        compiled = i18n.mo_path(language, locale).read_bytes()
        loaded = gettext.GNUTranslations(io.BytesIO(compiled))
        assert loaded.pgettext("button.support", ENGLISH["button.support"]) != "Support"
