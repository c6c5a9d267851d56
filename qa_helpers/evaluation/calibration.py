"""What a score means: is an answer scored 0.8 right 80% of the time? ``python -m qa_helpers calibrate``.

Each engine's score for its best answer is set against whether that answer is right (exact match
under the SQuAD rules), on the held-out articles only (those ``repro`` never trained on). The scores
are not the same quantity: transformers' is the product of the start and end probabilities of one
span, Spark NLP's is its own, the mean of two separate maxima. A reliability table bins the scores
and compares, per bin, the mean score with the share of right answers; the expected calibration
error (ECE) is the gap averaged over all answers, weighted by how many fall in each bin.

``calibrate`` writes ``answers.<engine>.<lang>.json`` (id, text, score, em) per language and engine,
each as soon as it is done (``--resume`` skips those already written), and ``summary.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..models.sources import ModelSource, describe, resolve_model
from ..results import RowResult
from . import stored
from .metrics import exact_match
from .runner import ENGINE_NAMES, held_out_run_arguments, measured_on, run_per_language
from .xquad import XQuADExample, load_xquad

__all__ = [
    "BINS", "TARGET_ACCURACY", "calibrate", "expected_calibration_error", "main", "plot_reliability", "reliability_table",
    "score_threshold", "stored_answers", "stored_summary", "threshold_rule",
]

BINS = 10  # equal-width score bins on [0, 1]
TARGET_ACCURACY = 0.8  # the rule of thumb: above which score are answers right this often?


def reliability_table(scores: list[float], correct: list[float], bins: int = BINS) -> list[dict]:
    """Per non-empty bin of ``[0, 1]``: its edges, how many answers, their mean score, the share right."""
    if len(scores) != len(correct):
        raise ValueError(f"{len(scores)} scores but {len(correct)} correctness values")
    grouped: dict[int, list[tuple[float, float]]] = {}
    for score, right in zip(scores, correct):
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score {score} is outside [0, 1]")
        grouped.setdefault(min(int(score * bins), bins - 1), []).append((score, right))
    return [
        {
            "lo": index / bins, "hi": (index + 1) / bins, "count": len(pairs),
            "mean score": sum(s for s, _ in pairs) / len(pairs), "accuracy": sum(r for _, r in pairs) / len(pairs),
        }
        for index, pairs in sorted(grouped.items())
    ]


def expected_calibration_error(table: list[dict]) -> float:
    """The gap between mean score and share right, averaged over answers (bins weighted by their count)."""
    total = sum(row["count"] for row in table)
    return sum(row["count"] * abs(row["accuracy"] - row["mean score"]) for row in table) / total


def score_threshold(scores: list[float], correct: list[float], target: float = TARGET_ACCURACY, bins: int = BINS) -> float | None:
    """The lowest bin edge from which on the answers are right at least ``target`` of the time (None if never)."""
    for index in range(bins):
        edge = index / bins
        kept = [right for score, right in zip(scores, correct) if score >= edge]
        if kept and sum(kept) / len(kept) >= target:
            return edge
    return None


def _answers_path(out: Path, engine: str, lang: str) -> Path:
    return out / f"answers.{engine}.{lang}.json"


def calibrate(
    langs: list[str], engines: list[str], model: str | ModelSource | None = None, out: Path = Path("build/calibration"),
    progress: bool = True, resume: bool = False,
) -> dict:
    """Answer the held-out questions, keep score and correctness per answer, and summarise; returns the summary."""
    source = resolve_model(model)

    def rows_for(examples: list[XQuADExample], results: dict[str, RowResult]) -> list[dict]:
        rows = []
        for ex in examples:
            best = results[ex.id].answers[0] if results[ex.id].answers else None
            text = best.text if best else ""
            rows.append({"id": ex.id, "text": text, "score": best.score if best else 0.0,
                         "em": exact_match(text, ex.answers, ex.lang, "squad")})
        return rows

    run_per_language("answers", langs, engines, source, out, lambda lang: load_xquad(lang, split="heldout"), rows_for,
                     progress, resume)
    summary = _summarise(out, langs, engines, str(source))
    stored.write_json(out / "summary.json", summary, indent=1)
    return summary


def _summarise(out: Path, langs: list[str], engines: list[str], model: str) -> dict:
    engines_summary, machines = {}, set()
    for engine in engines:
        records = {lang: json.loads(_answers_path(out, engine, lang).read_text(encoding="utf-8")) for lang in langs}
        machines.update(measured_on(list(records.values())))
        rows = {lang: record["answers"] for lang, record in records.items()}
        scores = [r["score"] for lang in langs for r in rows[lang]]
        correct = [r["em"] for lang in langs for r in rows[lang]]
        table = reliability_table(scores, correct)
        engines_summary[engine] = {
            "answers": len(scores), "seconds": sum(record["seconds"] for record in records.values()),
            "ece": expected_calibration_error(table), "table": table,
            "threshold": score_threshold(scores, correct),
            "ece by language": {
                lang: expected_calibration_error(reliability_table([r["score"] for r in rows[lang]], [r["em"] for r in rows[lang]]))
                for lang in langs
            },
        }
    return {"model": model, "machines": sorted(machines),
            "split": "heldout", "correct": "exact match, SQuAD rules", "bins": BINS,
            "target accuracy": TARGET_ACCURACY, "engines": engines_summary}


def plot_reliability(summary: dict):
    """A reliability diagram per engine: share right against mean score per bin, with the diagonal; the figure."""
    import matplotlib.pyplot as plt

    engines = list(summary["engines"])
    fig, axes = plt.subplots(1, len(engines), figsize=(4.5 * len(engines), 4.2), squeeze=False)
    for ax, engine in zip(axes[0], engines):
        result = summary["engines"][engine]
        table = result["table"]
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
        ax.bar([row["lo"] for row in table], [row["accuracy"] for row in table], width=1 / summary["bins"], align="edge",
               color="#1f77b4", alpha=0.75, edgecolor="white", label="share right")
        ax.plot([row["mean score"] for row in table], [row["accuracy"] for row in table], "o", color="#d62728", markersize=4,
                label="at the bin's mean score")
        for row in table:
            ax.annotate(str(row["count"]), (row["lo"] + 0.5 / summary["bins"], min(row["accuracy"], 0.9) + 0.02), ha="center", fontsize=7)
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="score of the best answer", ylabel="share of answers right (exact match)",
               title=f"{ENGINE_NAMES[engine]}: ECE {result['ece']:.3f} ({result['answers']} answers)")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def threshold_rule(summary: dict, answers) -> list[dict]:
    """Per engine, what keeping only answers scored at or above its threshold does: the rule of thumb, measured."""
    rows = []
    for engine, result in summary["engines"].items():
        mine = answers[answers.engine == engine]
        kept = mine[mine.score >= result["threshold"]] if result["threshold"] is not None else mine.iloc[:0]
        rows.append({
            "engine": ENGINE_NAMES[engine], "threshold": result["threshold"], "answers kept": len(kept) / len(mine),
            "right among kept": kept.em.mean() if len(kept) else None, "right among all": mine.em.mean(),
        })
    return rows


def stored_summary(run: str = "repro") -> dict:
    """The summary of the committed calibration run of ``run`` (notebook 7 and README quote it)."""
    return stored.read_json(f"calibration/{run}/summary.json")


def stored_answers(run: str = "repro"):
    """The committed answers of ``calibrate`` as one DataFrame: lang, engine, id, text, score, em."""
    import pandas as pd

    summary = stored_summary(run)
    frames = []
    for engine in summary["engines"]:
        for lang in summary["engines"][engine]["ece by language"]:
            rows = stored.read_json(f"calibration/{run}/answers.{engine}.{lang}.json")["answers"]
            frames.append(pd.DataFrame(rows).assign(lang=lang, engine=engine))
    return pd.concat(frames, ignore_index=True)[["lang", "engine", "id", "text", "score", "em"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa_helpers calibrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    args = held_out_run_arguments(parser, Path("build/calibration")).parse_args(argv)
    print(describe(args.model), flush=True)
    summary = calibrate(args.langs.split(","), args.engines.split(","), args.model, args.out, not args.no_progress, args.resume)
    for engine, result in summary["engines"].items():
        print(f"{ENGINE_NAMES[engine]}: ECE {result['ece']:.3f} over {result['answers']} answers; "
              f"right at least {TARGET_ACCURACY:.0%} of the time from score {result['threshold']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
