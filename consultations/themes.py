"""Themes in what stakeholders wrote: comments about the same thing, gathered and labelled.

A paragraph's comments come to points and themes, within each language delegates wrote in:

1. each comment's language is found (`languages.detect`; the author's language where the
   text is too short to tell), and its words are taken as that language needs: its stop
   words, its elisions, its Snowball stems (`languages.Words`);
2. identical or near-identical comments in one language are one point, with its count and
   the people and groups behind it (`points.gather`): never dropped, never counted twice;
3. where a language has at least `min_comments` distinct points, they are gathered into
   themes labelled in that language, with the words as delegates wrote them. Fewer are
   shown as they are: themes from four comments would say less than the comments do.

Themes are found in one of two ways, both offline and on CPU:

- by default, TF-IDF over stems and pairs of adjacent stems, factorised with NMF: each
  NMF component is a candidate theme, a point belongs to the component that weighs most in
  it, and the component's heaviest terms are its label. On the Pol.is conversations NMF
  gave themes as readable as k-means on LSA vectors, for a tenth of the time, and
  k-means' silhouette kept rising with k (short texts have no clear cluster count), so the
  number of components follows the number of points instead: about sqrt(n / 2), at most
  `max_themes`;
- with sentence embeddings (`embed`, a function from texts to vectors; loading a model
  is I/O and lives in the bot), k-means on the normalised vectors, k chosen by the
  silhouette over a small range; labels from class-based TF-IDF of each cluster.

Representative quotes are the points nearest the theme's centre (cosine); the nearest few
are re-ranked by backing (the delegates who made the point and the endorsements of it),
so of the points that say what the theme says, the one most people stand behind comes first.

Heavy libraries (numpy, scikit-learn, the language model) are loaded when themes are
first computed, not when the module is imported, so the command line starts fast.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from consultations.ids import SubmissionId
from consultations.languages import Words, detect
from consultations.points import NEAR, Comment, Point, gather

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vectors = NDArray[np.floating[Any]]

Embed = Callable[[Sequence[str]], "Vectors"]
"""Texts in, one row per text out (any scale; rows are normalised here)."""

__all__ = ["Comment", "Point"]  # what themes are made from and quote, defined in points


class Method(StrEnum):
    """What produced a summary's themes, or its prose."""

    TFIDF = "tfidf"  # extractive: TF-IDF and NMF
    EMBEDDINGS = "embeddings"  # extractive: sentence embeddings and k-means
    ABSTRACTIVE = "abstractive"  # prose written by a language model over the extractive summary


@dataclass(frozen=True)
class Theme:
    label: str  # the keywords, joined: "pest control · poison"
    keywords: tuple[str, ...]
    ids: tuple[SubmissionId, ...]  # every comment gathered, nearest the centre first
    groups: Mapping[str, int]  # stakeholder group key -> comments of the theme from it
    quotes: tuple[Point, ...]
    language: str = ""  # the language of its comments and of its label

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class ThemeOptions:
    max_themes: int = 8
    quotes: int = 2  # per theme
    candidates: int = 5  # nearest points that backing may re-rank
    min_comments: int = 5  # fewer distinct points in a language are shown as they are
    min_size: int = 2  # a cluster of fewer points is not a theme
    keywords: int = 3
    seed: int = 0
    extra_stop_words: tuple[str, ...] = ()
    near: int = NEAR  # similarity (0-100) from which two comments are one point


DEFAULT_THEMES = ThemeOptions()


@dataclass(frozen=True)
class Gathered:
    """What one paragraph's comments come to: the points made, and themes among them."""

    points: tuple[Point, ...] = ()  # every point, the most often made first
    themes: tuple[Theme, ...] = ()  # the largest first

    @property
    def unthemed(self) -> tuple[Point, ...]:
        """Points that no theme gathered."""
        gathered = {i for theme in self.themes for i in theme.ids}
        return tuple(p for p in self.points if p.id not in gathered)


def find_themes(
    comments: Sequence[Comment],
    *,
    embed: Embed | None = None,
    options: ThemeOptions = DEFAULT_THEMES,
) -> tuple[Theme, ...]:
    """The themes of one set of comments, largest first."""
    return gather_by_section({"": comments}, embed=embed, options=options)[""].themes


def gather_by_section(
    sections: Mapping[str, Sequence[Comment]],
    *,
    embed: Embed | None = None,
    options: ThemeOptions = DEFAULT_THEMES,
) -> dict[str, Gathered]:
    """The points and themes of each section (a paragraph's comments), found separately.

    Languages are detected for every comment in one pass, and with `embed` every point
    that will be clustered is embedded in one call, so a model pays its per-call overhead
    once per summary, not once per paragraph.
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]

    usable = {key: [c for c in cs if c.text and c.text.strip()] for key, cs in sections.items()}
    flat = [c for cs in usable.values() for c in cs]
    found = iter(detect([c.text for c in flat], [c.language for c in flat]))
    words: dict[str, Words] = {}
    points: dict[str, list[Point]] = {}
    plan: list[tuple[str, Words, list[Point]]] = []  # what to cluster: section, language, points
    for key, comments in usable.items():
        by_language: dict[str, list[Comment]] = defaultdict(list)
        for comment in comments:
            by_language[next(found)].append(comment)
        points[key] = []
        for language, said in by_language.items():
            if language not in words:
                words[language] = Words(language, options.extra_stop_words)
            made = gather(said, language, words[language].negations, options.near)
            points[key] += made
            if len(made) >= options.min_comments:
                plan.append((key, words[language], made))
    texts = [p.text for _, _, made in plan for p in made]
    vectors = _normalised(embed(texts)) if embed is not None and texts else None
    themes: dict[str, list[Theme]] = defaultdict(list)
    start = 0
    # One BLAS thread: a paragraph's matrices are small (hundreds of points), and on two
    # cores a second thread made NMF three to four times slower, not faster.
    with threadpool_limits(limits=1):
        for key, language_words, made in plan:
            rows = vectors[start : start + len(made)] if vectors is not None else None
            start += len(made)
            themes[key] += _themes(made, rows, language_words, options)
    return {
        key: Gathered(
            tuple(sorted(points.get(key, ()), key=lambda p: (-p.count, -p.support, p.id))),
            tuple(sorted(themes[key], key=lambda t: (-t.size, t.label))),
        )
        for key in sections
    }


def _normalised(vectors: Vectors) -> Vectors:
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


class Terms:
    """A text's terms: the stems of its words, and pairs of stems that stand side by side.

    Stop words are dropped, but never bridged over: "representation will reduce" gives no
    pair, where scikit-learn's own n-grams, taken after removing stop words, would make
    "representation reduce". Each term remembers the words it was written as, so a label
    shows "licences", not "licenc".
    """

    def __init__(self, words: Words) -> None:
        self.words = words
        self.written: dict[str, dict[str, int]] = {}  # term -> how often each form was written

    def __call__(self, text: str) -> list[str]:
        content = self.words.content(text)
        written = self.written
        terms = []
        previous = None
        for found in content:
            if found is not None:
                word, stem = found
                terms.append(stem)
                forms = written.setdefault(stem, {})
                forms[word] = forms.get(word, 0) + 1
                if previous is not None:
                    pair = f"{previous[1]} {stem}"
                    terms.append(pair)
                    forms = written.setdefault(pair, {})
                    form = f"{previous[0]} {word}"
                    forms[form] = forms.get(form, 0) + 1
            previous = found
        return terms

    def as_written(self, term: str) -> str:
        """The term as delegates most often wrote it."""
        forms = self.written.get(term)
        return max(forms, key=lambda form: forms[form]) if forms else term


def theme_count(n: int, options: ThemeOptions) -> int:
    """How many NMF components to ask for: about sqrt(n / 2), between 2 and max_themes."""
    return max(2, min(options.max_themes, round(math.sqrt(n / 2)), n - 1))


def _themes(
    points: list[Point], vectors: Vectors | None, words: Words, options: ThemeOptions
) -> list[Theme]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped,unused-ignore]

    n = len(points)
    terms_of = Terms(words)
    vectorizer = TfidfVectorizer(
        analyzer=terms_of,
        min_df=2 if n >= 20 else 1,
        max_df=0.5 if n >= 20 else 1.0,
        sublinear_tf=True,
    )
    try:
        tfidf = vectorizer.fit_transform([p.text for p in points])
    except ValueError:  # nothing but stop words: nothing to gather points by
        return []
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
        words_of_label = tuple(terms_of.as_written(t) for t in keywords.get(cluster, ()))
        if len(members) < options.min_size or not words_of_label:
            continue
        counts = np.asarray([points[i].count for i in members], dtype=np.float64)
        nearest, closeness = _nearest_to_centre(space, members, counts)
        chosen = [points[i] for i in nearest]
        groups: Counter[str] = Counter()
        for p in chosen:
            groups.update(p.groups)
        themes.append(
            Theme(
                label=" · ".join(words_of_label),
                keywords=words_of_label,
                ids=tuple(i for p in chosen for i in p.ids),
                groups=dict(sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))),
                quotes=_quotes(chosen, closeness, options),
                language=words.language,
            )
        )
    return themes


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
    labels[weights.max(axis=1) <= 0] = -1  # a point of stop words only belongs nowhere
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


def _nearest_to_centre(space: Any, members: Any, counts: Any) -> tuple[list[int], list[float]]:
    """Member indices, nearest to the members' centre first, and their closeness to it.

    The centre weighs each point by the comments that make it, as if each had been a row.
    """
    import numpy as np

    # Rows are unit vectors (TF-IDF rows are l2-normalised, embeddings normalised above),
    # so the dot product with the centre orders them as the cosine does.
    rows = space[members]
    centre = np.asarray((rows.T @ counts) / counts.sum()).ravel()
    similarity = np.asarray(rows @ centre).ravel()
    order = np.argsort(-similarity, kind="stable")
    return [int(members[i]) for i in order], [float(similarity[i]) for i in order]


def _quotes(
    nearest: Sequence[Point], closeness: Sequence[float], options: ThemeOptions
) -> tuple[Point, ...]:
    """The nearest few points, those most backed first (delegates who made them, and
    endorsements).

    Only points nearly as close to the centre as the nearest one compete on backing, so a
    popular point on the edge of the theme does not speak for it.
    """
    best = closeness[0] if closeness else 0.0
    candidates = [
        p
        for p, near in zip(nearest[: options.candidates], closeness, strict=False)
        if near >= CLOSE_ENOUGH * best
    ]
    ranked = sorted(
        enumerate(candidates), key=lambda pair: (-pair[1].count - pair[1].support, pair[0])
    )
    return tuple(p for _, p in ranked[: options.quotes])
