"""Properties that must hold for any input: the draft parser, amendments and diffs, commands.

* The draft parser, on any text, bytes or file name, returns normalised paragraphs or
  raises a `ConsultationError` (which the bot turns into a sentence) — nothing else.
* An accepted amendment, applied with `next_version` and compared with the version it
  came from, gives back exactly the amendment's text as the new paragraph and the old
  text as the old one; the other paragraphs do not change.
* `Command.parse` of any text returns typed values or raises `UsageError`;
  `split_command` never raises.
* Any text the bot sends is split into parts that each fit one platform message
  (Telegram's UTF-16 units, Matrix's event bytes), none blank, nothing lost but the
  white space where it was cut.
"""

from __future__ import annotations

import io
import string
import zipfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters.kit import Measure, split_text
from adapters.matrix.translate import event_size
from adapters.telegram.translate import utf16_len
from bot import handlers  # noqa: F401  (declares the commands)
from bot.commands import Command, UsageError, registry, split_bare, split_command
from consultations.diffing import changed, new_text, old_text, render_plain
from consultations.document import Document, NoteKind
from consultations.drafts import parse_docx, parse_draft_file, parse_text
from consultations.errors import (
    AmendmentConflict,
    ConsultationError,
    EmptyDraft,
    NothingToPublish,
)
from consultations.model import Kind
from consultations.submissions import check_text, clean_text
from consultations.summary import Paragraph
from consultations.versions import Accepted, Merge, compare, next_version

# ---- strategies ---------------------------------------------------------------------------

# Characters a hostile or careless author might paste: every line break Unicode knows,
# controls, invisibles, bidi marks, combining marks, Markdown punctuation.
_awkward = st.sampled_from(
    list("\n\r\t\v\f\x00\x1b\x7f\x85\u2028\u2029\u200b\u200c\u200d\u2060\ufeff\u202e\u2066")
    + list("\u0301\u0336#>-*+_=()[]`<!-1.aiv) ")
    + ["\r\n", "\n\n", "<!--", "-->", "# ", "## ", "> ", "1. ", "(a) ", "- ", "---", "==="]
)
_words = st.sampled_from(["States", "shall", "not", "export", "spyware", "Title", "é", "ﷺ"])
_markdownish = st.lists(st.one_of(_awkward, _words, st.text(max_size=4)), max_size=60).map("".join)
any_text = st.one_of(st.text(), _markdownish)

_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def _normalised(paragraph: str) -> bool:
    """One line, single spaces, no leading or trailing space, no control characters."""
    return (
        paragraph == " ".join(paragraph.split())
        and not any(ch in _LINE_BREAKS or ch == "\t" for ch in paragraph)
        and not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in paragraph)
    )


def _check_draft(draft: Document) -> None:
    assert draft.paragraphs
    for paragraph in draft.texts:
        assert paragraph and _normalised(paragraph), repr(paragraph)
    for part in (*draft.headings, *draft.notes):  # a table keeps its rows and cells apart
        assert part.text, part
        if getattr(part, "kind", None) is not NoteKind.TABLE:
            assert _normalised(part.text), repr(part.text)
    if draft.title is not None:
        assert draft.title and _normalised(draft.title), repr(draft.title)


# ---- the draft parser ---------------------------------------------------------------------


@given(any_text)
@example("# Title\n\n1. One\n2. Two\n\n> quoted\n\n---\n\n<!-- hidden -->\n\nLast.")
@example("\u2029\u2029\v\f\x85")
@example("<!--" * 50)
def test_parse_text_gives_normalised_paragraphs_or_a_consultation_error(text: str) -> None:
    try:
        draft = parse_text(text)
    except ConsultationError:
        return
    _check_draft(draft)


@given(st.text(), st.binary(max_size=2000))
@example("draft.md", b"\xff\xfeF\x00i\x00r\x00s\x00t\x00")  # UTF-16 with a BOM
@example("draft.docx", b"PK\x03\x04")
@example("DRAFT.MD", b"# T\n\nBody.")
@example(".docx", b"")
def test_parse_draft_file_raises_nothing_but_consultation_errors(name: str, data: bytes) -> None:
    try:
        draft = parse_draft_file(name, data)
    except ConsultationError:
        return
    _check_draft(draft)


@st.composite
def _damaged_zips(draw: st.DrawFn) -> bytes:
    """A zip with Word-like member names and random contents, maybe cut or overwritten."""
    buffer = io.BytesIO()
    names = draw(
        st.lists(
            st.sampled_from(
                ["[Content_Types].xml", "word/document.xml", "_rels/.rels", "word/styles.xml"]
            ),
            max_size=4,
            unique=True,
        )
    )
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, draw(st.binary(max_size=200)))
    data = buffer.getvalue()
    if data and draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=20))
    return data


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=500), _damaged_zips()))
def test_parse_docx_raises_nothing_but_consultation_errors(data: bytes) -> None:
    try:
        draft = parse_docx(data)
    except ConsultationError:
        return
    _check_draft(draft)


# Text python-docx can store: XML 1.0 characters only.
_xml_text = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(0x20) if c not in (9, 10, 13))
        + "\ufffe\uffff",
    ),
    max_size=80,
)


@settings(deadline=None, max_examples=30)
@given(st.lists(_xml_text, min_size=1, max_size=6))
def test_a_real_docx_gives_normalised_paragraphs(texts: list[str]) -> None:
    import docx

    document = docx.Document()
    for text in texts:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    try:
        draft = parse_docx(out.getvalue())
    except EmptyDraft:  # a real .docx is only refused when nothing in it is a paragraph
        return
    _check_draft(draft)


def test_parsed_paragraphs_can_be_stored_as_utf8() -> None:
    draft = parse_text("First \ud800 paragraph.\n\nSecond.")
    for paragraph in draft.texts:
        paragraph.encode("utf-8")


# ---- amendments: applying, then diffing, gives back the amendment ----------------------------

_sentence = st.lists(
    st.sampled_from(["States", "shall", "should", "not", "export", ",", ".", "spyware", "é"]),
    min_size=1,
    max_size=25,
).map(" ".join)
_raw_amendment = st.one_of(_sentence, any_text, st.text(min_size=1))


@st.composite
def _versions(draw: st.DrawFn) -> tuple[list[Paragraph], int, str]:
    """A version's paragraphs, the index of one to amend, and the amendment as typed."""
    texts = draw(st.lists(_sentence, min_size=1, max_size=6))
    paragraphs = [Paragraph(f"p{i}", i, text) for i, text in enumerate(texts, start=1)]
    return paragraphs, draw(st.integers(0, len(texts) - 1)), draw(_raw_amendment)


@given(_versions())
@example(([Paragraph("p1", 1, "States shall not export spyware .")], 0, "States shall export."))
@example(([Paragraph("p1", 1, "a")], 0, "a  \u200b b"))
def test_applying_an_amendment_then_diffing_gives_back_the_amendment(
    case: tuple[list[Paragraph], int, str],
) -> None:
    paragraphs, index, typed = case
    target = paragraphs[index]
    try:  # what the bot stores: the cleaned text, if acceptable at all
        amendment = check_text(Kind.AMENDMENT, typed, target.text)
    except ConsultationError:
        return
    nxt = next_version(paragraphs, [Accepted(42, target.uid, amendment)])
    assert [p.uid for p in nxt] == [p.uid for p in paragraphs]  # uids are stable
    assert nxt[index].sources == [42]
    new = [Paragraph(p.uid, number, p.text) for number, p in enumerate(nxt, start=1)]
    changes = compare(paragraphs, new)
    assert [c.uid for c in changes] == [target.uid]
    ops = changes[0].ops
    assert new_text(ops) == amendment
    assert old_text(ops) == target.text
    assert changed(ops)
    # the rendered diff carries every inserted and deleted character
    rendered = render_plain(ops)
    assert all(op.text in rendered for op in ops)


@given(_versions(), st.data())
def test_amendments_on_several_paragraphs_each_come_back(
    case: tuple[list[Paragraph], int, str], data: st.DataObject
) -> None:
    paragraphs, _, _ = case
    chosen = data.draw(st.lists(st.sampled_from(paragraphs), unique_by=lambda p: p.uid, min_size=1))
    accepted = []
    for number, paragraph in enumerate(chosen, start=1):
        text = clean_text(data.draw(_sentence) + f" amended {number}")
        accepted.append(Accepted(number, paragraph.uid, text))
    nxt = next_version(paragraphs, accepted)
    new = [Paragraph(p.uid, number, p.text) for number, p in enumerate(nxt, start=1)]
    by_uid = {c.uid: c.ops for c in compare(paragraphs, new)}
    old_by_uid = {p.uid: p.text for p in paragraphs}
    assert set(by_uid) == {a.paragraph_uid for a in accepted}
    for item in accepted:
        assert new_text(by_uid[item.paragraph_uid]) == item.text
        assert old_text(by_uid[item.paragraph_uid]) == old_by_uid[item.paragraph_uid]


@given(_versions(), _sentence, _sentence)
def test_two_accepted_amendments_on_one_paragraph_conflict(
    case: tuple[list[Paragraph], int, str], first: str, second: str
) -> None:
    paragraphs, index, _ = case
    uid = paragraphs[index].uid
    with pytest.raises(AmendmentConflict):
        next_version(paragraphs, [Accepted(1, uid, first), Accepted(2, uid, second)])
    with pytest.raises(NothingToPublish):
        next_version(paragraphs, [])


@given(_versions(), _sentence, _sentence, _raw_amendment)
def test_a_merge_of_two_amendments_comes_back_as_the_new_paragraph(
    case: tuple[list[Paragraph], int, str], first: str, second: str, typed: str
) -> None:
    paragraphs, index, _ = case
    target = paragraphs[index]
    try:
        merged = check_text(Kind.AMENDMENT, typed, target.text)
    except ConsultationError:
        return
    accepted = [Accepted(7, target.uid, first), Accepted(8, target.uid, second)]
    nxt = next_version(paragraphs, accepted, [Merge(target.uid, merged, (8, 7))])
    assert nxt[index].sources == [7, 8]
    new = [Paragraph(p.uid, number, p.text) for number, p in enumerate(nxt, start=1)]
    changes = compare(paragraphs, new)
    assert [c.uid for c in changes] == [target.uid]
    assert (old_text(changes[0].ops), new_text(changes[0].ops)) == (target.text, merged)


# ---- the command parser -------------------------------------------------------------------

COMMANDS = sorted(registry.commands.values(), key=lambda c: c.name)
_argument_text = st.one_of(
    st.text(),
    st.lists(
        st.one_of(
            st.sampled_from(
                ["1", "0", "-3", "#2", "99999999999999999999999", "3d", "90m", "1w", "0d", "x"]
            ),
            st.sampled_from(["99999d", "1d12h", "²", "١", "1_0", "0x1", " ", "\t", "\n", "#"]),
            st.text(max_size=5),
        ),
        max_size=6,
    ).map(" ".join),
)


def _typed(command: Command, values: dict[str, object]) -> None:
    assert set(values) == {arg.name for arg in command.args}
    for arg in command.args:
        value = values[arg.name]
        if value is None:
            assert arg.optional, arg
            continue
        if arg.convert is str:
            assert isinstance(value, str) and value and value == value.strip()
        elif arg.convert.__name__ == "positive_int":
            assert type(value) is int and value > 0
        else:  # durations and expiries
            assert isinstance(value, timedelta) and value > timedelta(0), (arg, value)


@given(st.sampled_from(COMMANDS), _argument_text)
@example(registry.commands["comment"], "1 text")
@example(registry.commands["withdraw"], "-3")
@example(registry.commands["round open"], "99999d")
@example(registry.commands["accept"], "abc")
@example(registry.commands["support"], "1 2")
@example(registry.commands["invite"], "civil-society 5 3d")
def test_command_parse_returns_typed_values_or_a_usage_error(command: Command, text: str) -> None:
    try:
        values = command.parse(text)
    except UsageError as error:
        assert error.command is command
        assert error.detail in (None, "usage.extra", "usage.bad_value")
        return
    _typed(command, values)


@given(st.text())
@example("/")
@example("/@bot")
@example("!COMMENT@bot 1 text")
@example("/\u00a0x")
@example("/" + "9" * 5000)
def test_split_command_never_raises(text: str) -> None:
    result = split_command(text)
    if result is None:
        return
    name, rest = result
    assert name and name == name.lower()
    assert name.replace("_", "").replace("-", "").isalnum()
    assert rest == rest.strip()
    assert text.strip()[0] in "/!"


@given(st.text(alphabet=string.ascii_lowercase + "_-", min_size=1), st.text())
def test_a_command_line_splits_back_into_its_name_and_arguments(name: str, rest: str) -> None:
    if not name.replace("_", "").replace("-", ""):
        return
    assert split_command(f"/{name} {rest}") == (name, rest.strip())
    assert split_bare(f"{name.upper()}@consultbot {rest}") == (name, rest.strip())


@given(st.lists(st.text(max_size=10), max_size=3))
def test_finding_a_command_never_raises(words: list[str]) -> None:
    found = registry.find(words)
    if found is not None:
        command, used = found
        assert used in (1, 2) and command.name == " ".join(words[:used])


# ---- texts split for a platform --------------------------------------------------------------


@given(any_text, st.integers(min_value=16, max_value=80), st.sampled_from([utf16_len, event_size]))
@example("🇪🇺 " * 40, 16, utf16_len)
@example("a\n\n\n\nb " * 30 + "x" * 100, 20, event_size)
def test_a_long_text_is_split_into_parts_that_each_fit(
    text: str, limit: int, measure: Measure
) -> None:
    parts = split_text(text, limit, measure)
    assert all(part.strip() == part and part for part in parts)
    assert all(measure(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())
