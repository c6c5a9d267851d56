"""No answer: does the model know when the context does not hold the answer? ``python -m studies no-answer``.

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
language. ``no-answer`` keeps each pair's answer, score and null margin per language and engine
(``no_answer.<engine>.<lang>.json``, one unit of :class:`studies.job.Job` each: ``--resume`` keeps those of this run)
and writes ``summary.json`` (:class:`NoAnswerSummary`).
"""
from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from qa_helpers.engines import spark_engine, transformers_engine
from qa_helpers.metrics import exact_match
from qa_helpers.models.sources import ModelSource, describe, resolve_model
from qa_helpers.results import Answer, RowResult
from qa_helpers.xquad import SPLITS, XQuADExample, load_xquad

from . import stored
from .job import Job, Unit, answer_examples, held_out_run_arguments, measured_on
from .report import ENGINE_LABELS

__all__ = [
    "CHOOSE_ARTICLES", "REPORT_ARTICLES", "RULES", "Decisions", "EmptyAnswers", "NoAnswerSummary", "RuleResult",
    "choose_threshold", "decision_table", "main", "measure", "plot_separation", "rules_table", "unanswerable",
]
STUDY = "no_answer"

_HELDOUT = SPLITS["heldout"]
CHOOSE_ARTICLES = range(_HELDOUT.start, _HELDOUT.start + len(_HELDOUT) // 2)  # thresholds are chosen here ...
REPORT_ARTICLES = range(CHOOSE_ARTICLES.stop, _HELDOUT.stop)  # ... and measured here
RULES: dict[str, tuple[str, str, Callable[[RowResult, float], bool]]] = {  # rule -> engine, the value it thresholds, the rule
    "null": ("transformers", "null_margin", transformers_engine.abstains),
    "score": ("transformers", "score", RowResult.scored_below),
    "spark": ("spark", "score", spark_engine.abstains),
}


@dataclass(frozen=True)
class Decisions:
    """How a rule's "no answer" decisions went on a set of pairs."""

    pairs: int
    unanswerable: int
    precision: float | None  # of "no answer" (None: it never said so)
    recall: float | None  # of "no answer" (None: no unanswerable pair)
    accuracy: float  # of the decision, answer or not
    answerable_answered: float | None  # what the rule costs: the share of answerable pairs it still answers
    right_among_answered: float | None  # exact match among those


@dataclass(frozen=True)
class RuleResult:
    engine: str
    threshold: float
    chosen_on: Decisions  # the first half of the held-out articles
    measured: Decisions  # the second half
    by_language: dict[str, Decisions]


@dataclass(frozen=True)
class EmptyAnswers:
    """How many answerable and unanswerable pairs an engine answered with an empty text."""

    answerable: int
    unanswerable: int


@dataclass(frozen=True)
class NoAnswerSummary:
    model: str
    adapter_sha256: str | None
    machines: list[str]
    choose_articles: str
    report_articles: str
    empty_answers: dict[str, EmptyAnswers]
    rules: dict[str, RuleResult]


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
) -> NoAnswerSummary:
    """Answer the held-out questions and their unanswerable twins in each engine; choose and measure thresholds."""
    source = resolve_model(model)

    def examples_for(lang: str) -> list[XQuADExample]:
        answerable = load_xquad(lang, split="heldout")
        return answerable + unanswerable(answerable)

    def rows_for(engine: str, examples: list[XQuADExample]) -> list[dict]:
        results = answer_examples(examples, engine, source, progress)
        return [_row(ex, results[ex.id]) for ex in examples]

    units = Job(STUDY, out, source, {"split": "heldout", "pairs": "next paragraph without the answer"}).per_language(
        langs, engines, examples_for, rows_for, resume)
    summary = summarise(units, source)
    stored.write(out / "summary.json", summary)
    return summary


def _says_none(row: dict, rule: str, threshold: float) -> bool:
    """The rule's verdict on a stored row, rebuilt as the engine's result (no context tokens: no answer)."""
    _, _, abstains = RULES[rule]
    answers = [Answer(text=row["text"], start=0, end=len(row["text"]), score=row["score"])] if row["text"] else []
    margin = row["null_margin"] if row["null_margin"] is not None or rule != "null" else math.inf
    return abstains(RowResult(answers=answers, null_margin=margin), threshold)


def decision_table(rows: list[dict], rule: str, threshold: float) -> Decisions:
    """Precision and recall of "no answer", accuracy of the decision, and what it costs the answerable questions."""
    says = [_says_none(r, rule, threshold) for r in rows]
    none = [not r["answerable"] for r in rows]
    hits = sum(s and n for s, n in zip(says, none))
    answerable = [r for r in rows if r["answerable"]]
    kept = [r for r, s in zip(rows, says) if r["answerable"] and not s]
    return Decisions(
        pairs=len(rows), unanswerable=sum(none),
        precision=hits / sum(says) if any(says) else None, recall=hits / sum(none) if any(none) else None,
        accuracy=sum(s == n for s, n in zip(says, none)) / len(rows),
        answerable_answered=len(kept) / len(answerable) if answerable else None,
        right_among_answered=sum(r["em"] for r in kept) / len(kept) if kept else None,
    )


def choose_threshold(rows: list[dict], rule: str) -> float:
    """The threshold that gets the most "answer" / "no answer" decisions right on ``rows`` (the lowest such)."""
    value = RULES[rule][1]
    values = sorted({r[value] for r in rows if r[value] is not None})
    candidates = [values[0] - 1.0] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [values[-1] + 1.0]
    return max(candidates, key=lambda t: (decision_table(rows, rule, t).accuracy, -t))


def summarise(units: dict[tuple[str, str], Unit], source: ModelSource) -> NoAnswerSummary:
    """Choose each rule's threshold on the first half of the held-out articles and measure it on the second."""
    rows = {engine: {lang: unit.rows for (e, lang), unit in units.items() if e == engine} for engine in dict.fromkeys(e for e, _ in units)}
    rules = {}
    for rule, (engine, _, _) in RULES.items():
        if engine not in rows:
            continue
        by_lang = rows[engine]
        choose = [r for lang_rows in by_lang.values() for r in lang_rows if r["article"] in CHOOSE_ARTICLES]
        threshold = choose_threshold(choose, rule)
        report = {lang: [r for r in lang_rows if r["article"] in REPORT_ARTICLES] for lang, lang_rows in by_lang.items()}
        rules[rule] = RuleResult(
            engine=engine, threshold=threshold, chosen_on=decision_table(choose, rule, threshold),
            measured=decision_table([r for lang_rows in report.values() for r in lang_rows], rule, threshold),
            by_language={lang: decision_table(lang_rows, rule, threshold) for lang, lang_rows in report.items()},
        )
    empty = {engine: EmptyAnswers(*(sum(1 for lang_rows in by_lang.values() for r in lang_rows if r["answerable"] == answerable and not r["text"])
                                    for answerable in (True, False)))
             for engine, by_lang in rows.items()}
    return NoAnswerSummary(
        model=str(source), adapter_sha256=source.adapter_sha256, machines=measured_on(units.values()),
        choose_articles=f"{CHOOSE_ARTICLES.start + 1}-{CHOOSE_ARTICLES.stop}", report_articles=f"{REPORT_ARTICLES.start + 1}-{REPORT_ARTICLES.stop}",
        empty_answers=empty, rules=rules,
    )


def rules_table(summary: NoAnswerSummary):
    """Per rule: its engine, its threshold and how its decisions went on the articles it was measured on."""
    import pandas as pd

    rows = [{"rule": rule, "engine": ENGINE_LABELS[result.engine], "threshold": result.threshold,
             **{key.replace("_", " "): value for key, value in stored.to_json(result.measured).items()}}
            for rule, result in summary.rules.items()]
    return pd.DataFrame(rows).set_index("rule").infer_objects()


def plot_separation(summary: NoAnswerSummary, rows):
    """Per rule, the value it thresholds for answerable and unanswerable pairs, with the chosen threshold; the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(summary.rules), figsize=(4.6 * len(summary.rules), 3.4), squeeze=False)
    for ax, (rule, result) in zip(axes[0], summary.rules.items()):
        engine, value, _ = RULES[rule]
        mine = rows[(rows.engine == engine) & rows[value].notna()]
        for answerable, colour, label in ((True, "#1f77b4", "answerable"), (False, "#d62728", "unanswerable")):
            ax.hist(mine[mine.answerable == answerable][value], bins=40, alpha=0.6, color=colour, label=label)
        ax.axvline(result.threshold, color="black", linestyle="--", label=f"threshold {result.threshold:.2f}")
        ax.set(xlabel={"null_margin": "null score - best span (log probability)", "score": "score of the best answer"}[value],
               ylabel="pairs", title=f"{ENGINE_LABELS[engine]}, rule '{rule}'")
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies no-answer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    args = held_out_run_arguments(parser, Path("build/no_answer")).parse_args(argv)
    print(describe(args.model), flush=True)
    summary = measure(args.langs.split(","), args.engines.split(","), args.model, args.out, not args.no_progress, args.resume)
    for rule, result in summary.rules.items():
        m = result.measured
        print(f"rule {rule} ({result.engine}): threshold {result.threshold:.3f}; on articles {summary.report_articles}: "
              f"precision {m.precision:.3f}, recall {m.recall:.3f}, accuracy {m.accuracy:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
