"""XQuAD, the model's own benchmark: 1190 questions in each of the 11 languages.

XQuAD (Artetxe et al., 2020) is licensed CC BY-SA 4.0. It is read from ``$QA_XQUAD_DIR``
(a folder with ``xquad.<lang>.json``) when that is set, else downloaded once from its public
source into the cache folder. This repository never stores a copy.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from pathlib import Path

from .config import cache_dir, xquad_dir
from .downloads import download
from .examples import LANGUAGES

__all__ = [
    "ARTICLES", "DEV_ARTICLES", "HELDOUT_ARTICLES", "SOURCE_URL", "SPLITS", "load_xquad", "long_documents", "split_label",
    "xquad_file", "XQuADExample",
]

ARTICLES = 48
HELDOUT_ARTICLES = 8  # the last 8 articles (file order) are never trained on
DEV_ARTICLES = 4  # the last 4 training articles: recipes are compared on them, never on the held-out ones
SPLITS = {
    "all": range(ARTICLES),
    "train": range(ARTICLES - HELDOUT_ARTICLES),
    "heldout": range(ARTICLES - HELDOUT_ARTICLES, ARTICLES),
    # the training articles cut in two, to choose a recipe: fit on the first 36, score on the next 4
    "fit": range(ARTICLES - HELDOUT_ARTICLES - DEV_ARTICLES),
    "dev": range(ARTICLES - HELDOUT_ARTICLES - DEV_ARTICLES, ARTICLES - HELDOUT_ARTICLES),
}
SOURCE_URL = "https://raw.githubusercontent.com/google-deepmind/xquad/master/xquad.{lang}.json"


@dataclass(frozen=True)
class XQuADExample:
    """One XQuAD question; ``answers`` are the gold texts (XQuAD has one per question),
    ``answer_starts`` their character offsets in ``context``, ``article`` the index of its
    Wikipedia article in file order (the same in every language)."""

    id: str
    lang: str
    question: str
    context: str
    answers: tuple[str, ...]
    answer_starts: tuple[int, ...]
    article: int


def xquad_file(lang: str) -> Path:
    """The local path of ``xquad.<lang>.json``, downloading it first if needed."""
    if lang not in LANGUAGES:
        raise ValueError(f"XQuAD has no language {lang!r}; choose from {LANGUAGES}")
    local = xquad_dir()
    if local:
        path = local / f"xquad.{lang}.json"
        if not path.exists():
            raise FileNotFoundError(f"QA_XQUAD_DIR={local} has no xquad.{lang}.json")
        return path
    return download(
        SOURCE_URL.format(lang=lang), cache_dir() / "xquad" / f"xquad.{lang}.json",
        "Set QA_XQUAD_DIR to a folder holding xquad.<lang>.json.",
    )


def split_label(split: str) -> str:
    """``articles 41-48 (heldout)``: a split as a reader counts articles, from 1."""
    articles = SPLITS[split]
    return f"articles {articles.start + 1}-{articles.stop} ({split})"


def load_xquad(lang: str, limit: int | None = None, split: str = "all") -> list[XQuADExample]:
    """The questions of one language in file order (the first ``limit`` if given).

    ``split``: ``all``, ``train`` (the first 40 articles) or ``heldout`` (the last 8), the split
    of :mod:`qa_helpers.finetune`; ``fit`` (articles 1-36) and ``dev`` (37-40) cut the training
    articles in two to compare recipes. It is by article, the same in every language, so no
    translation of a held-out question is ever trained on.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, not {split!r}")
    data = json.loads(xquad_file(lang).read_text(encoding="utf-8"))["data"]
    examples = [
        XQuADExample(
            qa["id"], lang, qa["question"], paragraph["context"],
            tuple(a["text"] for a in qa["answers"]), tuple(a["answer_start"] for a in qa["answers"]), index,
        )
        for index, article in enumerate(data)
        if index in SPLITS[split]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    return examples[:limit] if limit is not None else examples


def long_documents(lang: str, split: str = "heldout", past: int = 2500) -> list[XQuADExample]:
    """The questions of ``split`` asked of their whole article (the paragraphs joined by blank lines)
    whose answer starts more than ``past`` characters in: far past one window of the model."""
    examples = load_xquad(lang, split=split)
    found = []
    for article in dict.fromkeys(ex.article for ex in examples):
        questions = [ex for ex in examples if ex.article == article]
        paragraphs = list(dict.fromkeys(ex.context for ex in questions))
        starts = dict(zip(paragraphs, itertools.accumulate([0] + [len(p) + 2 for p in paragraphs])))
        text = "\n\n".join(paragraphs)
        for ex in questions:
            moved = tuple(starts[ex.context] + a for a in ex.answer_starts)
            if moved[0] > past:
                found.append(replace(ex, context=text, answer_starts=moved))
    return found
