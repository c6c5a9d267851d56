"""The two engines behind one interface, so callers pick one by name and never branch on it.
Engines take a resolved :class:`~qa_helpers.models.sources.ModelSource`: the model is resolved once, by the caller.

Each engine is a module with the same names for the same things: ``NAME``, ``WINDOW_LENGTH`` (tokens
per model input), ``STRIDE`` (tokens shared by consecutive windows of a long context), ``MAX_TOP_K``,
``load(source)``, ``encode(...)`` (what the model sees; its arguments differ, since each engine
tokenises its own way), ``answer_rows(pairs, source, top_k=, max_answer_len=)`` and
``abstains(row, threshold)`` (its own rule for "no answer": the engines score differently).
"""
from __future__ import annotations

from typing import Any, Protocol

from ..models.sources import ModelSource
from ..results import RowResult
from . import spark_engine, transformers_engine


class Engine(Protocol):
    """What :mod:`qa_helpers.api` needs of an engine."""

    NAME: str
    WINDOW_LENGTH: int
    STRIDE: int
    MAX_TOP_K: int | None

    def load(self, source: ModelSource) -> Any: ...

    def answer_rows(
        self, pairs: list[tuple[str, str]], source: ModelSource, *, top_k: int = 1,
        max_answer_len: int = 30,
    ) -> list[RowResult]: ...

    def abstains(self, row: RowResult, threshold: float) -> bool: ...


ENGINES: dict[str, Engine] = {engine.NAME: engine for engine in (transformers_engine, spark_engine)}


def get_engine(name: str) -> Engine:
    """The engine called ``name`` ("transformers" or "spark")."""
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {tuple(ENGINES)}, not {name!r}")
    return ENGINES[name]
