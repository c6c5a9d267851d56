"""No answer: does the model know when the context does not hold the answer? ``python -m qa_helpers no-answer``.

XQuAD has no unanswerable questions, so they are built the way the literature builds them (as
SQuAD 2.0's and MLQA's distractor studies do): a held-out question is paired with another paragraph of
its own article, one in which none of its gold answers occurs (the next such paragraph in article order).
The topic stays, the answer goes. Only the held-out articles are used, so ``repro`` never trained on
either side.

Three rules decide "no answer", each with one threshold:

- ``null``: transformers' null score, log(p_start[CLS] * p_end[CLS]), beats its best span's log score by more
  than the threshold, across windows (:func:`qa_helpers.decoding.no_answer_margin`);
- ``score``: transformers' best span scores below the threshold (the product of two probabilities);
- ``spark``: Spark NLP, which has no null score, returns an empty answer or scores below the threshold.

Each threshold is chosen on the first half of the held-out articles (the one that gets the most
decisions right there) and measured on the second half: precision and recall of "no answer" per
language. ``no-answer`` writes ``rows.<engine>.<lang>.json`` per language and engine as soon as each
is done (``--resume`` keeps them) and ``summary.json``.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..engines import spark_engine, transformers_engine
from ..examples import LANGUAGES
from ..models.sources import ModelSource, describe, resolve_model
from ..results import Answer, RowResult
from . import stored
from .metrics import exact_match
from .runner import ENGINE_NAMES, held_out_run_arguments, measured_on, run_per_language
from .xquad import SPLITS, XQuADExample, load_xquad

__all__ = [
    "CHOOSE_ARTICLES", "REPORT_ARTICLES", "RULES", "choose_threshold", "decision_table", "main", "measure",
    "plot_separation", "stored_rows", "stored_summary", "unanswerable",
]

_HELDOUT = SPLITS["heldout"]
CHOOSE_ARTICLES = range(_HELDOUT.start, _HELDOUT.start + len(_HELDOUT) // 2)  # thresholds are chosen here ...
REPORT_ARTICLES = range(CHOOSE_ARTICLES.stop, _HELDOUT.stop)  # ... and measured here
RULES: dict[str, tuple[str, str, Callable[[RowResult, float], bool]]] = {  # rule -> engine, the value it thresholds, the rule
    "null": ("transformers", "null_margin", transformers_engine.abstains),
    "score": ("transformers", "score", RowResult.scored_below),
    "spark": ("spark", "score", spark_engine.abstains),
}


def unanswerable(examples: list[XQuADExample]) -> list[XQuADExample]:
    """Each question with another paragraph of its article that holds none of its answers (id + ``/none``).

    A question whose answer occurs in every other paragraph gets no pair; matching ignores case.
    """
    paragraphs: dict[int, list[str]] = {}
    for ex in examples:
        paragraphs.setdefault(ex.article, [])
        if ex.context not in paragraphs[ex.article]:
            paragraphs[ex.article].append(ex.context)
    built = []
    for ex in examples:
        own = paragraphs[ex.article]
        k = own.index(ex.context)
        for step in range(1, len(own)):
            other = own[(k + step) % len(own)]
            if not any(a.casefold() in other.casefold() for a in ex.answers):
                built.append(replace(ex, id=f"{ex.id}/none", context=other, answers=(), answer_starts=()))
                break
    return built


def _rows_path(out: Path, engine: str, lang: str) -> Path:
    return out / f"rows.{engine}.{lang}.json"


def _row(ex: XQuADExample, result: RowResult) -> dict:
    best = result.answers[0] if result.answers else None
    text = best.text if best else ""
    margin = result.null_margin
    return {
        "id": ex.id, "article": ex.article, "answerable": bool(ex.answers), "text": text, "score": best.score if best else 0.0,
        "null_margin": margin if margin is None or math.isfinite(margin) else None,
        "em": exact_match(text, ex.answers, ex.lang, "squad") if ex.answers else None,
    }


def measure(
    langs: list[str], engines: list[str], model: str | ModelSource | None = None, out: Path = Path("build/no_answer"),
    progress: bool = True, resume: bool = False,
) -> dict:
    """Answer the held-out questions and their unanswerable twins in each engine; choose and measure thresholds."""
    source = resolve_model(model)

    def examples_for(lang: str) -> list[XQuADExample]:
        answerable = load_xquad(lang, split="heldout")
        return answerable + unanswerable(answerable)

    run_per_language("rows", langs, engines, source, out, examples_for,
                     lambda examples, results: [_row(ex, results[ex.id]) for ex in examples], progress, resume)
    summary = _summarise(out, langs, str(source))
    stored.write_json(out / "summary.json", summary, indent=1)
    return summary


def _says_none(row: dict, rule: str, threshold: float) -> bool:
    """The rule's verdict on a stored row, rebuilt as the engine's result (no context tokens: no answer)."""
    _, _, abstains = RULES[rule]
    answers = [Answer(text=row["text"], start=0, end=len(row["text"]), score=row["score"])] if row["text"] else []
    margin = row["null_margin"] if row["null_margin"] is not None or rule != "null" else math.inf
    return abstains(RowResult(answers=answers, null_margin=margin), threshold)


def decision_table(rows: list[dict], rule: str, threshold: float) -> dict:
    """Precision and recall of "no answer", accuracy of the decision, and what it costs the answerable questions."""
    says = [_says_none(r, rule, threshold) for r in rows]
    none = [not r["answerable"] for r in rows]
    hits = sum(s and n for s, n in zip(says, none))
    answerable = [r for r in rows if r["answerable"]]
    kept = [r for r, s in zip(rows, says) if r["answerable"] and not s]
    return {
        "pairs": len(rows), "unanswerable": sum(none),
        "precision": hits / sum(says) if any(says) else None, "recall": hits / sum(none) if any(none) else None,
        "accuracy": sum(s == n for s, n in zip(says, none)) / len(rows),
        "answerable answered": len(kept) / len(answerable) if answerable else None,
        "right among answered": sum(r["em"] for r in kept) / len(kept) if kept else None,
    }


def choose_threshold(rows: list[dict], rule: str) -> float:
    """The threshold that gets the most "answer" / "no answer" decisions right on ``rows`` (the lowest such)."""
    value = RULES[rule][1]
    values = sorted({r[value] for r in rows if r[value] is not None})
    candidates = [values[0] - 1.0] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [values[-1] + 1.0]
    return max(candidates, key=lambda t: (decision_table(rows, rule, t)["accuracy"], -t))


def _summarise(out: Path, langs: list[str], model: str) -> dict:
    records = {engine: {lang: json.loads(_rows_path(out, engine, lang).read_text(encoding="utf-8")) for lang in langs}
               for engine in {engine for engine, _, _ in RULES.values()} if all(_rows_path(out, engine, lang).exists() for lang in langs)}
    rows = {engine: {lang: record["rows"] for lang, record in by_lang.items()} for engine, by_lang in records.items()}
    rules = {}
    for rule, (engine, _, _) in RULES.items():
        if engine not in rows:
            continue
        choose = [r for lang in langs for r in rows[engine][lang] if r["article"] in CHOOSE_ARTICLES]
        threshold = choose_threshold(choose, rule)
        report = {lang: [r for r in rows[engine][lang] if r["article"] in REPORT_ARTICLES] for lang in langs}
        rules[rule] = {
            "engine": engine, "threshold": threshold, "chosen on": decision_table(choose, rule, threshold),
            "measured": decision_table([r for lang in langs for r in report[lang]], rule, threshold),
            "by language": {lang: decision_table(report[lang], rule, threshold) for lang in langs},
        }
    return {
        "model": model, "machines": measured_on([r for by_lang in records.values() for r in by_lang.values()]),
        "choose articles": f"{CHOOSE_ARTICLES.start + 1}-{CHOOSE_ARTICLES.stop}",
        "report articles": f"{REPORT_ARTICLES.start + 1}-{REPORT_ARTICLES.stop}",
        "empty answers": {engine: {kind: sum(1 for lang in langs for r in rows[engine][lang] if r["answerable"] == (kind == "answerable") and not r["text"])
                                   for kind in ("answerable", "unanswerable")} for engine in rows},
        "rules": rules,
    }


def plot_separation(summary: dict, rows):
    """Per rule, the value it thresholds for answerable and unanswerable pairs, with the chosen threshold; the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(summary["rules"]), figsize=(4.6 * len(summary["rules"]), 3.4), squeeze=False)
    for ax, (rule, result) in zip(axes[0], summary["rules"].items()):
        engine, value, _ = RULES[rule]
        mine = rows[(rows.engine == engine) & rows[value].notna()]
        for answerable, colour, label in ((True, "#1f77b4", "answerable"), (False, "#d62728", "unanswerable")):
            ax.hist(mine[mine.answerable == answerable][value], bins=40, alpha=0.6, color=colour, label=label)
        ax.axvline(result["threshold"], color="black", linestyle="--", label=f"threshold {result['threshold']:.2f}")
        ax.set(xlabel={"null_margin": "null score - best span (log probability)", "score": "score of the best answer"}[value],
               ylabel="pairs", title=f"{ENGINE_NAMES[engine]}, rule '{rule}'")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def stored_summary(run: str = "repro") -> dict:
    """The summary of the committed no-answer run of ``run`` (notebook 7 and README quote it)."""
    return stored.read_json(f"no_answer/{run}/summary.json")


def stored_rows(run: str = "repro"):
    """The committed rows of ``no-answer`` as one DataFrame: lang, engine and the fields of each row."""
    import pandas as pd

    frames = [
        pd.DataFrame(stored.read_json(f"no_answer/{run}/rows.{engine}.{lang}.json")["rows"]).assign(lang=lang, engine=engine)
        for engine in ENGINE_NAMES for lang in LANGUAGES
    ]
    return pd.concat(frames, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa_helpers no-answer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    args = held_out_run_arguments(parser, Path("build/no_answer")).parse_args(argv)
    print(describe(args.model), flush=True)
    summary = measure(args.langs.split(","), args.engines.split(","), args.model, args.out, not args.no_progress, args.resume)
    for rule, result in summary["rules"].items():
        m = result["measured"]
        print(f"rule {rule} ({result['engine']}): threshold {result['threshold']:.3f}; on articles {summary['report articles']}: "
              f"precision {m['precision']}, recall {m['recall']}, accuracy {m['accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
