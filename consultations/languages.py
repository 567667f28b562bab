"""The languages delegates write in: which one each comment is in, and its words for themes.

Delegates of one consultation write in several languages, and a theme is only readable
in one: "und · bei · fördern" is what English rules make of German. So each comment's
language is found first, then its words are taken the way that language needs:

- **which language**: py3langid (a naive Bayes model of byte n-grams, BSD, 4.6 MB, shipped
  in the wheel, no download), limited to `LANGUAGES`; where the text is too short for it
  to be sure ("D'accord.", "Too vague."), the language the person works in is taken;
- **words**: letters joined by hyphens or apostrophes, lower-cased; French and Italian
  elisions ("l'exportation", "dell'Unione") lose their article, English contractions
  ("don't") are left out and "NZ's" counts as "nz";
- **stop words**: the stopwords-iso list of the language (MIT; the largest kept lists;
  for English scikit-learn's, as stopwords-iso's holds the country codes "un", "uk"),
  the consultation's own vocabulary in that language (paragraph, amendment, support...),
  less a few words those lists hold that mean something here (state, rights, information);
- **stems**: the Snowball stemmer of the language (PyStemmer), so "licence" and "licences",
  "exportation" and "exportations" are one term; labels show the words as written.

What these libraries read is data inside their own packages, read once and kept, as an
import would: no file, network or model hub is touched at run time.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

# The languages whose words themes know; detection chooses among these alone.
LANGUAGES = ("en", "fr", "es", "de", "it", "pt", "nl", "ru", "ar")
STEMMERS = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "de": "german",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "ru": "russian",
    "ar": "arabic",
}
SURE = 0.75  # below this probability the detector is guessing: take the person's language
SHORT = 16  # letters; a text this short is the person's language whatever the detector says
LONG = 120  # characters: the detector reads this much of a text, enough to tell the language

# A word: letters, joined by hyphens or apostrophes ("decision-making", "don't", "l'État").
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
ELIDING = frozenset(("fr", "it"))  # languages whose articles elide: "l'", "d'", "qu'", "dell'"

# The procedure's own vocabulary, stance words and hedges, in each language: they say
# nothing about what a comment is about in a consultation.
# fmt: off
CONSULTATION_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset((
        "paragraph", "paragraphs", "para", "statement", "statements", "text", "draft", "drafting",
        "wording", "word", "words", "sentence", "clause", "clauses", "section", "sections",
        "article", "articles", "point", "points", "line", "version", "amendment", "amendments",
        "amend", "comment", "comments", "propose", "proposed", "proposal", "suggest", "suggested",
        "we", "us", "our", "ours", "should", "shall", "must", "would", "could", "may", "might",
        "need", "needs", "needed", "think", "believe", "feel", "agree", "agreed", "disagree",
        "support", "supports", "oppose", "opposed", "like", "just", "really", "also", "lot",
        "lots", "thing", "things", "way", "ways", "make", "makes", "made", "want", "wants", "good",
        "better", "best", "important", "ensure", "include", "including", "includes", "use", "used",
        "using", "can", "cannot", "yes", "ok", "okay", "etc", "eg", "ie", "please", "maybe",
        "perhaps", "rather", "quite",
    )),
    "fr": frozenset((
        "paragraphe", "paragraphes", "alinéa", "alinéas", "texte", "textes", "projet",
        "déclaration", "libellé", "formulation", "rédaction", "phrase", "phrases", "article",
        "articles", "point", "points", "version", "amendement", "amendements", "commentaire",
        "commentaires", "proposer", "proposons", "propose", "proposition", "suggérer", "suggérons",
        "devons", "devrait", "devraient", "doit", "doivent", "faut", "falloir", "pensons",
        "croyons", "estimons", "soutenons", "soutenir", "soutien", "appuyons", "appuyer", "appui",
        "accord", "désaccord", "opposons", "important", "importante", "importants", "importantes",
        "essentiel", "essentielle", "essentiels", "nécessaire", "nécessaires", "clairement",
        "vraiment", "aussi", "également", "merci", "oui", "non", "ok",
    )),
    "es": frozenset((
        "párrafo", "párrafos", "texto", "textos", "proyecto", "declaración", "redacción", "frase",
        "frases", "artículo", "artículos", "punto", "puntos", "versión", "enmienda", "enmiendas",
        "comentario", "comentarios", "proponer", "proponemos", "propuesta", "sugerir", "sugerimos",
        "debe", "deben", "debería", "deberían", "debemos", "hay", "creemos", "pensamos",
        "consideramos", "apoyamos", "apoyar", "apoyo", "acuerdo", "desacuerdo", "oponemos",
        "importante", "importantes", "esencial", "esenciales", "necesario", "necesaria",
        "necesarios", "claramente", "realmente", "también", "gracias", "sí", "no", "ok",
    )),
    "de": frozenset((
        "absatz", "absätze", "text", "texte", "entwurf", "erklärung", "formulierung", "wortlaut",
        "satz", "sätze", "artikel", "punkt", "punkte", "version", "änderung", "änderungen",
        "änderungsantrag", "kommentar", "kommentare", "vorschlagen", "schlagen", "vorschlag",
        "sollte", "sollten", "müssen", "muss", "denken", "glauben", "meinen", "unterstützen",
        "befürworten", "zustimmen", "ablehnen", "wichtig", "wichtige", "wichtigen", "notwendig",
        "notwendige", "klar", "wirklich", "auch", "danke", "ja", "nein", "ok",
    )),
}
# Words the stopwords-iso lists hold that mean something in a consultation between states.
CONTENT_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(("system", "systems", "computer", "interest", "interests")),
    "fr": frozenset(("état", "états", "etat", "etats", "personne", "personnes")),
    "es": frozenset(("estado", "estados")),
    "de": frozenset(("recht", "rechte", "staat", "staaten")),
}
# Words that turn a sentence around: two comments that differ in them are never one point.
NEGATIONS: dict[str, frozenset[str]] = {
    "en": frozenset(("not", "no", "never", "nor", "without", "neither", "none", "cannot")),
    "fr": frozenset(("ne", "pas", "non", "jamais", "sans", "ni", "aucun", "aucune", "plus")),
    "es": frozenset(("no", "nunca", "sin", "ni", "jamás", "ningún", "ninguna", "tampoco")),
    "de": frozenset(("nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "ohne")),
    "it": frozenset(("non", "mai", "senza", "né", "nessun", "nessuno", "nessuna")),
    "pt": frozenset(("não", "nunca", "sem", "nem", "nenhum", "nenhuma")),
    "nl": frozenset(("niet", "geen", "nooit", "zonder", "noch")),
}
# fmt: on


def detect(texts: Sequence[str], hints: Sequence[str | None]) -> list[str]:
    """Each text's language, one of `LANGUAGES`.

    `hints` are the languages the authors work in (None where unknown). A text too short
    or too mixed for the detector to be sure takes its author's language, or without one
    the language most of the other texts are surely in ("Fine." is not Arabic).
    """
    identifier = _identifier()
    guesses: list[tuple[str, bool]] = []  # (language, sure)
    classified: dict[str, tuple[str, float]] = {}  # the same text is classified once
    for text, hint in zip(texts, hints, strict=True):
        hint = hint if hint in LANGUAGES else None
        if hint is not None and sum(ch.isalpha() for ch in text) < SHORT:
            guesses.append((hint, True))
            continue
        sample = text[:LONG]
        if sample not in classified:
            classified[sample] = identifier.classify(sample)
        language, probability = classified[sample]
        if probability >= SURE:
            guesses.append((str(language), True))
        else:
            guesses.append((hint or "", hint is not None))
    usual = Counter(language for language, sure in guesses if sure).most_common(1)
    fallback = usual[0][0] if usual else "en"
    return [language or fallback for language, _ in guesses]


def load() -> None:
    """Load the language model and the stemmers' library now rather than on first use."""
    _identifier()
    import Stemmer  # noqa: F401  # PyStemmer


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


@cache
def stop_words(language: str) -> frozenset[str]:
    """The words of `language` that say nothing about what a comment is about."""
    if language == "en":
        # scikit-learn's list: stopwords-iso's English one holds every country code ("un",
        # "uk", "ai"), which are words here
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # type: ignore[import-untyped,unused-ignore]

        common = frozenset(ENGLISH_STOP_WORDS)
    else:
        import stopwordsiso

        common = (
            frozenset(stopwordsiso.stopwords(language)) if language in LANGUAGES else frozenset()
        )
    own = CONSULTATION_STOP_WORDS.get(language, frozenset())
    return (common | own) - CONTENT_WORDS.get(language, frozenset())


class Words:
    """A language's words, stop words and stems, for one summary (stems are remembered)."""

    def __init__(self, language: str, extra_stop_words: Sequence[str] = ()) -> None:
        import Stemmer  # PyStemmer

        self.language = language
        self.stop = stop_words(language) | {w.casefold() for w in extra_stop_words}
        algorithm = STEMMERS.get(language)
        self._stemmer = Stemmer.Stemmer(algorithm) if algorithm else None
        # Inflections of the consultation's own words ("amendements", "propuestas") go too.
        own = CONSULTATION_STOP_WORDS.get(language, frozenset())
        self._stop_stems = frozenset(self.stem(w) for w in own)
        self.negations = NEGATIONS.get(language, frozenset())
        self._known: dict[str, tuple[str, str] | None] = {}  # word -> (word, stem), None: stop

    def stem(self, word: str) -> str:
        return str(self._stemmer.stemWord(word)) if self._stemmer is not None else word

    def split(self, text: str) -> list[str]:
        """The text's words, lower-cased, elided articles and contractions taken off."""
        words = []
        text = text.lower() if text.isascii() else unicodedata.normalize("NFC", text).casefold()
        for found in WORD.findall(text):
            if "'" not in found and "’" not in found:
                words.append(found)
                continue
            word = found.replace("’", "'")
            if "'" in word:
                if self.language in ELIDING:
                    word = word.rsplit("'", 1)[1]  # l'exportation -> exportation
                elif word.endswith("'s"):
                    word = word[:-2]  # NZ's -> nz
                else:
                    continue  # don't, won't: contractions say nothing on their own
            words.append(word)
        return words

    def content(self, text: str) -> list[tuple[str, str] | None]:
        """The text's words as (word, stem), None standing where a stop word was (so that
        a pair of words is never made across one)."""
        known = self._known
        found: list[tuple[str, str] | None] = []
        for word in self.split(text):
            if word not in known:
                stem = self.stem(word)
                stop = len(word) < 2 or word in self.stop or stem in self._stop_stems
                known[word] = None if stop else (word, stem)
            found.append(known[word])
        return found
