"""Show what an amendment changes in a paragraph, word by word.

Delegates read amendments as "strike these words, insert those", so the diff works on
words, not characters or lines. Both versions are cut into tokens (runs of letters and
digits, runs of whitespace, single punctuation marks), compared with difflib, and the
result is a list of operations from which either version can be rebuilt exactly: the
'equal' and 'delete' texts make the old paragraph, the 'equal' and 'insert' texts the new.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Literal

DiffKind = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class DiffOp:
    """One stretch of text, kept, inserted or deleted."""

    kind: DiffKind
    text: str


# Every character falls in exactly one alternative, so the tokens join back to the text.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


# difflib compares every token of one side with the matching tokens of the other, so its
# time grows with the product of the lengths. Past this product (about a thousand words
# rewritten on each side) the rewritten stretch is shown as one deletion and one insertion.
_MAX_COMPARISONS = 4_000_000


def word_diff(old: str, new: str) -> tuple[DiffOp, ...]:
    """The word-level changes that turn `old` into `new`.

    Adjacent operations never share a kind, and no operation is empty. Within one changed
    stretch the deletion comes before the insertion, as in `git diff --word-diff`.
    """
    before = _TOKEN.findall(old)
    after = _TOKEN.findall(new)
    # An amendment usually touches a few words: set the shared start and end aside first.
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while end < min(len(before), len(after)) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    before_middle = before[start : len(before) - end]
    after_middle = after[start : len(after) - end]

    ops = [DiffOp("equal", "".join(before[:start]))]
    if len(before_middle) * len(after_middle) > _MAX_COMPARISONS:
        ops += [DiffOp("delete", "".join(before_middle)), DiffOp("insert", "".join(after_middle))]
    else:
        ops += _compared(before_middle, after_middle)
    ops.append(DiffOp("equal", "".join(before[len(before) - end :])))
    return _merged(_absorb_lone_spaces([op for op in ops if op.text]))


def _compared(before: list[str], after: list[str]) -> list[DiffOp]:
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(DiffOp("equal", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            ops.append(DiffOp("delete", "".join(before[i1:i2])))
        if j2 > j1:
            ops.append(DiffOp("insert", "".join(after[j1:j2])))
    return ops


def _absorb_lone_spaces(ops: list[DiffOp]) -> list[DiffOp]:
    """Fold a space kept between two changes into them.

    Replacing "a b c" by "x y z" should read "[-a b c-]{+x y z+}", not three separate
    replacements held together by the unchanged spaces.
    """
    result: list[DiffOp] = []
    for index, op in enumerate(ops):
        between_changes = 0 < index < len(ops) - 1 and (
            ops[index - 1].kind != "equal" and ops[index + 1].kind != "equal"
        )
        if op.kind == "equal" and between_changes and op.text.isspace():
            result += [DiffOp("delete", op.text), DiffOp("insert", op.text)]
        else:
            result.append(op)
    return result


def _merged(ops: list[DiffOp]) -> tuple[DiffOp, ...]:
    """Join each run of changes into one deletion then one insertion; join equal runs."""
    result: list[DiffOp] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def close_change() -> None:
        if deleted:
            result.append(DiffOp("delete", "".join(deleted)))
        if inserted:
            result.append(DiffOp("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for op in ops:
        if op.kind == "delete":
            deleted.append(op.text)
        elif op.kind == "insert":
            inserted.append(op.text)
        else:
            close_change()
            if result and result[-1].kind == "equal":
                result[-1] = DiffOp("equal", result[-1].text + op.text)
            else:
                result.append(op)
    close_change()
    return tuple(result)


def old_text(ops: Iterable[DiffOp]) -> str:
    """The paragraph before the change."""
    return "".join(op.text for op in ops if op.kind != "insert")


def new_text(ops: Iterable[DiffOp]) -> str:
    """The paragraph after the change."""
    return "".join(op.text for op in ops if op.kind != "delete")


def render_plain(ops: Iterable[DiffOp]) -> str:
    """The change with git's `--word-diff=plain` markers: [-deleted-]{+inserted+}."""
    marked = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(marked[op.kind].format(op.text) for op in ops)


def changed(ops: Iterable[DiffOp]) -> bool:
    """Whether the operations change anything at all."""
    return any(op.kind != "equal" for op in ops)


# ---- how much of a paragraph a proposed text keeps ------------------------------------

_WORD = re.compile(r"\w+")
EDIT_KEEPS = 0.6  # an edit keeps at least this share of the paragraph's words...
EDIT_GROWS = 2.0  # ...and is at most this many times as long
UNRELATED_KEEPS = 0.3  # below this share, the text is not an edit of the paragraph...
UNRELATED_GROWS = 5.0  # ...nor past this many times its length


class Likeness(StrEnum):
    """What a text sent as a paragraph's new wording looks like, against that paragraph."""

    SAME = "same"  # the paragraph itself
    EDIT = "edit"  # mostly the paragraph's own wording, a few words changed
    UNSURE = "unsure"  # much changed: an edit, or a text of its own
    UNRELATED = "unrelated"  # another text (another paragraph, much longer, nothing left)


@dataclass(frozen=True)
class Resemblance:
    likeness: Likeness
    kept: float  # share of the paragraph's words the text keeps, in order (0..1)
    growth: float  # the text's words per word of the paragraph


def resemblance(paragraph: str, text: str) -> Resemblance:
    """How far `text` is an edit of `paragraph`, by words kept in order and by length.

    Both are compared as lowercase words, so a changed comma or capital is still an edit.
    """
    before = [w.lower() for w in _WORD.findall(paragraph)]
    after = [w.lower() for w in _WORD.findall(text)]
    if " ".join(paragraph.split()) == " ".join(text.split()):
        return Resemblance(Likeness.SAME, 1.0, 1.0)
    if not before or not after:
        return Resemblance(Likeness.UNRELATED, 0.0, 0.0 if not after else float(len(after)))
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks()) / len(before)
    growth = len(after) / len(before)
    if kept < UNRELATED_KEEPS or growth > UNRELATED_GROWS:
        likeness = Likeness.UNRELATED
    elif kept >= EDIT_KEEPS and growth <= EDIT_GROWS:
        likeness = Likeness.EDIT
    else:
        likeness = Likeness.UNSURE
    return Resemblance(likeness, kept, growth)
