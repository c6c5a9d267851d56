"""Evaluate a model on XQuAD in either engine: ``python -m qa_helpers evaluate``.

For every language and engine it answers the questions in batches (with a progress bar),
writes the predictions (``predictions.<engine>.<lang>.json``, question id -> answer text) and a
summary (``summary.csv``, ``summary.md``, ``summary.json``): EM and F1 under both
normalisations of :mod:`qa_helpers.evaluation.metrics`, over all questions and over the held-out articles
alone (those the ``repro`` model never trained on), how often the two engines agree, and the
time and peak memory of the run, measured here. Each finished language also leaves ``record.<lang>.json``,
from which ``--resume`` goes on after an interruption.
"""
from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from ..api import answer_batch
from ..examples import LANGUAGES
from ..machine import describe_machine
from ..models.sources import ModelSource, describe, resolve_model
from ..results import Answer, RowResult
from . import stored
from .metrics import MODES, exact_match, f1
from .published import PUBLISHED_MBERT_ZERO_SHOT, published_mean
from .report import markdown_table
from .xquad import SPLITS, XQuADExample, load_xquad, split_label

__all__ = [
    "ANSWER_KINDS", "BATCH", "ENGINE_NAMES", "answer_kinds", "committed_predictions", "evaluate", "held_out_run_arguments", "evaluate_language", "main",
    "precision_table", "predict", "predict_answers", "predict_rows", "run_per_language", "score", "score_table", "stored_summary", "time_table",
]

BATCH = 64  # questions per call of answer_batch (and per progress-bar step)
ENGINE_NAMES = {"transformers": "transformers", "spark": "Spark NLP"}
ANSWER_KINDS = ("exact", "partial", "no overlap", "empty")

def held_out_run_arguments(parser: argparse.ArgumentParser, out: Path) -> argparse.ArgumentParser:
    """The options of a run over the held-out articles that writes one file per language and engine and resumes."""
    parser.add_argument("--model", help="real, repro, tiny or a folder (default: $QA_MODEL, else real)")
    parser.add_argument("--langs", default=",".join(LANGUAGES), help="comma-separated language codes")
    parser.add_argument("--engines", default=",".join(ENGINE_NAMES), help="transformers, spark or both")
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--resume", action="store_true", help="keep the files of this model already in --out")
    return parser


def predict_rows(examples: list[XQuADExample], engine: str, model: ModelSource, progress: bool = True) -> dict[str, RowResult]:
    """Question id -> the engine's whole result for it (answers, or error; null margin where the engine has one)."""
    rows: dict[str, RowResult] = {}
    bar = tqdm(total=len(examples), desc=f"{engine} {examples[0].lang if examples else ''}", disable=not progress)
    for lo in range(0, len(examples), BATCH):
        chunk = examples[lo : lo + BATCH]
        results = answer_batch([(ex.question, ex.context) for ex in chunk], engine=engine, model=model)
        rows.update((ex.id, row) for ex, row in zip(chunk, results))
        bar.update(len(chunk))
    bar.close()
    return rows


def run_per_language(
    kind: str, langs: list[str], engines: list[str], source: ModelSource, out: Path,
    examples_for: Callable[[str], list[XQuADExample]], rows_for: Callable[[list[XQuADExample], dict[str, RowResult]], list[dict]],
    progress: bool = True, resume: bool = False,
) -> None:
    """For each language and engine: answer ``examples_for(lang)``, and write ``rows_for`` of the results to
    ``out/<kind>.<engine>.<lang>.json`` as soon as it is done (atomically); ``resume`` keeps the files of this model."""
    out.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        examples = examples_for(lang)
        for engine in engines:
            path = out / f"{kind}.{engine}.{lang}.json"
            if resume and path.exists() and json.loads(path.read_text(encoding="utf-8"))["model"] == str(source):
                continue
            started = time.perf_counter()
            rows = rows_for(examples, predict_rows(examples, engine, source, progress))
            stored.write_json(path, {"model": str(source), "machine": describe_machine(), "seconds": time.perf_counter() - started,
                                     kind: rows})


def predict_answers(examples: list[XQuADExample], engine: str, model: ModelSource, progress: bool = True) -> dict[str, Answer | None]:
    """Question id -> the engine's best answer, with its score (None for a row that could not be answered)."""
    return {qid: row.answers[0] if row.answers else None for qid, row in predict_rows(examples, engine, model, progress).items()}


def predict(examples: list[XQuADExample], engine: str, model: ModelSource, progress: bool = True) -> dict[str, str]:
    """Question id -> predicted answer text ("" for a row that could not be answered)."""
    return {qid: answer.text if answer else "" for qid, answer in predict_answers(examples, engine, model, progress).items()}


def score(examples: list[XQuADExample], predictions: dict[str, str], mode: str) -> tuple[float, float]:
    """EM and F1 in percent, averaged over the examples."""
    em = sum(exact_match(predictions[ex.id], ex.answers, ex.lang, mode) for ex in examples)
    f = sum(f1(predictions[ex.id], ex.answers, ex.lang, mode) for ex in examples)
    return 100 * em / len(examples), 100 * f / len(examples)


def _peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its JVM (if Spark NLP started one).

    The JVM's peak is its high-water mark where the OS reports one (Linux), else its current size.
    """
    import psutil

    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    memory = {"python_peak_mb": peak_rss / (2**20 if sys.platform == "darwin" else 1024)}
    jvms = [p for p in psutil.Process().children(recursive=True) if "java" in p.name()]
    if jvms:
        memory["jvm_peak_mb"] = sum(_high_water_mark(p) for p in jvms) / 2**20
    return memory


def _high_water_mark(process) -> int:
    """Peak resident bytes of a process: VmHWM from /proc where there is one, else the current RSS."""
    try:
        peak = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{process.pid}/status").read_text())
    except OSError:
        peak = None
    return int(peak[1]) * 1024 if peak else int(process.memory_info().rss)


def evaluate_language(
    lang: str, engines: list[str], source: ModelSource, limit: int | None, out: Path, progress: bool = True,
    split: str = "all",
) -> dict:
    """Answer, time and score one language in each engine; writes its predictions and its record."""
    examples = load_xquad(lang, limit, split)
    heldout = [ex for ex in examples if ex.article in SPLITS["heldout"]]
    rows, by_engine = [], {}
    for engine in engines:
        start = time.perf_counter()
        by_engine[engine] = predict(examples, engine, source, progress)
        seconds = time.perf_counter() - start
        (out / f"predictions.{engine}.{lang}.json").write_text(
            json.dumps(by_engine[engine], ensure_ascii=False, indent=0), encoding="utf-8"
        )
        row = {"lang": lang, "engine": engine, "questions": len(examples), "seconds": seconds}
        for mode in MODES:
            row[f"EM {mode}"], row[f"F1 {mode}"] = score(examples, by_engine[engine], mode)
        if heldout:  # the articles qa_helpers.models.finetune never trains on: the honest number for `repro`
            row["held-out questions"] = len(heldout)
            for mode in MODES:
                row[f"held-out EM {mode}"], row[f"held-out F1 {mode}"] = score(heldout, by_engine[engine], mode)
        row["published mBERT F1/EM"] = "{}/{}".format(*PUBLISHED_MBERT_ZERO_SHOT[lang])
        rows.append(row)
    if len(engines) == 2:
        a, b = (by_engine[e] for e in engines)
        same = sum(a[ex.id] == b[ex.id] for ex in examples) / len(examples)
        overlap = sum(f1(a[ex.id], [b[ex.id]], lang, "multilingual") for ex in examples) / len(examples)
        for row in rows:
            row["engines agree (exact)"], row["engines agree (F1)"] = 100 * same, 100 * overlap
    record = {"model": str(source), "split": split, "limit": limit, "engines": engines, "rows": rows, "memory": _peak_memory_mb(),
              "machine": describe_machine()}
    _record_path(out, lang).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return record


def measured_on(records: list[dict]) -> list[str]:
    """The machines that wrote these records (a resumed run may span several); older records did not say."""
    return sorted({record.get("machine", "not recorded") for record in records})


def _record_path(out: Path, lang: str) -> Path:
    return out / f"record.{lang}.json"


def _finished(out: Path, lang: str, engines: list[str], source: ModelSource, limit: int | None, split: str) -> dict | None:
    """The record of an earlier run of the same language, model, engines, split and limit, if there is one."""
    path = _record_path(out, lang)
    if not path.exists():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    earlier = (record["model"], record.get("split", "all"), record["limit"], record["engines"])
    same = earlier == (str(source), split, limit, engines)
    return record if same else None


def evaluate(
    langs: list[str],
    engines: list[str],
    model: str | ModelSource | None = None,
    limit: int | None = None,
    out: Path = Path("build/eval"),
    progress: bool = True,
    resume: bool = False,
    split: str = "all",
) -> dict:
    """Run, score and write everything; returns the summary (also written to ``out``).

    ``split`` picks XQuAD's articles (:data:`qa_helpers.evaluation.xquad.SPLITS`): ``heldout`` gives the
    honest numbers of ``repro`` quickly, ``all`` the full table.

    Each language is finished (both engines) before the next starts, and leaves a record in ``out``.
    With ``resume`` a language whose record matches this run is read back instead of run again, so a
    run of hours can stop (a closed laptop, a Colab time-out) and go on; its time and memory are then
    the sum and the maximum over the sittings.
    """
    if not langs:
        raise ValueError("no language to evaluate; choose from " + ", ".join(LANGUAGES))
    source = resolve_model(model)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for lang in langs:
        earlier = _finished(out, lang, engines, source, limit, split) if resume else None
        records.append(earlier or evaluate_language(lang, engines, source, limit, out, progress, split))
        summary = _summarise(records, source, limit, engines, split)
        _write_summary(summary, out)  # after every language, so an interrupted run leaves a current summary
    return summary


def _summarise(records: list[dict], source: ModelSource, limit: int | None, engines: list[str], split: str) -> dict:
    """All rows; time summed per engine; memory the maximum over the records (sittings may differ)."""
    rows = [row for record in records for row in record["rows"]]
    memory_keys = sorted({key for record in records for key in record["memory"]})
    return {
        "model": str(source),
        "split": split,
        "limit": limit,
        "seconds": {engine: sum(r["seconds"] for r in rows if r["engine"] == engine) for engine in engines},
        "memory": {key: max(r["memory"].get(key, 0.0) for r in records) for key in memory_keys},
        "machines": measured_on(records),
        "rows": rows,
    }


def _write_summary(summary: dict, out: Path) -> None:
    import pandas as pd

    table = pd.DataFrame(summary["rows"]).round(1)
    langs = list(dict.fromkeys(table["lang"]))
    table.to_csv(out / "summary.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    lines = [
        f"{summary['model']}; {'first ' + str(summary['limit']) if summary['limit'] else 'all'} questions of "
        f"{split_label(summary['split'])} in {len(langs)} language{'s' * (len(langs) > 1)} ({', '.join(langs)}).",
        "Time per engine: " + ", ".join(f"{e} {s:.0f} s" for e, s in summary["seconds"].items())
        + "; memory: " + ", ".join(f"{k} {v:.0f}" for k, v in summary["memory"].items()) + ".",
        "",
        markdown_table(table),
    ]
    (out / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def stored_summary(name: str = "repro") -> dict:
    """The summary of a run that ``make eval-full`` wrote and the project committed (README and notebook 7 quote it)."""
    return stored.read_json(f"evaluation/{name}/summary.json")


def _prediction_files(run: str | Path) -> dict[tuple[str, str], Path]:
    """(language, engine) -> predictions file, of a committed run (by name) or of a local run folder."""
    if isinstance(run, Path):
        found = {(lang, engine): run / f"predictions.{engine}.{lang}.json" for lang in LANGUAGES for engine in ENGINE_NAMES}
        return {key: path for key, path in found.items() if path.exists()}
    rows = stored_summary(run)["rows"]
    return {
        (row["lang"], row["engine"]): stored.result_path(f"evaluation/{run}/predictions.{row['engine']}.{row['lang']}.json")
        for row in rows
    }


def committed_predictions(run: str, engine: str, lang: str, model: str) -> dict[str, str] | None:
    """Question id -> answer text of a committed run, if it ran ``model`` in ``engine`` on ``lang`` (else None)."""
    if not (stored.RESULTS / "evaluation" / run / "summary.json").exists() or stored_summary(run)["model"] != model:
        return None
    path = _prediction_files(run).get((lang, engine))
    return json.loads(path.read_text(encoding="utf-8")) if path else None


def score_table(summary: dict):
    """F1 / EM (SQuAD rules) per language and engine, on the held-out articles and on all of XQuAD,
    beside published mBERT zero-shot; the last row is the mean over the languages in the run."""
    import pandas as pd

    rows = pd.DataFrame(summary["rows"])
    langs = _in_run_order(rows, "lang")
    columns = {("held-out F1 squad", "held-out EM squad"): "held-out", ("F1 squad", "EM squad"): "all XQuAD"}
    table = pd.DataFrame(index=langs + [f"mean of {len(langs)}"])
    for (f1_key, em_key), label in columns.items():
        for engine in _in_run_order(rows, "engine"):
            scores = rows[rows.engine == engine].set_index("lang").loc[langs, [f1_key, em_key]]
            scores.loc[table.index[-1]] = scores.mean()
            table[f"{label} F1 / EM, {ENGINE_NAMES[engine]}"] = [f"{f:.1f} / {e:.1f}" for f, e in scores.to_numpy()]
    published = [PUBLISHED_MBERT_ZERO_SHOT[lang] for lang in langs] + [published_mean(langs)]
    table["published mBERT zero-shot F1 / EM"] = [f"{f:.1f} / {e:.1f}" for f, e in published]
    return table.rename_axis("language").reset_index()


def precision_table(reference: dict, other: dict):
    """Two runs of the same questions side by side (``reference`` fp32, ``other`` int8, say): per engine, the
    minutes and F1 (SQuAD rules, all XQuAD and held-out) of each and the change, over the languages both ran."""
    import pandas as pd

    first, second = pd.DataFrame(reference["rows"]), pd.DataFrame(other["rows"])
    langs = [lang for lang in _in_run_order(second, "lang") if lang in set(first["lang"])]
    rows = []
    for engine in _in_run_order(second, "engine"):
        a, b = (t[(t.engine == engine) & t.lang.isin(langs)].set_index("lang").loc[langs] for t in (first, second))
        row = {"engine": ENGINE_NAMES[engine], "languages": len(langs),
               "minutes": f"{a.seconds.sum() / 60:.1f} -> {b.seconds.sum() / 60:.1f}"}
        for key, label in (("F1 squad", "F1, all XQuAD"), ("held-out F1 squad", "F1, held-out")):
            row[label] = f"{a[key].mean():.1f} -> {b[key].mean():.1f} ({b[key].mean() - a[key].mean():+.1f})"
        rows.append(row)
    return pd.DataFrame(rows)


def answer_kinds(run: str | Path = "repro", split: str = "heldout", mode: str = "multilingual"):
    """How each language's answers went, per engine, from a run's stored predictions: the share (%) that
    match the gold exactly, overlap it in part, share no token with it, or are empty.

    ``run`` is a committed run's name (``results/evaluation/<run>``) or the folder a run wrote.
    """
    import pandas as pd

    files = _prediction_files(run)
    rows = []
    for lang in LANGUAGES:
        examples = None
        for engine, name in ENGINE_NAMES.items():
            path = files.get((lang, engine))
            if path is None:
                continue
            predictions = json.loads(path.read_text(encoding="utf-8"))
            examples = examples or load_xquad(lang, split=split)  # once per language, not per engine
            kinds = [_answer_kind(predictions[ex.id], ex, mode) for ex in examples]
            rows.append({"lang": lang, "engine": name, "questions": len(examples),
                         **{kind: 100 * kinds.count(kind) / len(kinds) for kind in ANSWER_KINDS}})
    return pd.DataFrame(rows).round(1)


def _answer_kind(prediction: str, example: XQuADExample, mode: str) -> str:
    if not prediction:
        return "empty"
    if exact_match(prediction, example.answers, example.lang, mode):
        return "exact"
    return "partial" if f1(prediction, example.answers, example.lang, mode) > 0 else "no overlap"


def _in_run_order(rows, column: str) -> list[str]:
    """The distinct values of a summary column (languages, engines) in the order the run met them."""
    return list(dict.fromkeys(rows[column]))


def time_table(summary: dict):
    """Minutes per language and engine, and both together, with the total: what a full run costs."""
    import pandas as pd

    rows = pd.DataFrame(summary["rows"])
    order = _in_run_order(rows, "lang"), _in_run_order(rows, "engine")
    minutes = rows.pivot(index="lang", columns="engine", values="seconds").loc[order] / 60
    minutes["both"] = minutes.sum(axis=1)
    minutes.loc[f"all {len(minutes)}"] = minutes.sum()
    table = minutes.rename(columns=ENGINE_NAMES).round(1).rename_axis("language").reset_index()
    table.columns.name = None
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa_helpers evaluate", description=__doc__,
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
                        help="read back languages an earlier run of the same settings finished in --out")
    args = parser.parse_args(argv)
    print(describe(args.model), flush=True)
    evaluate(args.langs.split(","), args.engines.split(","), args.model, args.limit, args.out,
             not args.no_progress, args.resume, args.split)
    print((args.out / "summary.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
