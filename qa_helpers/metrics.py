"""Exact match (EM) and token F1 for extractive QA, under two normalisations.

- ``squad``: the rules of the official SQuAD v1.1 ``evaluate-v1.1.py``, which the published
  XQuAD results use: lower-case, drop ASCII punctuation, drop the English articles a/an/the,
  split on whitespace. Made for English: Chinese or Thai answers, written without spaces, count
  as one token each, so F1 there is all or nothing.
- ``multilingual``: the rules of the official MLQA ``mlqa_evaluation_v1.py`` for MLQA's seven
  languages (en, es, de, ar, hi, vi, zh): lower-case; delete every punctuation character (Unicode
  category P*, plus ASCII's symbols); replace the articles of the language by a space (en, es,
  de; for vi the particles MLQA lists; for ar every ``ال``, wherever it stands, as that script
  does); split on whitespace, and make every Chinese character (U+4E00..U+9FA5) a token.
  Extensions of ours for the other XQuAD languages: el drops its articles; th makes every Thai
  character a token, like Chinese; tr turns an apostrophe into a space first, since Turkish
  writes case suffixes of names after one (``Londra'da``); ru needs nothing more.

Both give EM and F1 in [0, 1] for one prediction against its gold answers (the best over golds),
with the scripts' F1 rule: no token in common is 0, even when both sides normalise to nothing.
"""
from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter

from .writing_systems import MLQA_CHINESE, THAI, character_class

__all__ = [
    "ARABIC_ARTICLE", "ARTICLES", "CHARACTER_TOKENS", "MLQA_LANGUAGES", "MODES", "TURKISH_APOSTROPHES",
    "exact_match", "f1", "multilingual_tokens", "squad_tokens", "tokens",
]

MODES = ("squad", "multilingual")

MLQA_LANGUAGES = ("en", "es", "de", "ar", "hi", "vi", "zh")
ARTICLES = {
    "en": ["a", "an", "the"],
    "es": ["un", "una", "unos", "unas", "el", "la", "los", "las"],
    "de": ["ein", "eine", "einen", "einem", "eines", "einer", "der", "die", "das", "den", "dem", "des"],
    "vi": ["của", "là", "cái", "chiếc", "những"],  # classifiers and particles, as MLQA drops them
    "el": ["ο", "η", "το", "οι", "τα", "του", "της", "των", "τον", "την", "ένας", "μια", "ένα"],  # extension
}
ARABIC_ARTICLE = "ال"  # MLQA replaces every occurrence, not only a word's first two letters
CHARACTER_TOKENS = {"zh": re.compile(character_class(MLQA_CHINESE)), "th": re.compile(character_class(THAI))}  # th: extension
TURKISH_APOSTROPHES = "'\u2019"  # extension: a suffix after an apostrophe becomes its own token

_SQUAD_PUNCTUATION = set(string.punctuation)
_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")} | _SQUAD_PUNCTUATION
_ARTICLE_PATTERNS = {lang: re.compile(r"\b(" + "|".join(words) + r")\b") for lang, words in ARTICLES.items()}


def squad_tokens(text: str) -> list[str]:
    """SQuAD v1.1's ``normalize_answer(text).split()``."""
    text = "".join(c for c in text.lower() if c not in _SQUAD_PUNCTUATION)
    return _SQUAD_ARTICLES.sub(" ", text).split()


def multilingual_tokens(text: str, lang: str) -> list[str]:
    """MLQA's normalisation and tokenisation for ``lang`` (with our extensions, module docstring)."""
    text = text.lower()
    if lang == "tr":
        text = "".join(" " if c in TURKISH_APOSTROPHES else c for c in text)
    text = "".join(c for c in text if c not in _PUNCTUATION)
    if lang in _ARTICLE_PATTERNS:
        text = _ARTICLE_PATTERNS[lang].sub(" ", text)
    elif lang == "ar":
        text = text.replace(ARABIC_ARTICLE, " ")
    if lang in CHARACTER_TOKENS:
        text = CHARACTER_TOKENS[lang].sub(lambda m: f" {m.group()} ", text)
    return text.split()


def tokens(text: str, lang: str = "en", mode: str = "squad") -> list[str]:
    if mode == "squad":
        return squad_tokens(text)
    if mode == "multilingual":
        return multilingual_tokens(text, lang)
    raise ValueError(f"mode must be one of {MODES}, not {mode!r}")


def exact_match(prediction: str, golds: list[str] | tuple[str, ...], lang: str = "en", mode: str = "squad") -> float:
    """1.0 if the normalised prediction equals any normalised gold answer, else 0.0."""
    predicted = tokens(prediction, lang, mode)
    return float(any(predicted == tokens(g, lang, mode) for g in golds))


def f1(prediction: str, golds: list[str] | tuple[str, ...], lang: str = "en", mode: str = "squad") -> float:
    """Token-overlap F1 against the best-matching gold answer."""
    predicted = tokens(prediction, lang, mode)

    def one(gold: str) -> float:
        expected = tokens(gold, lang, mode)
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common == 0:
            return 0.0
        precision, recall = common / len(predicted), common / len(expected)
        return 2 * precision * recall / (precision + recall)

    return max(one(g) for g in golds)
