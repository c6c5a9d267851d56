"""From start/end logits to answer spans: the joint span search of transformers' question-answering pipeline.

The rules, in the order notebook 2 builds them:

1. Only context tokens may start or end an answer: the question, [CLS], [SEP] and padding
   are masked out.
2. Start and end logits each go through a softmax over the window's context tokens *and* [CLS]
   (:func:`softmax_positions`), so that ``p_start[i]`` and ``p_end[j]`` are probabilities, and a
   window whose [CLS] is likely ("the answer is not in this window", as the model was trained to
   say) gives all its spans low scores. [CLS] then takes no part in a span.
3. A span ``(i, j)`` is valid when ``i <= j < i + max_answer_len``; its score is
   ``p_start[i] * p_end[j]``, the score transformers' pipeline reports (4.x to 5.2).
4. The ``top_k`` valid spans by score are the n-best list. Each window of a long context is
   decoded on its own, and candidates from all windows are compared by this score; a span seen
   in two overlapping windows keeps its higher score (:func:`merge_windows`).
5. "No answer" weighs the null score, ``p_start[CLS] * p_end[CLS]`` in the same softmax, against
   the best span's score; across windows the lowest null score meets the best span, as the
   pipeline's ``handle_impossible_answer`` does (:func:`no_answer_margin`), in log space.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .results import Answer

NULL_POSITION = 0  # [CLS]: where a model fine-tuned with unanswerable windows points start and end for "no answer"

__all__ = [
    "NULL_POSITION", "masked_log_softmax", "masked_softmax", "merge_windows", "no_answer_margin", "null_and_best",
    "softmax_positions", "span_log_scores", "span_score_matrix", "spans_to_answers", "top_spans",
]


def masked_log_softmax(logits: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Log-softmax over the positions where ``mask`` is True; masked positions get -inf."""
    logits = np.asarray(logits, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return np.full(logits.shape, -np.inf)
    shifted = np.where(mask, logits - logits[mask].max(), -np.inf)
    log_probs: np.ndarray = shifted - np.log(np.exp(shifted).sum())
    return log_probs


def masked_softmax(logits: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Softmax over the positions where ``mask`` is True; masked positions get probability 0."""
    probs: np.ndarray = np.exp(masked_log_softmax(logits, mask))
    return probs


def softmax_positions(mask: np.ndarray) -> np.ndarray:
    """The positions rule 2's softmax runs over: the context tokens (``mask``) and [CLS].

    Keeping [CLS] in the softmax is what makes a window without the answer sound unsure: a model
    fine-tuned with such windows labelled [CLS] puts most of the probability there.
    """
    positions = np.array(mask, dtype=bool)
    positions[NULL_POSITION] = True
    return positions


def _log_probabilities(start_logits: np.ndarray, end_logits: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log p_start and log p_end over :func:`softmax_positions` (so [CLS] keeps its probability)."""
    positions = softmax_positions(mask)
    return masked_log_softmax(start_logits, positions), masked_log_softmax(end_logits, positions)


def span_log_scores(
    start_logits: np.ndarray, end_logits: np.ndarray, mask: np.ndarray, max_answer_len: int
) -> np.ndarray:
    """``log(p_start[i] * p_end[j])`` for valid spans ``(i, j)``, -inf elsewhere.

    Working in log space keeps very unlikely spans comparable instead of underflowing to 0.
    """
    if max_answer_len < 1:
        raise ValueError(f"max_answer_len must be at least 1, got {max_answer_len}")
    log_start, log_end = _log_probabilities(start_logits, end_logits, mask)
    context = np.asarray(mask, dtype=bool)
    log_start, log_end = np.where(context, log_start, -np.inf), np.where(context, log_end, -np.inf)
    n = len(log_start)
    i, j = np.indices((n, n))
    valid = (i <= j) & (j < i + max_answer_len)
    return np.where(valid, log_start[:, None] + log_end[None, :], -np.inf)


def span_score_matrix(
    start_logits: np.ndarray, end_logits: np.ndarray, mask: np.ndarray, max_answer_len: int
) -> np.ndarray:
    """``p_start[i] * p_end[j]`` for valid spans, 0 elsewhere: the matrix notebook 4 draws."""
    scores: np.ndarray = np.exp(span_log_scores(start_logits, end_logits, mask, max_answer_len))
    return scores


def top_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    mask: np.ndarray,
    *,
    top_k: int = 1,
    max_answer_len: int = 30,
) -> list[tuple[int, int, float]]:
    """The ``top_k`` best ``(start_token, end_token, score)`` triples, best first.

    Ties are broken by position (earlier start, then earlier end) so results are deterministic.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    log_scores = span_log_scores(start_logits, end_logits, mask, max_answer_len).ravel()
    candidates = np.flatnonzero(np.isfinite(log_scores))
    # A stable sort on the negated score keeps index order (start, then end) among ties.
    best = candidates[np.argsort(-log_scores[candidates], kind="stable")][:top_k]
    n = len(start_logits)
    return [(int(k // n), int(k % n), float(np.exp(log_scores[k]))) for k in best]


def spans_to_answers(
    spans: Iterable[tuple[int, int, float]],
    offsets: Sequence[tuple[int, int]],
    context: str,
) -> list[Answer]:
    """Turn token spans into character spans of ``context`` using the tokenizer's offsets."""
    answers = []
    for i, j, score in spans:
        start, end = offsets[i][0], offsets[j][1]
        text = context[start:end]
        answers.append(Answer(text=text, start=start, end=end, score=score, engine_text=text))
    return answers


def merge_windows(answers: Iterable[Answer], top_k: int) -> list[Answer]:
    """Compare candidates from all windows: one entry per character span (its best score)."""
    best: dict[tuple[int, int], Answer] = {}
    for answer in answers:
        key = (answer.start, answer.end)
        if key not in best or answer.score > best[key].score:
            best[key] = answer
    ranked = sorted(best.values(), key=lambda a: (-a.score, a.start, a.end))
    return ranked[:top_k]


def null_and_best(
    start_logits: np.ndarray, end_logits: np.ndarray, mask: np.ndarray, max_answer_len: int
) -> tuple[float, float]:
    """One window's null score, ``log(p_start[CLS] * p_end[CLS])``, and its best valid span's log score,
    both in rule 2's softmax (so, within one window, their difference is that of the raw logits)."""
    mask = np.asarray(mask, dtype=bool)
    log_start, log_end = _log_probabilities(start_logits, end_logits, mask)
    null = float(log_start[NULL_POSITION] + log_end[NULL_POSITION])
    return null, float(span_log_scores(start_logits, end_logits, mask, max_answer_len).max())


def no_answer_margin(windows: Iterable[tuple[float, float]]) -> float:
    """How much "no answer" beats the best span, over all windows of a context (positive: no answer wins), in log
    probability: ``log(p_null / p_span)``.

    The lowest null score across windows meets the highest span score, as in transformers' pipeline and the
    SQuAD 2.0 reference post-processing: one window that holds the answer is enough to answer.
    """
    nulls, bests = zip(*windows)
    return float(min(nulls) - max(bests))
