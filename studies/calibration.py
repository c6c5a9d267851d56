"""What a score means: is an answer scored 0.8 right 80% of the time? ``python -m studies calibrate``.

Each engine's score for its best answer is set against whether that answer is right (exact match
under the SQuAD rules), on the held-out articles only (those ``repro`` never trained on). The scores
are not the same quantity: transformers' is the product of the start and end probabilities of one
span, Spark NLP's is its own, the mean of two separate maxima. A reliability table bins the scores
and compares, per bin, the mean score with the share of right answers; the expected calibration
error (ECE) is the gap averaged over all answers, weighted by how many fall in each bin.

``calibrate`` keeps each answer's text, score and correctness per language and engine (``calibration.<engine>.<lang>.json``,
one unit of :class:`studies.job.Job` each: ``--resume`` keeps those of this run) and writes ``summary.json``
(:class:`CalibrationSummary`).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from qa_helpers.metrics import exact_match
from qa_helpers.models.sources import ModelSource, describe, resolve_model
from qa_helpers.xquad import XQuADExample, load_xquad

from . import stored
from .job import Job, Unit, answer_examples, held_out_run_arguments, measured_on
from .report import ENGINE_LABELS

__all__ = [
    "BINS", "TARGET_ACCURACY", "Bin", "CalibrationSummary", "EngineCalibration", "calibrate", "expected_calibration_error",
    "main", "plot_reliability", "reliability_table", "score_threshold",
    "threshold_rule",
]

BINS = 10  # equal-width score bins on [0, 1]
TARGET_ACCURACY = 0.8  # the rule of thumb: above which score are answers right this often?
STUDY = "calibration"


@dataclass(frozen=True)
class Bin:
    """One bin of scores: its edges, how many answers fall in it, their mean score and the share right."""

    lo: float
    hi: float
    count: int
    mean_score: float
    accuracy: float


@dataclass(frozen=True)
class EngineCalibration:
    answers: int
    seconds: float
    ece: float
    bins: list[Bin]
    threshold: float | None  # the lowest bin edge from which answers are right TARGET_ACCURACY of the time
    ece_by_language: dict[str, float]


@dataclass(frozen=True)
class CalibrationSummary:
    model: str
    adapter_sha256: str | None
    machines: list[str]
    split: str
    correct: str  # what "right" means
    target_accuracy: float
    engines: dict[str, EngineCalibration]

    @property
    def langs(self) -> list[str]:
        return list(next(iter(self.engines.values())).ece_by_language)


def reliability_table(scores: list[float], correct: list[float], bins: int = BINS) -> list[Bin]:
    """Per non-empty bin of ``[0, 1]``: its edges, how many answers, their mean score, the share right."""
    if len(scores) != len(correct):
        raise ValueError(f"{len(scores)} scores but {len(correct)} correctness values")
    grouped: dict[int, list[tuple[float, float]]] = {}
    for score, right in zip(scores, correct):
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score {score} is outside [0, 1]")
        grouped.setdefault(min(int(score * bins), bins - 1), []).append((score, right))
    return [
        Bin(index / bins, (index + 1) / bins, len(pairs), sum(s for s, _ in pairs) / len(pairs), sum(r for _, r in pairs) / len(pairs))
        for index, pairs in sorted(grouped.items())
    ]


def expected_calibration_error(table: list[Bin]) -> float:
    """The gap between mean score and share right, averaged over answers (bins weighted by their count)."""
    total = sum(b.count for b in table)
    return sum(b.count * abs(b.accuracy - b.mean_score) for b in table) / total


def score_threshold(scores: list[float], correct: list[float], target: float = TARGET_ACCURACY, bins: int = BINS) -> float | None:
    """The lowest bin edge from which on the answers are right at least ``target`` of the time (None if never)."""
    for index in range(bins):
        edge = index / bins
        kept = [right for score, right in zip(scores, correct) if score >= edge]
        if kept and sum(kept) / len(kept) >= target:
            return edge
    return None


def calibrate(
    langs: list[str], engines: list[str], model: str | ModelSource | None = None, out: Path = Path("build/calibration"),
    progress: bool = True, resume: bool = False,
) -> CalibrationSummary:
    """Answer the held-out questions, keep score and correctness per answer, and summarise; returns the summary."""
    source = resolve_model(model)

    def rows_for(engine: str, examples: list[XQuADExample]) -> list[dict]:
        results = answer_examples(examples, engine, source, progress)
        rows = []
        for ex in examples:
            best = results[ex.id].answers[0] if results[ex.id].answers else None
            text = best.text if best else ""
            rows.append({"id": ex.id, "text": text, "score": best.score if best else 0.0,
                         "em": exact_match(text, ex.answers, ex.lang, "squad")})
        return rows

    units = Job(STUDY, out, source, {"split": "heldout"}).per_language(
        langs, engines, lambda lang: load_xquad(lang, split="heldout"), rows_for, resume)
    summary = summarise(units, source)
    stored.write(out / "summary.json", summary)
    return summary


def summarise(units: dict[tuple[str, str], Unit], source: ModelSource) -> CalibrationSummary:
    engines = {}
    for engine in dict.fromkeys(engine for engine, _ in units):
        rows = {lang: units[engine, lang].rows for (e, lang) in units if e == engine}
        scores = [r["score"] for lang_rows in rows.values() for r in lang_rows]
        correct = [r["em"] for lang_rows in rows.values() for r in lang_rows]
        table = reliability_table(scores, correct)
        engines[engine] = EngineCalibration(
            answers=len(scores), seconds=sum(unit.seconds for (e, _), unit in units.items() if e == engine),
            ece=expected_calibration_error(table), bins=table, threshold=score_threshold(scores, correct),
            ece_by_language={lang: expected_calibration_error(reliability_table([r["score"] for r in lang_rows], [r["em"] for r in lang_rows]))
                             for lang, lang_rows in rows.items()},
        )
    return CalibrationSummary(model=str(source), adapter_sha256=source.adapter_sha256, machines=measured_on(units.values()),
                              split="heldout", correct="exact match, SQuAD rules", target_accuracy=TARGET_ACCURACY, engines=engines)


def plot_reliability(summary: CalibrationSummary):
    """A reliability diagram per engine: share right against mean score per bin, with the diagonal; the figure."""
    import matplotlib.pyplot as plt

    engines = list(summary.engines)
    fig, axes = plt.subplots(1, len(engines), figsize=(4.5 * len(engines), 4.2), squeeze=False)
    for ax, engine in zip(axes[0], engines):
        result = summary.engines[engine]
        table = result.bins
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
        ax.bar([b.lo for b in table], [b.accuracy for b in table], width=1 / BINS, align="edge",
               color="#1f77b4", alpha=0.75, edgecolor="white", label="share right")
        ax.plot([b.mean_score for b in table], [b.accuracy for b in table], "o", color="#d62728", markersize=4,
                label="at the bin's mean score")
        for b in table:  # how many answers each bin holds, at the foot of its bar, clear of the bar's top and its dot
            ax.annotate(str(b.count), (b.lo + 0.5 / BINS, 0.01), ha="center", va="bottom", fontsize=9)
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="score of the best answer", ylabel="share of answers right (exact match)",
               title=f"{ENGINE_LABELS[engine]}: ECE {result.ece:.3f} ({result.answers} answers)")
        ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def threshold_rule(summary: CalibrationSummary, answers) -> list[dict]:
    """Per engine, what keeping only answers scored at or above its threshold does: the rule of thumb, measured."""
    rows = []
    for engine, result in summary.engines.items():
        mine = answers[answers.engine == engine]
        kept = mine[mine.score >= result.threshold] if result.threshold is not None else mine.iloc[:0]
        rows.append({
            "engine": ENGINE_LABELS[engine], "threshold": result.threshold, "answers kept": len(kept) / len(mine),
            "right among kept": kept.em.mean() if len(kept) else None, "right among all": mine.em.mean(),
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies calibrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    args = held_out_run_arguments(parser, Path("build/calibration")).parse_args(argv)
    print(describe(args.model), flush=True)
    summary = calibrate(args.langs.split(","), args.engines.split(","), args.model, args.out, not args.no_progress, args.resume)
    for engine, result in summary.engines.items():
        print(f"{ENGINE_LABELS[engine]}: ECE {result.ece:.3f} over {result.answers} answers; "
              f"right at least {TARGET_ACCURACY:.0%} of the time from score {result.threshold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
