"""Exact match (EM) and token F1 for extractive QA, under two normalisations.

- ``squad``: the rules of the official SQuAD v1.1 ``evaluate-v1.1.py``, which the published
  XQuAD results use: lower-case, drop ASCII punctuation, drop the English articles a/an/the,
  split on whitespace. Made for English: Chinese or Thai answers, written without spaces, count
  as one token each, so F1 there is all or nothing.
- ``multilingual``: lower-case; turn every Unicode punctuation character (category P*) into a
  space (so a Turkish suffix after an apostrophe becomes its own token); drop the
  articles of the answer's language where it has them (lists below, following the MLQA
  evaluation where it defines one); split on whitespace, and make every character of a script
  written without spaces (Chinese, Thai) a token of its own.

Both give EM and F1 in [0, 1] for one prediction against its gold answers (the best over golds).
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter

MODES = ("squad", "multilingual")

ARTICLES = {
    "en": ["a", "an", "the"],
    "es": ["el", "la", "los", "las", "un", "una", "unos", "unas"],
    "de": ["der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines"],
    "el": ["ο", "η", "το", "οι", "τα", "του", "της", "των", "τον", "την", "ένας", "μια", "ένα"],
    "vi": ["của", "là", "cái", "chiếc", "những"],  # classifiers and particles, as MLQA drops them
}
ARABIC_DEFINITE_PREFIX = "ال"  # written joined to its noun: removed at the start of a word
# tr, ru, th, zh and hi have no separate articles.

_SQUAD_PUNCTUATION = set(string.punctuation)
_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _is_unspaced(char: str) -> bool:
    cp = ord(char)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x0E00 <= cp <= 0x0E7F


def squad_tokens(text: str) -> list[str]:
    """SQuAD v1.1's ``normalize_answer(text).split()``."""
    text = "".join(c for c in text.lower() if c not in _SQUAD_PUNCTUATION)
    return _SQUAD_ARTICLES.sub(" ", text).split()


def multilingual_tokens(text: str, lang: str) -> list[str]:
    """Lower-case, no Unicode punctuation, no articles of ``lang``, characters for Chinese/Thai."""
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text.lower())
    text = "".join(f" {c} " if _is_unspaced(c) else c for c in text)
    words = text.split()
    if lang == "ar":
        words = [w[len(ARABIC_DEFINITE_PREFIX):] if w.startswith(ARABIC_DEFINITE_PREFIX) and len(w) > 2 else w for w in words]
    articles = set(ARTICLES.get(lang, []))
    return [w for w in words if w not in articles]


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
        if not predicted or not expected:
            return float(predicted == expected)
        if common == 0:
            return 0.0
        precision, recall = common / len(predicted), common / len(expected)
        return 2 * precision * recall / (precision + recall)

    return max(one(g) for g in golds)
