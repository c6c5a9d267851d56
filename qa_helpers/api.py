"""The public API: one call, either engine, the same result type.

The door of the library: each call resolves ``model`` (a name, a folder, a :class:`ModelSource`, or None for
``QA_MODEL``) once and hands the engines the resolved source.
"""
from __future__ import annotations

from collections.abc import Iterable

from .engines import ENGINES, Engine, get_engine, spark_engine, transformers_engine
from .models.sources import ModelSource, resolve_model
from .results import Answer, RowResult, TokenLogits
from .validation import InputError, check_pair, pair_error

__all__ = ["ENGINES", "answer", "answer_batch", "answer_dataframe", "logits"]


def _check(engine: str, top_k: int, max_answer_len: int) -> Engine:
    chosen = get_engine(engine)
    if top_k < 1 or max_answer_len < 1:
        raise ValueError(f"top_k and max_answer_len must be at least 1 (got {top_k}, {max_answer_len})")
    return chosen


def answer(
    question: str,
    context: str,
    *,
    engine: str = "transformers",
    model: str | ModelSource | None = None,
    top_k: int = 1,
    max_answer_len: int = 30,
    no_answer_threshold: float | None = None,
) -> list[Answer]:
    """Answer ``question`` from ``context``: the ``top_k`` best spans, best first.

    ``engine="spark"`` runs the Spark NLP pipeline (one answer; ``max_answer_len`` does not
    apply, Spark NLP has no such limit). Every answer satisfies ``context[a.start:a.end] == a.text``.
    With ``no_answer_threshold`` the result is [] when the engine's "no answer" rule fires
    (``engine.abstains``: transformers' null-score margin in log probability, Spark NLP's score; notebook 8).
    Raises TypeError for non-text and InputError (a ValueError) for empty text or a question
    that fills more than half of the model's window; see README, "Robustness".
    """
    chosen = _check(engine, top_k, max_answer_len)
    check_pair(question, context)
    row = chosen.answer_rows([(question, context)], resolve_model(model), top_k=top_k, max_answer_len=max_answer_len)[0]
    if row.error:
        raise InputError(row.error)
    return _apply_threshold(chosen, row, no_answer_threshold).answers


def _apply_threshold(engine: Engine, row: RowResult, threshold: float | None) -> RowResult:
    if threshold is None or not row.ok or not engine.abstains(row, threshold):
        return row
    return RowResult(answers=[], null_margin=row.null_margin)


def answer_batch(
    pairs: Iterable[tuple[str, str]],
    *,
    engine: str = "transformers",
    model: str | ModelSource | None = None,
    top_k: int = 1,
    max_answer_len: int = 30,
    no_answer_threshold: float | None = None,
) -> list[RowResult]:
    """One :class:`RowResult` per (question, context) pair, in input order (``no_answer_threshold``: see :func:`answer`).

    A bad row (not a pair of non-empty strings, or a question too long for the model) gets its
    error in ``RowResult.error`` and never stops, drops or reorders the others. For a Spark
    DataFrame use :func:`answer_dataframe`.
    """
    chosen = _check(engine, top_k, max_answer_len)
    rows = list(pairs)
    results: list[RowResult | None] = [None] * len(rows)
    good: list[int] = []
    for i, row in enumerate(rows):
        try:
            question, context = row
        except (TypeError, ValueError):
            results[i] = RowResult(error=f"row {i}: expected a (question, context) pair, got {row!r:.80}")
            continue
        error = pair_error(question, context)
        if error:
            results[i] = RowResult(error=f"row {i}: {error}")
        else:
            good.append(i)
    valid = [(rows[i][0], rows[i][1]) for i in good]
    answered = chosen.answer_rows(valid, resolve_model(model), top_k=top_k, max_answer_len=max_answer_len)
    for i, row_result in zip(good, answered):
        results[i] = _apply_threshold(chosen, row_result, no_answer_threshold) if row_result.ok else RowResult(
            error=f"row {i}: {row_result.error}"
        )
    return results  # type: ignore[return-value]


def answer_dataframe(df, *, model: str | ModelSource | None = None):
    """Spark NLP over a DataFrame with ``question`` and ``context`` columns (see spark_engine)."""
    return spark_engine.answer_dataframe(df, resolve_model(model))


def logits(question: str, context: str, model: str | ModelSource | None = None) -> TokenLogits:
    """Tokens, character offsets and start/end logits (transformers, first window) for plots."""
    check_pair(question, context)
    return transformers_engine.logits(question, context, resolve_model(model))
