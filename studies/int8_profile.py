"""Why int8 loses answers, and which way of quantising keeps them: outliers, smoothing, fp32 islands.

    python -m studies int8-profile --model repro   # about 40 minutes alone; results/benchmark/int8_profile.*

Dynamic quantisation gives each activation tensor one scale (one per window: int8 runs one window
per pass), so a few large values in a tensor coarsen all the others. The profile measures where that
hurts and what mends it, on the int8 ONNX model of ONNX Runtime and Spark NLP, in three steps:

1. **Sensitivity.** Without smoothing, one group of quantised nodes at a time stays in fp32 (the embedding
   tables, an encoder layer's four attention projections, its two feed-forward layers, or the QA head), the
   rest is int8. On questions of the training articles (1-40: choosing on the held-out ones would flatter the
   result), it measures how far the start and end logits move from fp32's (root mean square) and how many
   answers change.
2. **Smoothing's strength.** The feed-forward layers smoothed (:mod:`qa_helpers.models.smoothing`) at each
   strength of :data:`ALPHAS`, on the same questions: the shipped strength
   (:data:`qa_helpers.models.precision.SMOOTHING_ALPHA`) is the one that comes closest to fp32 here.
3. **Cost.** The ways of quantising side by side, each with the benchmark's held-out F1 (articles 41-48, 11
   languages) and its speed against ONNX Runtime fp32 on the benchmark's workload, timed in the same run
   (median of the benchmark's ``ROUNDS``): the shipped int8 model (smoothed, U8S8, weights per output
   channel), the same without smoothing, per-tensor weight scales, unsigned int8 weights (U8U8), and the
   ``k`` most sensitive groups of step 1 kept in fp32 (the mixed model).

Each step's result and each language's held-out answers are stored as they are done (units of
:class:`studies.job.Job`), so a stopped run resumes where it stopped. The report is ``int8_profile.json``
(:class:`Int8Profile`) and ``int8_profile.md``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from qa_helpers.engines import transformers_engine
from qa_helpers.examples import LANGUAGES
from qa_helpers.machine import describe_machine
from qa_helpers.models.precision import SMOOTHING_ALPHA, ensure_int8_onnx, quantize_onnx, smooth_feed_forward
from qa_helpers.models.smoothing import linear_groups
from qa_helpers.models.sources import ModelSource, describe, resolve_model
from qa_helpers.xquad import load_xquad

from . import benchmark, stored
from .job import Job
from .report import markdown_table

__all__ = [
    "ALPHAS", "KEPT", "Int8Profile", "Sensitivity", "Strength", "Variant", "cost", "main", "model_groups", "sensitivity",
    "sensitivity_table", "strengths", "training_sample", "write_report",
]

KEPT = (1,)  # how many of the most sensitive groups stay in fp32 together, in step 3 (each is 1947 held-out answers more)
ALPHAS = (0.5, 0.75, 0.9)  # smoothing strengths compared in step 2
SHIPPED = "ONNX Runtime int8"  # the benchmark's path: the int8 model that QA_PRECISION=int8 builds


@dataclass(frozen=True)
class Sensitivity:
    """Step 1: int8 everywhere but one group of nodes, against fp32."""

    kept_in_fp32: str  # the group ("none": all int8)
    nodes_in_fp32: int
    logit_rms_error: float
    answers_changed: int


@dataclass(frozen=True)
class Strength:
    """Step 2: the feed-forward layers smoothed at strength ``alpha``, then int8, against fp32."""

    alpha: float
    logit_rms_error: float
    answers_changed: int


@dataclass(frozen=True)
class Variant:
    """Step 3: one way of quantising, on held-out F1 and speed."""

    path: str
    method: str
    examples_per_s: float
    speedup_over_fp32: float
    heldout_f1: float
    f1_change: float


@dataclass(frozen=True)
class Int8Profile:
    date: str
    machine: str
    model: str
    adapter_sha256: str | None
    questions: int
    per_lang: int
    sensitivity: list[Sensitivity]
    strengths: list[Strength]
    cost: list[Variant]


def training_sample(per_lang: int) -> list[tuple[str, str]]:
    """``per_lang`` questions of the training articles per language, spread over each file."""
    pairs = []
    for lang in LANGUAGES:
        examples = load_xquad(lang, split="train")
        pairs += [(ex.question, ex.context) for ex in examples[:: max(1, len(examples) // per_lang)][:per_lang]]
    return pairs


def _answers_and_logits(onnx_file: Path, precision: str, pairs, source: ModelSource) -> tuple[list[str], np.ndarray]:
    """Answer texts and every window's start and end logits, end to end, in the engine's window order."""
    forward = benchmark.onnx_forward(str(onnx_file), precision)
    logits: list[np.ndarray] = []

    def recording(input_ids, token_type_ids):
        out = forward(input_ids, token_type_ids)
        logits.extend(np.concatenate(pair) for pair in out)
        return out

    rows = transformers_engine.answer_rows(pairs, source, forward_fn=recording)
    return benchmark.answer_texts(rows), np.concatenate(logits)


@lru_cache(maxsize=1)
def _fp32_reference(source: ModelSource, pairs: tuple[tuple[str, str], ...]) -> tuple[list[str], np.ndarray]:
    """fp32's answers and logits on ``pairs``: computed once, when a step first has a unit to measure."""
    return _answers_and_logits(_fp32_file(source), "fp32", list(pairs), source)


def _against_fp32(model: Path, pairs, source: ModelSource) -> dict:
    reference = _fp32_reference(source, tuple(pairs))
    answers, logits = _answers_and_logits(model, "int8", pairs, source)
    return {"rms": float(np.sqrt(np.mean((logits - reference[1]) ** 2))),
            "changed": sum(a != b for a, b in zip(answers, reference[0]))}


def sensitivity(source: ModelSource, groups: dict[str, list[str]], pairs, out: Path, progress: bool = True) -> list[Sensitivity]:
    """Step 1: per group kept in fp32 (and for none), logit RMS error and answers changed against fp32."""
    job = Job("sensitivity", out, source, {"questions": len(pairs)})
    with tempfile.TemporaryDirectory() as scratch:

        def measure(name: str) -> list[dict]:
            if progress:
                print(f"  sensitivity: {name} in fp32", flush=True)
            nodes = groups.get(name, [])
            model = Path(scratch) / "model.onnx"
            quantize_onnx(_fp32_file(source), model, tuple(nodes))
            return [{"nodes": len(nodes), **_against_fp32(model, pairs, source)}]

        units = {name: job.unit((name,), partial(measure, name), resume=True) for name in ["none", *groups]}
    return [Sensitivity(name, unit.rows[0]["nodes"], unit.rows[0]["rms"], unit.rows[0]["changed"]) for name, unit in units.items()]


def strengths(source: ModelSource, pairs, out: Path, progress: bool = True) -> list[Strength]:
    """Step 2: the feed-forward layers smoothed at each of :data:`ALPHAS` (calibrated as the shipped model is),
    then int8; logit RMS error and answers changed against fp32."""
    job = Job("strengths", out, source, {"questions": len(pairs)})
    names = [f"alpha {alpha}" for alpha in ALPHAS]
    with tempfile.TemporaryDirectory() as scratch:

        def measure(alpha: float) -> list[dict]:
            if progress:
                print(f"  smoothing strength {alpha}", flush=True)
            smooth_feed_forward(Path(str(source.onnx)), Path(scratch) / "smoothed.onnx", alpha)
            quantize_onnx(Path(scratch) / "smoothed.onnx", Path(scratch) / "model.onnx")
            return [_against_fp32(Path(scratch) / "model.onnx", pairs, source)]

        units = {alpha: job.unit((name,), partial(measure, alpha), resume=True) for alpha, name in zip(ALPHAS, names)}
    return [Strength(alpha, unit.rows[0]["rms"], unit.rows[0]["changed"]) for alpha, unit in units.items()]


def cost(source: ModelSource, groups: dict[str, list[str]], rows: list[Sensitivity], out: Path, bench_heldout: Path,
         per_lang: int, progress: bool = True) -> list[Variant]:
    """Step 3: held-out F1 and speed of each way of quantising (the module's docstring lists them).

    The benchmark's own two ONNX Runtime paths take their held-out answers from ``bench_heldout`` (the
    benchmark's folder), answering only where it has none for this model."""
    baseline = next(row.logit_rms_error for row in rows if row.kept_in_fp32 == "none")
    ranked = sorted((row for row in rows if row.kept_in_fp32 in groups), key=lambda row: row.logit_rms_error)
    gains = [row.kept_in_fp32 for row in ranked if row.logit_rms_error < baseline]
    fp32 = _fp32_file(source)
    variants: dict[str, tuple[Path, str, str]] = {
        "ONNX Runtime fp32": (fp32, "fp32", "fp32"),
        SHIPPED: (ensure_int8_onnx(source.onnx, source.transformers) / "model.onnx", "int8",
                  f"feed-forward smoothed (alpha {SMOOTHING_ALPHA}), U8S8, weights per channel (shipped)"),
    }
    with tempfile.TemporaryDirectory() as scratch:
        plain: dict[str, tuple[str, dict]] = {
            "no smoothing": ("U8S8, weights per channel", {}),
            "per-tensor weights": ("U8S8, one scale per weight tensor", {"per_channel": False}),
            "uint8 weights": ("U8U8, weights per channel", {"weights": "uint8"}),
        }
        for name, (method, options) in plain.items():
            quantize_onnx(fp32, Path(scratch) / f"{name}.onnx", **options)
            variants[f"ONNX Runtime int8, {name}"] = (Path(scratch) / f"{name}.onnx", "int8", method)
        for k in KEPT:
            kept = tuple(gains[:k])
            if len(kept) < k:
                break
            model = Path(scratch) / f"kept{k}.onnx"
            quantize_onnx(fp32, model, tuple(node for name in kept for node in groups[name]))
            variants[f"ONNX Runtime int8, {' + '.join(kept)} in fp32"] = (model, "int8", f"U8S8, no smoothing, {' + '.join(kept)} in fp32")
        answerers = {path: benchmark.ort_answerer(str(file), precision, source) for path, (file, precision, _) in variants.items()}
        f1 = {path: benchmark.heldout_f1(path, answer, source, bench_heldout if path in benchmark.PATHS else out / "heldout", progress)
              for path, answer in answerers.items()}
        pairs = [(ex.question, ex.context) for ex in benchmark.workload(per_lang, source)]
        for answer in answerers.values():
            answer(pairs[:2])  # warm-up
        seconds = benchmark.interleaved_seconds({path: partial(answer, pairs) for path, answer in answerers.items()})
    return [
        Variant(path, method, len(pairs) / seconds[path], seconds["ONNX Runtime fp32"] / seconds[path], f1[path],
                f1[path] - f1["ONNX Runtime fp32"])
        for path, (_, _, method) in variants.items()
    ]


def model_groups(source: ModelSource) -> dict[str, list[str]]:
    """:func:`linear_groups` of ``source``'s fp32 ONNX export, with its layer count from the model's config."""
    return linear_groups(_fp32_file(source), transformers_engine.load(source)[1].config.num_hidden_layers)


def _fp32_file(source: ModelSource) -> Path:
    return Path(str(source.onnx)) / "model.onnx"


def sensitivity_table(report: Int8Profile):
    """Step 1 as a table, one row per group kept in fp32, the group that brings the logits closest to fp32's first."""
    import pandas as pd

    table = pd.DataFrame([stored.to_json(row) for row in report.sensitivity]).rename(columns=lambda c: c.replace("_", " "))
    return table.set_index("kept in fp32").sort_values("logit rms error")


def write_report(report: Int8Profile, out: Path) -> None:
    """int8_profile.json (the typed report) and int8_profile.md (README's table)."""
    import pandas as pd

    stored.write(out / "int8_profile.json", report)
    step1 = sensitivity_table(report).reset_index().round(3)
    step2 = pd.DataFrame([stored.to_json(row) for row in report.strengths]).rename(columns=lambda c: c.replace("_", " ")).round(3)
    step3 = pd.DataFrame([stored.to_json(row) for row in report.cost]).rename(columns=lambda c: c.replace("_", " ")).round(3)
    (out / "int8_profile.md").write_text(
        f"Measured {report.date} on {report.machine}. Model: {report.model}; adapter sha256 {report.adapter_sha256 or 'not recorded'}.\n"
        f"Sensitivity: {report.questions} questions of the training articles (1-40), {report.per_lang} per language; "
        "what changes against fp32 when one group of nodes stays in fp32 and the rest is int8.\n\n"
        + markdown_table(step1) + "\n\nSmoothing's strength: the feed-forward layers smoothed, then int8, on the same "
        "questions.\n\n" + markdown_table(step2) + "\n\nCost: each way of quantising; held-out F1 (articles 41-48, "
        "mean of 11 languages) and speed against ONNX Runtime fp32 on the benchmark's workload, one run.\n\n"
        + markdown_table(step3) + "\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies int8-profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="repro", help="repro (default), tiny (smoke test) or a folder with an ONNX export")
    parser.add_argument("--per-lang", type=int, default=8, help="questions per language, in each step")
    parser.add_argument("--out", type=Path, default=stored.RESULTS / "benchmark")
    args = parser.parse_args(argv)
    print(describe(args.model), flush=True)
    source = resolve_model(args.model, "fp32")
    if source.onnx is None:
        raise SystemExit(f"{source} has no ONNX export to quantise; use repro, tiny or an exported folder")
    work = args.out / "int8_profile"
    work.mkdir(parents=True, exist_ok=True)
    pairs = training_sample(args.per_lang)
    groups = model_groups(source)
    rows = sensitivity(source, groups, pairs, work)
    report = Int8Profile(
        date=date.today().isoformat(), machine=describe_machine(), model=str(source), adapter_sha256=source.adapter_sha256,
        questions=len(pairs), per_lang=args.per_lang, sensitivity=rows, strengths=strengths(source, pairs, work),
        cost=cost(source, groups, rows, work, args.out / "heldout", args.per_lang),
    )
    write_report(report, args.out)
    print((args.out / "int8_profile.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
