"""Every format honours the attribution policy and erasure: nobody is identified."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from bot.catalog import Catalog
from consultations.exports import EXPORTERS, Record, render
from tests.exports.played import HIDDEN, IDENTIFYING, PEOPLE, Played

PSEUDONYM = re.compile(r"\bp-[0-9a-f]{12}\b")


def t(key: str, **values: object) -> str:
    return Catalog().text(key, None, **values)


def readable(fmt: str, content: bytes) -> str:
    """All the text a reader of the file could find, Word's XML parts included."""
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = [n for n in archive.namelist() if n.endswith((".xml", ".rels"))]
            return "\n".join(archive.read(name).decode() for name in parts)
    return content.decode("utf-8-sig")


def every_format(record: Record) -> dict[str, str]:
    return {fmt: readable(fmt, render(record, fmt, t)[2]) for fmt in EXPORTERS}


async def test_by_group_by_default_no_name_or_organisation_anywhere(played: Played) -> None:
    for version in (None, 1):
        for fmt, text in every_format(played.record(version)).items():
            for word in IDENTIFYING:
                assert word.lower() not in text.lower(), (fmt, word)
            assert not PSEUDONYM.search(text), fmt  # not even the internal pseudonyms
            assert HIDDEN not in text, fmt
            assert "a member of Government" in text, fmt


async def test_names_where_the_policy_says_so_but_never_for_someone_erased(
    played: Played,
) -> None:
    record = played.record(attribution="name")
    for fmt, text in every_format(record).items():
        assert "Quinta (Government)" in text, fmt  # she agreed to be named
        # xiomara did not agree: her group only
        assert "Xiomara" not in text and "a member of Private sector" in text, fmt
        # rurik erased his data: his input stays, as a member of his group only
        assert "Rurik" not in text and PEOPLE["rurik"][1] not in text, fmt
        assert "a member of Civil society" in text, fmt
        # Word's revisions are the group's amendments, whatever the policy
        if fmt == "docx":
            assert 'w:author="Private sector (amendment #' in text


@pytest.mark.parametrize("policy", ["organisation", "group"])
async def test_organisations_only_where_the_policy_says_so(played: Played, policy: str) -> None:
    record = played.record(attribution=policy)
    for fmt, text in every_format(record).items():
        assert (PEOPLE["quinta"][1] in text) is (policy == "organisation"), fmt
        assert "Quinta " not in text and "Rurikov" not in text, fmt
        assert PEOPLE["xiomara"][1] not in text, fmt


async def test_the_json_never_says_who_gave_which_input(played: Played) -> None:
    """Delegates are counted (a point "raised by 3 delegates"), never identified: a person's
    id on each input would link everything one person said."""
    record = played.record()
    assert any(
        i.person is not None
        for r in record.rounds
        for p in r.summary.paragraphs
        for i in p.comments
    )
    text = readable("json", render(record, "json", t)[2])
    assert '"person"' not in text
