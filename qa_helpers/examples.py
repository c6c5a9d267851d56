"""The project's own multilingual example set: four facts written in the 11 XQuAD languages."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["LANGUAGES", "Example", "model_card_examples", "multilingual_examples"]

LANGUAGES = ("en", "es", "de", "el", "ru", "tr", "ar", "vi", "th", "zh", "hi")


@dataclass(frozen=True)
class Example:
    """A question about a context, with the gold answer that appears verbatim in the context."""

    question: str
    context: str
    answer: str
    lang: str = "en"
    fact: str = ""


@lru_cache(maxsize=1)
def _raw() -> dict:
    text = resources.files("qa_helpers").joinpath("data/examples.json").read_text(encoding="utf-8")
    return json.loads(text)


def model_card_examples() -> list[Example]:
    """The two examples of the Spark NLP model card, as the card writes them (typo included)."""
    return [Example(**row, fact=f"card-{i}") for i, row in enumerate(_raw()["model_card"])]


def multilingual_examples(langs: tuple[str, ...] = LANGUAGES) -> list[Example]:
    """Every fact in every requested language, ordered by fact then language."""
    unknown = set(langs) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"unknown language code(s) {sorted(unknown)}; choose from {LANGUAGES}")
    return [
        Example(**by_lang[lang], lang=lang, fact=fact)
        for fact, by_lang in _raw()["facts"].items()
        for lang in langs
    ]
