"""Counts read as counts in every export and language: "1 comment", never "1 comments"."""

from __future__ import annotations

import io
import re

import docx
import pytest

from bot.catalog import Catalog
from consultations.exports import render
from tests.exports.played import Clock, Played, play_third_version

# a count of one (or none, in French) followed by a plural noun
WRONG = {
    None: re.compile(r"\b1 (?:comment|paragraph|amendment|group|vote|delegate|input|note)s\b"),
    "fr": re.compile(r"\b[01] (?:commentaire|paragraphe|amendement|groupe|vote|délégué)s\b"),
    "es": re.compile(r"\b1 (?:comentario|párrafo|enmienda|grupo|voto|delegado)s\b"),
}


ONE_PARAGRAPH = {None: "1 paragraph)", "fr": "1 paragraphe)", "es": "1 párrafo)"}


@pytest.mark.parametrize("language", [None, "fr", "es"])
async def test_no_count_of_one_with_a_plural_noun(
    played: Played, clock: Clock, language: str | None
) -> None:
    """Version 3 changes one paragraph of version 2: the diff's header counts one."""
    await play_third_version(played, clock)
    catalog = Catalog()

    def t(key: str, **values: object) -> str:
        return catalog.text(key, language, **values)

    record = played.record()
    for fmt in ("html", "markdown", "docx"):
        content = render(record, fmt, t)[2]
        if fmt == "docx":
            text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
        else:
            text = re.sub(r"<[^>]+>", " ", content.decode())
        assert not WRONG[language].findall(text), (fmt, WRONG[language].findall(text))
        if fmt != "docx":  # the Word file shows the changes as tracked changes instead
            assert ONE_PARAGRAPH[language] in text, (fmt, text)
