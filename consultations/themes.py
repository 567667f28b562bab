"""Themes in what stakeholders wrote: comments about the same thing, gathered and labelled.

A theme is a group of comments on one paragraph, with a short keyword label and one or
two representative quotes, verbatim and carrying their submission ids. Two ways of
placing comments near each other, both offline and on CPU:

- by default, TF-IDF over words and word pairs (English and consultation stop words
  removed), factorised with NMF: each NMF component is a candidate theme, a comment
  belongs to the component that weighs most in it, and the component's heaviest terms
  are its label. On the Pol.is conversations NMF gave themes as readable as k-means on
  LSA vectors, for a tenth of the time, and k-means' silhouette kept rising with k
  (short texts have no clear cluster count), so the number of components follows the
  number of comments instead: about sqrt(n / 2), at most `max_themes`;
- with sentence embeddings (`embed`, a function from texts to vectors; loading a model
  is I/O and lives in the bot), k-means on the normalised vectors, k chosen by the
  silhouette over a small range; labels from class-based TF-IDF of each cluster.

Representative quotes are the comments nearest the theme's centre (cosine); the nearest
few are re-ranked by support (endorsements, or agree votes in Pol.is data), so of the
comments that say what the theme says, the one most people backed comes first.

Heavy libraries (numpy, scikit-learn) are imported when themes are first computed, not
when the module is imported, so the command line starts fast.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from consultations.ids import SubmissionId

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vectors = NDArray[np.floating[Any]]

Embed = Callable[[Sequence[str]], "Vectors"]
"""Texts in, one row per text out (any scale; rows are normalised here)."""


class Method(StrEnum):
    """What produced a summary's themes, or its prose."""

    TFIDF = "tfidf"  # extractive: TF-IDF and NMF
    EMBEDDINGS = "embeddings"  # extractive: sentence embeddings and k-means
    ABSTRACTIVE = "abstractive"  # prose written by a language model over the extractive summary


# Words that say nothing about what a comment is about in a consultation: the
# procedure's own vocabulary, stance words, hedges, and the pieces of contractions.
# fmt: off
CONSULTATION_STOP_WORDS = frozenset(
    (
        "paragraph", "paragraphs", "para", "statement", "statements", "text", "draft", "drafting",
        "wording", "word", "words", "sentence", "clause", "clauses", "section", "sections",
        "article", "articles", "point", "points", "line", "version", "amendment", "amendments",
        "amend", "comment", "comments", "propose", "proposed", "proposal", "suggest", "suggested",
        "we", "us", "our", "ours", "should", "shall", "must", "would", "could", "may", "might",
        "need", "needs", "needed", "think", "believe", "feel", "agree", "agreed", "disagree",
        "support", "supports", "oppose", "opposed", "like", "just", "really", "also", "lot",
        "lots", "thing", "things", "way", "ways", "make", "makes", "made", "want", "wants", "good",
        "better", "best", "important", "ensure", "include", "including", "includes", "use", "used",
        "using", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won", "wouldn",
        "shouldn", "couldn", "can", "cannot", "ll", "ve", "re", "yes", "ok", "okay", "etc", "eg",
        "ie", "please", "maybe", "perhaps", "rather", "quite",
    )
)
# fmt: on


# A word: letters, joined by hyphens or apostrophes ("decision-making", "don't").
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def stop_words() -> frozenset[str]:
    """English stop words (scikit-learn's list) and the consultation's own."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # type: ignore[import-untyped,unused-ignore]

    return frozenset(ENGLISH_STOP_WORDS) | CONSULTATION_STOP_WORDS


@dataclass(frozen=True)
class Comment:
    """One comment as theme-finding sees it."""

    id: SubmissionId
    text: str
    group_key: str | None = None
    author: str = ""
    support: int = 0  # endorsements (in Pol.is data: agree votes)


@dataclass(frozen=True)
class Quote:
    """A comment quoted verbatim for a theme."""

    id: SubmissionId
    text: str
    author: str
    group_key: str | None
    support: int


@dataclass(frozen=True)
class Theme:
    label: str  # the keywords, joined: "pest control · poison"
    keywords: tuple[str, ...]
    ids: tuple[SubmissionId, ...]  # every comment gathered, nearest the centre first
    groups: Mapping[str, int]  # stakeholder group key -> comments of the theme from it
    quotes: tuple[Quote, ...]

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class ThemeOptions:
    max_themes: int = 8
    quotes: int = 2  # per theme
    candidates: int = 5  # nearest comments that support may re-rank
    min_comments: int = 5  # fewer comments than this are shown as they are, without themes
    min_size: int = 2  # a cluster smaller than this is not a theme
    keywords: int = 3
    seed: int = 0
    extra_stop_words: tuple[str, ...] = ()


DEFAULT_THEMES = ThemeOptions()


def find_themes(
    comments: Sequence[Comment],
    *,
    embed: Embed | None = None,
    options: ThemeOptions = DEFAULT_THEMES,
) -> tuple[Theme, ...]:
    """The themes of one set of comments, largest first."""
    return themes_by_section({"": comments}, embed=embed, options=options)[""]


def themes_by_section(
    sections: Mapping[str, Sequence[Comment]],
    *,
    embed: Embed | None = None,
    options: ThemeOptions = DEFAULT_THEMES,
) -> dict[str, tuple[Theme, ...]]:
    """Themes of each section (a paragraph's comments), found separately.

    With `embed`, every comment that will be clustered is embedded in one call, so a
    model pays its per-call overhead once per summary, not once per paragraph.
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]

    texts = [c.text for key in sections for c in _clusterable(sections[key], options)]
    vectors = _normalised(embed(texts)) if embed is not None and texts else None
    result: dict[str, tuple[Theme, ...]] = {}
    start = 0
    # One BLAS thread: a paragraph's matrices are small (hundreds of comments), and on
    # two cores a second thread made NMF three to four times slower, not faster.
    with threadpool_limits(limits=1):
        for key, comments in sections.items():
            kept = _clusterable(comments, options)
            if not kept:
                result[key] = ()
                continue
            rows = vectors[start : start + len(kept)] if vectors is not None else None
            start += len(kept)
            result[key] = _themes(kept, rows, options)
    return result


def _clusterable(comments: Sequence[Comment], options: ThemeOptions) -> list[Comment]:
    usable = [c for c in comments if c.text and c.text.strip()]
    return usable if len(usable) >= options.min_comments else []


def _normalised(vectors: Vectors) -> Vectors:
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


class Terms:
    """A comment's terms: its words, and the pairs of words that stand side by side in it.

    Stop words are dropped, but never bridged over: "representation will reduce" gives no
    pair, where scikit-learn's own n-grams, taken after removing stop words, would make
    "representation reduce". Contractions ("don't") are left out; "NZ's" counts as "nz".
    """

    def __init__(self, stop: frozenset[str]) -> None:
        self.stop = stop

    def __call__(self, text: str) -> list[str]:
        words: list[str | None] = []
        stop = self.stop
        for found in WORD.findall(text.lower()):
            word = (
                found.replace("’", "'").removesuffix("'s")
                if "'" in found or "’" in found
                else found
            )
            keep = len(word) > 1 and "'" not in word and word not in stop
            words.append(word if keep else None)
        terms = [w for w in words if w is not None]
        terms += [f"{a} {b}" for a, b in itertools.pairwise(words) if a and b]
        return terms


def theme_count(n: int, options: ThemeOptions) -> int:
    """How many NMF components to ask for: about sqrt(n / 2), between 2 and max_themes."""
    return max(2, min(options.max_themes, round(math.sqrt(n / 2)), n - 1))


def _themes(
    comments: list[Comment], vectors: Vectors | None, options: ThemeOptions
) -> tuple[Theme, ...]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped,unused-ignore]

    n = len(comments)
    vectorizer = TfidfVectorizer(
        analyzer=Terms(stop_words() | set(options.extra_stop_words)),
        min_df=2 if n >= 20 else 1,
        max_df=0.5 if n >= 20 else 1.0,
        sublinear_tf=True,
    )
    try:
        tfidf = vectorizer.fit_transform([c.text for c in comments])
    except ValueError:  # nothing but stop words: nothing to gather comments by
        return ()
    terms = vectorizer.get_feature_names_out()
    if vectors is None:
        labels, keywords = _nmf(tfidf, terms, options)
        space: Any = tfidf
    else:
        labels = _kmeans(vectors, options)
        keywords = _class_keywords(tfidf, terms, labels, options)
        space = vectors
    themes = []
    for cluster in sorted(set(int(x) for x in labels if x >= 0)):
        members = np.flatnonzero(labels == cluster)
        if len(members) < options.min_size:
            continue
        nearest, closeness = _nearest_to_centre(space, members)
        chosen = [comments[i] for i in nearest]
        words = keywords.get(cluster, ())
        if not words:
            continue
        groups = Counter(c.group_key for c in chosen if c.group_key is not None)
        themes.append(
            Theme(
                label=" · ".join(words),
                keywords=words,
                ids=tuple(c.id for c in chosen),
                groups=dict(sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))),
                quotes=_quotes(chosen, closeness, options),
            )
        )
    themes.sort(key=lambda t: (-t.size, t.label))
    return tuple(themes)


def _nmf(
    tfidf: Any, terms: Sequence[str], options: ThemeOptions
) -> tuple[Vectors, dict[int, tuple[str, ...]]]:
    import numpy as np
    from sklearn.decomposition import NMF  # type: ignore[import-untyped,unused-ignore]

    n, vocabulary = tfidf.shape
    k = min(theme_count(n, options), vocabulary)
    if k < 2:
        return np.zeros(n, dtype=int), {
            0: _label(terms, np.asarray(tfidf.sum(axis=0)).ravel(), options)
        }
    model = NMF(n_components=k, init="nndsvda", random_state=options.seed, tol=1e-3, max_iter=200)
    weights = model.fit_transform(tfidf)
    labels = weights.argmax(axis=1)
    labels[weights.max(axis=1) <= 0] = -1  # a comment of stop words only belongs nowhere
    keywords = {j: _label(terms, model.components_[j], options) for j in range(k)}
    return labels, keywords


def _kmeans(vectors: Vectors, options: ThemeOptions) -> Vectors:
    import numpy as np
    from sklearn.cluster import KMeans  # type: ignore[import-untyped,unused-ignore]
    from sklearn.metrics import silhouette_score  # type: ignore[import-untyped,unused-ignore]

    n = len(vectors)
    best: tuple[float, Any] | None = None
    for k in range(2, max(2, min(options.max_themes, n // 3)) + 1):
        if k >= n:
            break
        labels = KMeans(n_clusters=k, n_init=3, random_state=options.seed).fit_predict(vectors)
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(vectors, labels, metric="cosine"))
        if best is None or score > best[0]:
            best = (score, labels)
    return best[1] if best is not None else np.zeros(n, dtype=int)


def _class_keywords(
    tfidf: Any, terms: Sequence[str], labels: Vectors, options: ThemeOptions
) -> dict[int, tuple[str, ...]]:
    """Each cluster's terms, weighed by how much more it uses them than the others do."""
    import numpy as np

    overall = np.asarray(tfidf.mean(axis=0)).ravel()
    keywords = {}
    for cluster in set(int(x) for x in labels if x >= 0):
        rows = np.flatnonzero(labels == cluster)
        inside = np.asarray(tfidf[rows].mean(axis=0)).ravel()
        keywords[cluster] = _label(terms, inside * np.log1p(inside / (overall + 1e-12)), options)
    return keywords


CLOSE_ENOUGH = 0.6  # a quote candidate is at least this close to the centre as the nearest
PAIR_WEIGHT = 0.6  # a word pair replaces its word in a label from this share of its weight


def _label(terms: Sequence[str], scores: Vectors, options: ThemeOptions) -> tuple[str, ...]:
    """The heaviest terms, a word pair standing in for the single word it contains."""
    import numpy as np

    chosen: dict[str, float] = {}  # term -> score, in order of choice
    for index in np.argsort(-scores, kind="stable")[: 6 * options.keywords]:
        score = float(scores[index])
        if score <= 0:
            break
        term = str(terms[index])
        words = set(term.split())
        overlapping = [c for c in chosen if set(c.split()) & words]
        if not overlapping:
            if len(chosen) < options.keywords:
                chosen[term] = score
        elif (
            len(words) > 1
            and all(" " not in c for c in overlapping)
            and score >= PAIR_WEIGHT * min(chosen[c] for c in overlapping)
        ):
            # "pest control" stands in for "pest", "new zealand" for "new" and "zealand",
            # when it weighs nearly as much as they do
            first = overlapping[0]
            chosen = {
                (term if c == first else c): v
                for c, v in chosen.items()
                if c == first or c not in overlapping
            }
    return tuple(chosen)


def _nearest_to_centre(space: Any, members: Any) -> tuple[list[int], list[float]]:
    """Member indices, nearest to the members' centre first, and their closeness to it."""
    import numpy as np

    # Rows are unit vectors (TF-IDF rows are l2-normalised, embeddings normalised above),
    # so the dot product with the centre orders them as the cosine does.
    rows = space[members]
    centre = np.asarray(rows.mean(axis=0)).ravel()
    similarity = np.asarray(rows @ centre).ravel()
    order = np.argsort(-similarity, kind="stable")
    return [int(members[i]) for i in order], [float(similarity[i]) for i in order]


def _quotes(
    nearest: Sequence[Comment], closeness: Sequence[float], options: ThemeOptions
) -> tuple[Quote, ...]:
    """The nearest few comments, the most supported first; one quote per distinct text.

    Only comments nearly as close to the centre as the nearest one compete on support,
    so a popular comment on the edge of the theme does not speak for it.
    """
    best = closeness[0] if closeness else 0.0
    candidates = [
        c
        for c, near in zip(nearest[: options.candidates], closeness, strict=False)
        if near >= CLOSE_ENOUGH * best
    ]
    ranked = sorted(enumerate(candidates), key=lambda pair: (-pair[1].support, pair[0]))
    quotes: list[Quote] = []
    seen: set[str] = set()
    for _, c in ranked:
        if c.text.casefold() in seen:
            continue
        seen.add(c.text.casefold())
        quotes.append(Quote(c.id, c.text, c.author, c.group_key, c.support))
        if len(quotes) == options.quotes:
            break
    return tuple(quotes)
