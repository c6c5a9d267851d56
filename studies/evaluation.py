"""Evaluate a model on XQuAD in either engine: ``python -m studies evaluate``.

For every language and engine it answers the questions in batches (with a progress bar) and keeps the
answers (``evaluation.<engine>.<lang>.json``, one unit of :class:`studies.job.Job` each, so ``--resume``
goes on after a stop); then it scores them: EM and F1 under both normalisations of :mod:`qa_helpers.metrics`,
over all questions and over the held-out articles alone (those ``repro`` never trained on), how often the
two engines agree, and the time and peak memory of the run, measured here. The summary is
``summary.json`` (:class:`EvaluationSummary`), ``summary.csv`` and ``summary.md``.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from qa_helpers.examples import LANGUAGES
from qa_helpers.metrics import MODES, exact_match, f1
from qa_helpers.models.sources import ModelSource, describe, resolve_model
from qa_helpers.xquad import SPLITS, XQuADExample, load_xquad, split_label

from . import stored
from .job import Job, Unit, answer_examples, measured_on
from .published import PUBLISHED_MBERT_ZERO_SHOT, published_mean
from .report import ENGINE_LABELS, markdown_table

__all__ = [
    "ANSWER_KINDS", "EvaluationSummary", "LanguageResult", "Scores", "answer_kinds", "evaluate", "main", "precision_table",
    "predictions", "run_name", "score", "score_table", "scores", "time_table",
]

ANSWER_KINDS = ("exact", "partial", "no overlap", "empty")
STUDY = "evaluation"


@dataclass(frozen=True)
class Scores:
    """EM and F1 in percent, under the SQuAD rules and the multilingual normalisation (:mod:`qa_helpers.metrics`)."""

    questions: int
    em_squad: float
    f1_squad: float
    em_multilingual: float
    f1_multilingual: float


@dataclass(frozen=True)
class LanguageResult:
    """One language in one engine: its scores on all questions of the run and on the held-out articles among them."""

    lang: str
    engine: str
    seconds: float
    scores: Scores
    heldout: Scores | None  # None when the run has no held-out question
    engines_agree_exact: float | None  # % of questions both engines answer with the same text (None: one engine ran)
    engines_agree_f1: float | None  # the mean F1 of one engine's answers against the other's


@dataclass(frozen=True)
class EvaluationSummary:
    model: str
    adapter_sha256: str | None
    split: str
    limit: int | None
    seconds: dict[str, float]  # per engine, summed over the languages (and the sittings of a resumed run)
    memory_mb: dict[str, float]  # peak resident memory per process (python, jvm), the maximum over the sittings
    machines: list[str]
    rows: list[LanguageResult]

    @property
    def langs(self) -> list[str]:
        return list(dict.fromkeys(row.lang for row in self.rows))

    @property
    def engines(self) -> list[str]:
        return list(dict.fromkeys(row.engine for row in self.rows))

    def row(self, lang: str, engine: str) -> LanguageResult:
        return next(r for r in self.rows if (r.lang, r.engine) == (lang, engine))

    def table(self):
        """One row per language and engine, every score a column (F1 and EM in percent)."""
        import pandas as pd

        records = []
        for r in self.rows:
            record = {"lang": r.lang, "engine": r.engine, "questions": r.scores.questions, "seconds": r.seconds}
            for mode in MODES:
                record[f"EM {mode}"], record[f"F1 {mode}"] = getattr(r.scores, f"em_{mode}"), getattr(r.scores, f"f1_{mode}")
            if r.heldout:
                record["held-out questions"] = r.heldout.questions
                for mode in MODES:
                    record[f"held-out EM {mode}"] = getattr(r.heldout, f"em_{mode}")
                    record[f"held-out F1 {mode}"] = getattr(r.heldout, f"f1_{mode}")
            if r.engines_agree_exact is not None:
                record["engines agree (exact)"], record["engines agree (F1)"] = r.engines_agree_exact, r.engines_agree_f1
            records.append(record)
        return pd.DataFrame(records)


def score(examples: list[XQuADExample], predictions: dict[str, str], mode: str) -> tuple[float, float]:
    """EM and F1 in percent, averaged over the examples."""
    em = sum(exact_match(predictions[ex.id], ex.answers, ex.lang, mode) for ex in examples)
    f = sum(f1(predictions[ex.id], ex.answers, ex.lang, mode) for ex in examples)
    return 100 * em / len(examples), 100 * f / len(examples)


def scores(examples: list[XQuADExample], predictions: dict[str, str]) -> Scores:
    """EM and F1 of ``predictions`` (question id -> answer text) under both normalisations."""
    (em_s, f1_s), (em_m, f1_m) = (score(examples, predictions, mode) for mode in MODES)
    return Scores(len(examples), em_s, f1_s, em_m, f1_m)


def predictions(unit: Unit) -> dict[str, str]:
    """Question id -> answer text ("" for none) of one unit of an evaluation run."""
    return {row["id"]: row["text"] for row in unit.rows}


def _answer_rows(engine: str, examples: list[XQuADExample], source: ModelSource, progress: bool) -> list[dict]:
    results = answer_examples(examples, engine, source, progress)
    return [{"id": ex.id, "text": results[ex.id].answers[0].text if results[ex.id].answers else ""} for ex in examples]


def evaluate(
    langs: list[str],
    engines: list[str],
    model: str | ModelSource | None = None,
    limit: int | None = None,
    out: Path = Path("build/eval"),
    progress: bool = True,
    resume: bool = False,
    split: str = "all",
) -> EvaluationSummary:
    """Answer, time and score; writes the units and the summary to ``out`` and returns the summary.

    ``split`` picks XQuAD's articles (:data:`qa_helpers.xquad.SPLITS`): ``heldout`` gives the honest numbers of
    ``repro`` quickly, ``all`` the full table. The summary is rewritten after every language, so a stopped run
    leaves a current one; with ``resume`` the languages this run finished are read back, and time and memory
    are then the sum and the maximum over the sittings.
    """
    if not langs:
        raise ValueError("no language to evaluate; choose from " + ", ".join(LANGUAGES))
    source = resolve_model(model)
    job = Job(STUDY, out, source, {"split": split, "limit": limit})
    units: dict[tuple[str, str], Unit] = {}
    examples: dict[str, list[XQuADExample]] = {}
    for lang in langs:
        examples[lang] = load_xquad(lang, limit, split)
        units |= job.per_language([lang], engines, examples.__getitem__,
                                  lambda engine, chosen: _answer_rows(engine, chosen, source, progress), resume)
        summary = summarise(units, examples, source, split, limit)
        write_summary(summary, out)
    return summary


def summarise(units: dict[tuple[str, str], Unit], examples: dict[str, list[XQuADExample]], source: ModelSource, split: str,
              limit: int | None) -> EvaluationSummary:
    """Score every unit; time summed per engine; memory the maximum over the units (sittings may differ)."""
    rows = []
    for lang in examples:
        engines = [engine for (engine, unit_lang) in units if unit_lang == lang]
        answers = {engine: predictions(units[engine, lang]) for engine in engines}
        heldout = [ex for ex in examples[lang] if ex.article in SPLITS["heldout"]]
        agree_exact = agree_f1 = None
        if len(engines) == 2:
            a, b = answers.values()
            agree_exact = 100 * sum(a[ex.id] == b[ex.id] for ex in examples[lang]) / len(examples[lang])
            agree_f1 = 100 * sum(f1(a[ex.id], [b[ex.id]], lang, "multilingual") for ex in examples[lang]) / len(examples[lang])
        for engine in engines:
            rows.append(LanguageResult(
                lang, engine, units[engine, lang].seconds, scores(examples[lang], answers[engine]),
                scores(heldout, answers[engine]) if heldout else None, agree_exact, agree_f1,
            ))
    memory_keys = sorted({key for unit in units.values() for key in unit.memory_mb})
    return EvaluationSummary(
        model=str(source), adapter_sha256=source.adapter_sha256, split=split, limit=limit,
        seconds={engine: sum(r.seconds for r in rows if r.engine == engine) for engine in dict.fromkeys(r.engine for r in rows)},
        memory_mb={key: max(unit.memory_mb.get(key, 0.0) for unit in units.values()) for key in memory_keys},
        machines=measured_on(units.values()), rows=rows,
    )


def write_summary(summary: EvaluationSummary, out: Path) -> None:
    """summary.json (the typed summary), summary.csv and summary.md."""
    table = summary.table().round(1)
    stored.write(out / "summary.json", summary)
    table.to_csv(out / "summary.csv", index=False)
    lines = [
        f"{summary.model}; {'first ' + str(summary.limit) if summary.limit else 'all'} questions of "
        f"{split_label(summary.split)} in {len(summary.langs)} language{'s' * (len(summary.langs) > 1)} ({', '.join(summary.langs)}).",
        "Time per engine: " + ", ".join(f"{e} {s:.0f} s" for e, s in summary.seconds.items())
        + "; peak memory (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in summary.memory_mb.items()) + ".",
        "",
        markdown_table(table),
    ]
    (out / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_name(model: str, precision: str = "fp32") -> str:
    """The folder of a committed evaluation under ``results/evaluation/``: the model's name, then the precision
    unless fp32 (``repro``, ``repro-int8``), as ``make results`` writes them."""
    return model if precision == "fp32" else f"{model}-{precision}"


def committed_predictions(run: str, engine: str, lang: str, source: ModelSource) -> dict[str, str] | None:
    """Question id -> answer text of a committed run, if that run answered with ``source`` in ``engine`` (else None)."""
    if not (stored.RESULTS / STUDY / run / f"{STUDY}.{engine}.{lang}.json").exists():
        return None
    unit = stored.read(Unit, f"{STUDY}/{run}/{STUDY}.{engine}.{lang}.json")
    return predictions(unit) if unit.run.get("model") == source.fingerprint else None


def score_table(summary: EvaluationSummary):
    """F1 / EM (SQuAD rules) per language and engine, on the held-out articles (and on all of XQuAD, for a run of
    it), beside published mBERT zero-shot; the last row is the mean over the languages in the run."""
    import pandas as pd

    langs = summary.langs
    table = pd.DataFrame(index=langs + [f"mean of {len(langs)}"])
    for label, part in _parts(summary):
        for engine in summary.engines:
            pairs = [(getattr(summary.row(lang, engine), part).f1_squad, getattr(summary.row(lang, engine), part).em_squad)
                     for lang in langs]
            pairs.append((sum(f for f, _ in pairs) / len(pairs), sum(e for _, e in pairs) / len(pairs)))
            table[f"{label} F1 / EM, {ENGINE_LABELS[engine]}"] = [f"{f:.1f} / {e:.1f}" for f, e in pairs]
    published = [PUBLISHED_MBERT_ZERO_SHOT[lang] for lang in langs] + [published_mean(langs)]
    table["published mBERT zero-shot F1 / EM"] = [f"{f:.1f} / {e:.1f}" for f, e in published]
    return table.rename_axis("language").reset_index()


def _parts(summary: EvaluationSummary) -> list[tuple[str, str]]:
    """(label, field) of the question sets a run's rows score: the held-out articles, and all XQuAD if it ran them."""
    return [("held-out", "heldout")] + ([("all XQuAD", "scores")] if summary.split == "all" else [])


def precision_table(reference: EvaluationSummary, other: EvaluationSummary):
    """Two runs of the same questions side by side (``reference`` fp32, ``other`` int8, say): per engine, the
    minutes and F1 (SQuAD rules, held-out, and all XQuAD where both ran it) of each and the change, over the languages
    both ran."""
    import pandas as pd

    langs = [lang for lang in other.langs if lang in reference.langs]
    rows = []
    for engine in other.engines:
        a, b = ([run.row(lang, engine) for lang in langs] for run in (reference, other))
        row = {"engine": ENGINE_LABELS[engine], "languages": len(langs),
               "minutes": f"{sum(r.seconds for r in a) / 60:.1f} -> {sum(r.seconds for r in b) / 60:.1f}"}
        both_all = reference.split == other.split == "all"
        for part, label in [("scores", "F1, all XQuAD")] * both_all + [("heldout", "F1, held-out")]:
            before, after = (sum(getattr(r, part).f1_squad for r in rs) / len(rs) for rs in (a, b))
            row[label] = f"{before:.1f} -> {after:.1f} ({after - before:+.1f})"
        rows.append(row)
    return pd.DataFrame(rows)


def answer_kinds(answers, split: str = "heldout", mode: str = "multilingual"):
    """How each language's answers went, per engine: the share (%) that match the gold exactly, overlap it in part,
    share no token with it, or are empty. ``answers``: a run's rows (``studies.load_rows("evaluation", run)``), of
    which those of ``split``'s questions count.
    """
    import pandas as pd

    rows = []
    for lang in dict.fromkeys(answers.lang):
        examples = load_xquad(lang, split=split)
        for engine in dict.fromkeys(answers[answers.lang == lang].engine):
            mine = answers[(answers.lang == lang) & (answers.engine == engine)].set_index("id").text
            kinds = [_answer_kind(mine[ex.id], ex, mode) for ex in examples]
            rows.append({"lang": lang, "engine": ENGINE_LABELS[engine], "questions": len(examples),
                         **{kind: 100 * kinds.count(kind) / len(kinds) for kind in ANSWER_KINDS}})
    return pd.DataFrame(rows).round(1)


def _answer_kind(prediction: str, example: XQuADExample, mode: str) -> str:
    if not prediction:
        return "empty"
    if exact_match(prediction, example.answers, example.lang, mode):
        return "exact"
    return "partial" if f1(prediction, example.answers, example.lang, mode) > 0 else "no overlap"


def time_table(summary: EvaluationSummary):
    """Minutes per language and engine, and both together, with the total: what a full run costs."""
    import pandas as pd

    minutes = pd.DataFrame({ENGINE_LABELS[engine]: [summary.row(lang, engine).seconds / 60 for lang in summary.langs]
                            for engine in summary.engines}, index=summary.langs)
    minutes["both"] = minutes.sum(axis=1)
    minutes.loc[f"all {len(minutes)}"] = minutes.sum()
    return minutes.round(1).rename_axis("language").reset_index()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="real, repro, tiny or a folder (default: $QA_MODEL, else real)")
    parser.add_argument("--langs", default=",".join(LANGUAGES), help="comma-separated language codes")
    parser.add_argument("--engines", default="transformers,spark", help="transformers, spark or both")
    parser.add_argument("--split", default="all", choices=sorted(SPLITS),
                        help="XQuAD's articles: all 48, train (1-40) or heldout (41-48, never trained on by repro)")
    parser.add_argument("--limit", type=int, help="only the first N questions of each language (of --split)")
    parser.add_argument("--out", type=Path, default=Path("build/eval"))
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--resume", action="store_true",
                        help="read back languages an earlier run of the same settings and model finished in --out")
    args = parser.parse_args(argv)
    print(describe(args.model), flush=True)
    evaluate(args.langs.split(","), args.engines.split(","), args.model, args.limit, args.out,
             not args.no_progress, args.resume, args.split)
    print((args.out / "summary.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
