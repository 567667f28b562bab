"""Points: what was said, once, however many delegates said it.

Twenty delegates who send the same sentence make one point "raised by 20 delegates from
2 groups", not twenty comments that crowd out everything else (nor, as TF-IDF alone would
have it, words in more than half the comments, dropped as saying nothing). Comments in
one language make one point when their words are the same, case, punctuation and spacing
aside, or nearly so: rapidfuzz's similarity (normalised Indel distance) of `near` in 100
or more, which forgives a typo or a word added, provided they have the same negations and
the same numbers, since "must" and "must not", "30 days" and "90 days" are not one point.

A point speaks with the words of its most endorsed comment (the earliest among equals),
and keeps every comment's id, so nothing said is dropped and every count can be checked.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from consultations.ids import SubmissionId

NEAR = 90  # similarity (0-100) from which two comments are the same point
NEAR_LIMIT = 4000  # distinct texts past which only identical ones are gathered (time, memory)

SHARED = 0.5  # texts sharing fewer of their words than this are never near-identical
_TOKEN = re.compile(r"\w+")
_NUMBER = re.compile(r"\w*\d\w*")


@dataclass(frozen=True)
class Comment:
    """One comment as theme-finding sees it."""

    id: SubmissionId
    text: str
    group_key: str | None = None
    author: str = ""
    support: int = 0  # endorsements (in Pol.is data: agree votes)
    # who wrote it, to count delegates: never shown, never exported
    person: int | None = field(default=None, compare=False, metadata={"private": True})
    language: str | None = None  # the language its author works in, where known


@dataclass(frozen=True)
class Point:
    """One thing said by one or more delegates, quoted verbatim from one of them."""

    id: SubmissionId  # the comment quoted
    text: str
    author: str
    group_key: str | None
    support: int  # endorsements of every comment that makes the point
    language: str = ""
    ids: tuple[SubmissionId, ...] = ()  # every comment making it, the quoted one first
    groups: Mapping[str, int] = field(default_factory=dict)  # comments per group key
    delegates: int = 1  # people who made it
    # the comments making it in other words than the quoted one's: (id, text), verbatim
    variants: tuple[tuple[SubmissionId, str], ...] = ()

    @property
    def count(self) -> int:
        """Comments that make the point."""
        return len(self.ids) or 1


def normalised(text: str) -> str:
    """The text as comparing two comments sees it: lower case, words and numbers only."""
    return " ".join(_TOKEN.findall(unicodedata.normalize("NFC", text).casefold()))


def gather(
    comments: Sequence[Comment],
    language: str = "",
    negations: frozenset[str] = frozenset(),
    near: int = NEAR,
) -> list[Point]:
    """The points `comments` (all in `language`) make, the most often made first."""
    same: dict[str, list[Comment]] = {}
    for c in sorted(comments, key=lambda c: c.id):
        same.setdefault(normalised(c.text), []).append(c)
    keys = sorted(same, key=lambda k: (-len(same[k]), same[k][0].id))
    leaders = _near_leaders(keys, negations, near)
    members: dict[int, list[Comment]] = {}
    for index, leader in enumerate(leaders):
        members.setdefault(leader, []).extend(same[keys[index]])
    found = [_point(group, language) for group in members.values()]
    found.sort(key=lambda p: (-p.count, -p.support, p.id))
    return found


def _signature(key: str, negations: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    words = key.split()
    return (
        tuple(sorted(w for w in words if w in negations)),
        tuple(sorted(_NUMBER.findall(key))),
    )


def _near_leaders(keys: Sequence[str], negations: frozenset[str], near: int) -> list[int]:
    """For each text, the index of the text whose point it joins (itself if it leads one).

    Texts are taken most frequent first; each joins the first leader it is near, so a
    point never drifts along a chain of small differences. Only texts that share most of
    their words are compared letter by letter: a sparse product finds them at once.
    """
    leaders = list(range(len(keys)))
    if len(keys) < 2 or len(keys) > NEAR_LIMIT:
        return leaders
    import numpy as np
    from rapidfuzz import fuzz
    from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-untyped,unused-ignore]

    # Words in most texts ("the", "de") make every pair share something: left out, they
    # leave the product sparse; texts that share most of their other words remain.
    common = 0.4 if len(keys) >= 20 else 1.0
    try:
        incidence = CountVectorizer(binary=True, analyzer=str.split, max_df=common).fit_transform(
            keys
        )
    except ValueError:
        # Every word is in most texts (a small vocabulary said many ways): no two texts
        # share the words that tell texts apart, as with an empty row below; none is near.
        return leaders
    sizes = np.asarray(incidence.sum(axis=1)).ravel()
    shared = (incidence @ incidence.T).tocoo()
    close = shared.data >= SHARED * np.maximum(sizes[shared.row], sizes[shared.col])
    candidates: dict[int, list[int]] = {}
    for i, j in zip(shared.row[close].tolist(), shared.col[close].tolist(), strict=True):
        if j > i:
            candidates.setdefault(i, []).append(j)
    signatures: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def signature(index: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if index not in signatures:
            signatures[index] = _signature(keys[index], negations)
        return signatures[index]

    taken = [False] * len(keys)
    for i in range(len(keys)):
        if taken[i]:
            continue
        for j in sorted(candidates.get(i, ())):
            if (
                not taken[j]
                and fuzz.ratio(keys[i], keys[j], score_cutoff=near)
                and signature(j) == signature(i)
            ):
                taken[j] = True
                leaders[j] = i
    return leaders


def _point(comments: Sequence[Comment], language: str) -> Point:
    speaker = max(comments, key=lambda c: (c.support, -c.id))
    people = {c.person for c in comments if c.person is not None}
    anonymous = sum(1 for c in comments if c.person is None)
    groups = Counter(c.group_key for c in comments if c.group_key is not None)
    variants: dict[str, SubmissionId] = {}
    for c in comments:
        if c.text != speaker.text:
            variants.setdefault(c.text, c.id)
    return Point(
        id=speaker.id,
        text=speaker.text,
        author=speaker.author,
        group_key=speaker.group_key,
        support=sum(c.support for c in comments),
        language=language,
        ids=(speaker.id, *(c.id for c in comments if c.id != speaker.id)),
        groups=dict(sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))),
        delegates=len(people) + anonymous,
        variants=tuple((i, text) for text, i in variants.items()),
    )
