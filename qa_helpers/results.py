"""Result types shared by both engines, so callers never care which engine answered."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CONTEXT", "Answer", "context_mask", "RowResult", "TokenLogits"]

CONTEXT = 1  # the sequence id of context tokens (the question is 0; special tokens have none)


def context_mask(sequence_ids: Sequence[int | None]) -> np.ndarray:
    """True for the tokens an answer may start or end on: the context's, never the question's or [CLS]."""
    return np.array([s == CONTEXT for s in sequence_ids], dtype=bool)


@dataclass(frozen=True)
class Answer:
    """One answer span: ``context[start:end] == text`` always holds.

    ``score`` is the engine's own confidence (see README, "Scores"). ``engine_text`` is the
    text exactly as the engine produced it: for Spark NLP that is its joined word pieces,
    which can differ from the context substring (accents stripped, spaces around
    punctuation); for transformers it equals ``text``.
    """

    text: str
    start: int
    end: int
    score: float
    engine_text: str | None = None


@dataclass(frozen=True)
class RowResult:
    """One row of a batch: the answers, or the error that stopped this row (never both).

    ``null_margin`` is how much the model's "no answer" beats its best span (transformers only,
    :func:`qa_helpers.decoding.no_answer_margin`); Spark NLP has no null score, so it is None there.
    """

    answers: list[Answer] = field(default_factory=list)
    error: str | None = None
    null_margin: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def scored_below(self, threshold: float) -> bool:
        """"No answer" by score alone: no answer text, or the best answer scored under ``threshold``."""
        return not self.answers or not self.answers[0].text or self.answers[0].score < threshold


@dataclass(frozen=True)
class TokenLogits:
    """What the model saw and said for one window: everything a plot needs."""

    tokens: list[str]
    offsets: list[tuple[int, int]]
    sequence_ids: list[int | None]
    start_logits: np.ndarray
    end_logits: np.ndarray

    @property
    def context_mask(self) -> np.ndarray:
        """True for the tokens an answer may start or end on (context tokens only)."""
        return context_mask(self.sequence_ids)
