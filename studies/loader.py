"""The one way notebooks and README read what the studies committed: typed summaries, and the rows behind them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import stored
from .benchmark import BenchmarkReport
from .calibration import CalibrationSummary
from .decoding_reference import DecodingSummary
from .evaluation import EvaluationSummary
from .int8_profile import Int8Profile
from .job import Unit
from .no_answer import NoAnswerSummary

__all__ = ["STUDIES", "load", "load_rows"]

STUDIES: dict[str, tuple[type, str]] = {  # study -> its summary's type and file under results/ ({run}: the model's run)
    "evaluation": (EvaluationSummary, "evaluation/{run}/summary.json"),
    "calibration": (CalibrationSummary, "calibration/{run}/summary.json"),
    "no_answer": (NoAnswerSummary, "no_answer/{run}/summary.json"),
    "benchmark": (BenchmarkReport, "benchmark/results.json"),
    "int8_profile": (Int8Profile, "benchmark/int8_profile.json"),
    "decoding": (DecodingSummary, "decoding/{run}/summary.json"),
}


def load(study: str, run: str | Path = "repro") -> Any:
    """The summary of ``study`` (one of :data:`STUDIES`) as its dataclass: of the committed run named ``run``, or of
    the run a study wrote to the folder ``run``."""
    if study not in STUDIES:
        raise ValueError(f"no study {study!r}; choose from {', '.join(STUDIES)}")
    kind, relative = STUDIES[study]
    return stored.read(kind, run / Path(relative).name if isinstance(run, Path) else relative.format(run=run))


def load_rows(study: str, run: str | Path = "repro"):
    """Every row behind a per-language study (evaluation, calibration, no_answer) as one DataFrame, with
    ``lang`` and ``engine`` columns: the answers the summary was computed from (``run``: as for :func:`load`)."""
    import pandas as pd

    summary = load(study, run)
    if isinstance(summary, EvaluationSummary):
        units = [(r.engine, r.lang) for r in summary.rows]
    elif isinstance(summary, CalibrationSummary):
        units = [(engine, lang) for engine in summary.engines for lang in summary.langs]
    elif isinstance(summary, NoAnswerSummary):
        langs = list(next(iter(summary.rules.values())).by_language)
        units = [(engine, lang) for engine in summary.empty_answers for lang in langs]
    else:
        raise ValueError(f"{study} keeps no rows per language and engine")
    files = {(engine, lang): run / f"{study}.{engine}.{lang}.json" if isinstance(run, Path) else f"{study}/{run}/{study}.{engine}.{lang}.json"
             for engine, lang in units}
    frames = [pd.DataFrame(stored.read(Unit, file).rows).assign(lang=lang, engine=engine) for (engine, lang), file in files.items()]
    return pd.concat(frames, ignore_index=True)
