"""The public API: one call, either engine, the same result type.

Stable from the foundation issue on; notebooks and users call these.
"""
from __future__ import annotations

from collections.abc import Iterable

from . import spark_engine, transformers_engine
from .sources import ModelSource
from .types import Answer, RowResult, TokenLogits

ENGINES = ("transformers", "spark")


def _check(engine: str, top_k: int, max_answer_len: int) -> None:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    if top_k < 1 or max_answer_len < 1:
        raise ValueError(f"top_k and max_answer_len must be at least 1 (got {top_k}, {max_answer_len})")
    if engine == "spark" and top_k != 1:
        raise ValueError("Spark NLP returns a single answer per question: use top_k=1 with engine='spark'.")


def _check_text(question: object, context: object) -> None:
    for name, value in (("question", question), ("context", context)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, got {type(value).__name__}")


def answer(
    question: str,
    context: str,
    *,
    engine: str = "transformers",
    model: str | ModelSource | None = None,
    top_k: int = 1,
    max_answer_len: int = 30,
) -> list[Answer]:
    """Answer ``question`` from ``context``: the ``top_k`` best spans, best first.

    ``engine="spark"`` runs the Spark NLP pipeline (one answer; ``max_answer_len`` does not
    apply, Spark NLP has no such limit). Every answer satisfies ``context[a.start:a.end] == a.text``.
    """
    _check(engine, top_k, max_answer_len)
    _check_text(question, context)
    if engine == "spark":
        return spark_engine.answer_pairs([(question, context)], model)
    return transformers_engine.answer(question, context, model, top_k=top_k, max_answer_len=max_answer_len)


def answer_batch(
    pairs: Iterable[tuple[str, str]],
    *,
    engine: str = "transformers",
    model: str | ModelSource | None = None,
    top_k: int = 1,
    max_answer_len: int = 30,
) -> list[RowResult]:
    """One :class:`RowResult` per (question, context) pair, in input order.

    A bad row (not two strings) gets its error in ``RowResult.error`` and never stops,
    drops or reorders the others. For a Spark DataFrame use :func:`answer_dataframe`.
    """
    _check(engine, top_k, max_answer_len)
    rows = list(pairs)
    results: list[RowResult | None] = [None] * len(rows)
    good: list[int] = []
    for i, row in enumerate(rows):
        try:
            question, context = row
            _check_text(question, context)
            good.append(i)
        except (TypeError, ValueError) as err:
            results[i] = RowResult(error=f"row {i}: {err}")
    if engine == "spark":
        answers = spark_engine.answer_pairs([tuple(rows[i]) for i in good], model)
        for i, a in zip(good, answers):
            results[i] = RowResult(answers=[a])
    else:
        for i in good:
            question, context = rows[i]
            results[i] = RowResult(
                answers=transformers_engine.answer(
                    question, context, model, top_k=top_k, max_answer_len=max_answer_len
                )
            )
    return results  # type: ignore[return-value]


def answer_dataframe(df, *, model: str | ModelSource | None = None):
    """Spark NLP over a DataFrame with ``question`` and ``context`` columns (see spark_engine)."""
    return spark_engine.answer_dataframe(df, model)


def logits(question: str, context: str, model: str | ModelSource | None = None) -> TokenLogits:
    """Tokens, character offsets and start/end logits (transformers, first window) for plots."""
    _check_text(question, context)
    return transformers_engine.logits(question, context, model)
