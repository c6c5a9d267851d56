"""How fast each path answers questions on this machine, and what lower precision costs: ``python -m studies bench``.

One run measures, on the same fixed XQuAD workload (questions from all 11 languages, each fitting one
window of both engines, so every path computes the same thing) and the same trained model (``repro``):

- transformers fp32: the ``naive loop`` most tutorials show, and qa_helpers' ``batched`` path
  (:func:`transformers_engine.answer_rows`); the batched path again in ``bf16`` (autocast);
- ONNX Runtime fp32 and int8: the same pipeline with ONNX Runtime running the exported model, and the
  int8 model of :mod:`qa_helpers.models.precision` (transformers' own int8 path is this one);
- Spark NLP on a DataFrame and through LightPipeline, with the fp32 ONNX model and with the int8 one,
  imported the same way (JVM start-up and model loading are timed separately, not counted);
- the hardware bound per precision: the workload's FLOPs over the matrix-multiply rate measured here in
  fp32, bf16 (torch) and int8 (ONNX Runtime's u8 x s8 ``MatMulInteger``, the kernel its int8 model runs).

Throughput is examples/s over the whole workload; latency is the wall time of answering one example
alone (p50/p95 over a sample). Quality is F1 (SQuAD rules) on the held-out articles, 11 languages,
with each path's change against the fp32 path of its engine; the held-out answers of each path are
kept in ``heldout/`` (one unit of :class:`studies.job.Job` per path and language) so that an interrupted run
resumes. The report is ``results.json`` (:class:`BenchmarkReport`), ``results.md`` and ``results.png``. On
``tiny`` it is only a smoke test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path

from qa_helpers.engines import spark_engine, transformers_engine
from qa_helpers.examples import LANGUAGES
from qa_helpers.machine import describe_machine
from qa_helpers.models.precision import ensure_int8_onnx
from qa_helpers.models.sources import ModelSource, describe, resolve_model
from qa_helpers.results import RowResult
from qa_helpers.validation import InputError
from qa_helpers.xquad import XQuADExample, load_xquad

from . import stored
from .evaluation import committed_predictions, run_name, score
from .job import BATCH, Job
from .report import markdown_table

__all__ = [
    "FROM_EVALUATION", "PATHS", "REFERENCE", "ROUNDS", "WORKLOAD_LANGS", "BenchmarkReport", "Bound", "ClusterRun", "PathResult",
    "answer_texts", "cluster_scaling", "heldout_f1", "int8_gflops", "int8_tradeoff", "interleaved_seconds", "main",
    "matmul_gflops", "naive_answer", "onnx_forward", "ort_answerer", "plot_report", "plot_tradeoff", "run", "timed", "workload",
    "workload_gflop", "write_report",
]

WORKLOAD_LANGS = LANGUAGES
# path -> (engine family for the F1 comparison, precision): the order of the table
PATHS = {
    "transformers fp32, naive loop": ("transformers", "fp32"),
    "transformers fp32, batched": ("transformers", "fp32"),
    "transformers bf16 (autocast), batched": ("transformers", "bf16"),
    "ONNX Runtime fp32": ("transformers", "fp32"),
    "ONNX Runtime int8": ("transformers", "int8"),
    "Spark NLP fp32, DataFrame": ("spark", "fp32"),
    "Spark NLP fp32, LightPipeline": ("spark", "fp32"),
    "Spark NLP int8, DataFrame": ("spark", "int8"),
    "Spark NLP int8, LightPipeline": ("spark", "int8"),
}
REFERENCE = "ONNX Runtime fp32"  # the time every ratio is taken against
ROUNDS = 3  # timed passes of the workload per path; the median is reported
INT8_PAIRS = {  # int8 path -> the fp32 path it replaces
    "ONNX Runtime int8": "ONNX Runtime fp32",
    "Spark NLP int8, DataFrame": "Spark NLP fp32, DataFrame",
    "Spark NLP int8, LightPipeline": "Spark NLP fp32, LightPipeline",
}
F1_BASELINE = {"transformers": "transformers fp32, batched", "spark": "Spark NLP fp32, LightPipeline"}
SAME_ANSWERS = {  # a DataFrame answers exactly as LightPipeline (tests/test_engines.py checks it): one held-out run
    "Spark NLP fp32, DataFrame": "Spark NLP fp32, LightPipeline",
    "Spark NLP int8, DataFrame": "Spark NLP int8, LightPipeline",
}
FROM_EVALUATION = {  # the committed held-out evaluations (fp32 and int8) answered with exactly these paths: their answers are reused
    "transformers fp32, batched": "transformers",
    "ONNX Runtime int8": "transformers",  # transformers' int8 runs the int8 ONNX model in ONNX Runtime, one window per pass
    "Spark NLP fp32, LightPipeline": "spark",
    "Spark NLP int8, LightPipeline": "spark",
}


@dataclass(frozen=True)
class PathResult:
    """One way of answering, timed on the workload and scored on the held-out articles."""

    path: str
    precision: str
    examples_per_s: float
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    seconds: float
    vs_onnxruntime_fp32: float | None = None  # this path's time / ONNX Runtime fp32's time
    of_hardware_bound: float | None = None  # the bound's time in this path's precision / this path's time
    heldout_f1: float | None = None
    f1_change: float | None = None  # against the fp32 path of the same engine


@dataclass(frozen=True)
class Bound:
    """What the hardware allows in one precision: the matrix-multiply rate measured here, and the workload at that rate."""

    gflops: float
    examples_per_s: float


@dataclass(frozen=True)
class ClusterRun:
    """The DataFrame path on one Spark master: local mode, or a standalone cluster of one-core workers."""

    master: str
    executors: int
    questions: int
    examples_per_s: float
    same_answers_as_local_mode: bool


@dataclass(frozen=True)
class BenchmarkReport:
    date: str
    machine: str
    model: str
    adapter_sha256: str | None
    workload: str
    heldout: str | None  # what the quality column measures (None: not measured)
    spark_startup_seconds: float
    spark_int8_startup_seconds: float
    workload_gflop: float
    bounds: dict[str, Bound]
    results: list[PathResult]
    cluster: list[ClusterRun] | None = None
    not_measured: list[str] = field(default_factory=list)  # bf16 paths left out: this CPU's bf16 rate is below fp32's

    def path(self, name: str) -> PathResult:
        return next(r for r in self.results if r.path == name)

    def speedup(self, slow: str, fast: str) -> float:
        """How many times faster ``fast`` answers the workload than ``slow``, in this run."""
        return self.path(slow).seconds / self.path(fast).seconds


def workload(per_lang: int, source: ModelSource) -> list[XQuADExample]:
    """``per_lang`` questions per workload language, spread over the file, that every path sees whole.

    Only questions whose question and context fit one window of both engines are used, so
    that every path computes the same thing: the naive loop would otherwise cut long contexts
    short, the batched paths would add stride windows, and Spark NLP would truncate at 512.
    """
    tokenizer, _ = transformers_engine.load(source)
    vocab = tokenizer.get_vocab()

    def fits(ex: XQuADExample) -> bool:
        try:
            windows = transformers_engine.encode(tokenizer, ex.question, ex.context)
        except InputError:  # a question too long for the window
            return False
        if len(windows.input_ids) > 1:
            return False
        return len(spark_engine.encode(ex.question, ex.context, vocab).pieces) + 3 <= spark_engine.WINDOW_LENGTH

    chosen = []
    for lang in WORKLOAD_LANGS:
        examples = load_xquad(lang)
        candidates = examples[:: max(1, len(examples) // (4 * per_lang))] + examples  # spread out first
        fitting: list[XQuADExample] = []
        for ex in dict.fromkeys(candidates):
            if len(fitting) == per_lang:
                break
            if fits(ex):
                fitting.append(ex)
        chosen += fitting
    return chosen


def timed(fn) -> float:
    """Seconds that ``fn()`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _latencies(fn, items) -> list[float]:
    return [timed(lambda item=item: fn(item)) for item in items]


def matmul_gflops(precision: str = "fp32", size: int = 2048, budget_s: float = 2.0) -> float:
    """The matrix-multiply rate torch reaches here in fp32 or bf16, in GFLOP/s: the best of the passes that fit in
    ``budget_s`` after a warm-up, two at least (a CPU without native bf16 takes 20 s a pass: AMD EPYC Zen 3)."""
    import torch

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    torch.matmul(a, b)  # warm-up
    passes: list[float] = []
    while len(passes) < 2 or sum(passes) < budget_s:
        passes.append(timed(lambda: torch.matmul(a, b)))
    return 2 * size**3 / min(passes) / 1e9


def int8_gflops(size: int = 2048, repeats: int = 10) -> float:
    """The int8 rate (GOP/s) of ONNX Runtime's ``MatMulInteger`` on u8 x s8, the kernel the int8 model runs."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "b"], ["c"])], "int8_matmul",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [size, size]), helper.make_tensor_value_info("b", TensorProto.INT8, [size, size])],
        [helper.make_tensor_value_info("c", TensorProto.INT32, [size, size])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {"a": rng.integers(0, 255, (size, size), dtype=np.uint8), "b": rng.integers(-127, 127, (size, size), dtype=np.int8)}
    session.run(None, feeds)  # warm-up
    best = min(timed(lambda: session.run(None, feeds)) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _window_lengths(pairs: list[tuple[str, str]], source: ModelSource) -> list[list[int]]:
    tokenizer, _ = transformers_engine.load(source)
    return [
        [len(ids) for ids in transformers_engine.encode(tokenizer, question, context).input_ids]
        for question, context in pairs
    ]


def workload_gflop(window_lengths: list[list[int]], config) -> float:
    """FLOPs of the encoder and QA head over every window of the workload (no padding counted)."""
    c = config
    per_token = 2 * c.num_hidden_layers * (4 * c.hidden_size**2 + 2 * c.hidden_size * c.intermediate_size)
    total = 0.0
    for lengths in window_lengths:
        for n in lengths:
            total += n * per_token + c.num_hidden_layers * 4 * n * n * c.hidden_size + n * 2 * c.hidden_size * 2
    return total / 1e9


def onnx_forward(onnx_path: str, precision: str = "fp32"):
    """A ``forward_fn`` for :func:`transformers_engine.answer_rows` backed by ONNX Runtime."""
    model = transformers_engine.OnnxRuntimeQA(transformers_engine.onnx_runtime_session(onnx_path), None)
    return lambda input_ids, token_type_ids: transformers_engine.run_in_batches(input_ids, token_type_ids, model, precision=precision)


def naive_answer(tokenizer, model, question: str, context: str) -> str:
    """The loop most tutorials show: tokenize, run the model, take two argmaxes."""
    import torch

    inputs = tokenizer(question, context, return_tensors="pt", truncation="only_second", max_length=transformers_engine.WINDOW_LENGTH)
    with torch.no_grad():
        out = model(**inputs)
    start, end = int(out.start_logits.argmax()), int(out.end_logits.argmax())
    return tokenizer.decode(inputs["input_ids"][0][start : end + 1])


def _onnx_file(source: ModelSource, precision: str) -> str:
    if source.onnx is None:
        raise InputError(f"{source} has no ONNX export for ONNX Runtime; use repro, tiny or an exported folder")
    folder = ensure_int8_onnx(source.onnx, source.transformers) if precision == "int8" else Path(source.onnx)
    return str(folder / "model.onnx")


def answer_texts(rows: list[RowResult]) -> list[str]:
    """Each row's best answer text ("" for none): what held-out F1 is scored on."""
    return [row.answers[0].text if row.answers else "" for row in rows]


def ort_answerer(onnx_path: str, precision: str, source: ModelSource) -> Callable[[list[tuple[str, str]]], list[str]]:
    """Pairs -> answer texts: ``qa_helpers``' transformers pipeline with ONNX Runtime running ``onnx_path``."""
    forward = onnx_forward(onnx_path, precision)
    return lambda pairs: answer_texts(transformers_engine.answer_rows(pairs, source, forward_fn=forward))


def interleaved_seconds(runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Each run's median time over ``ROUNDS`` rounds, every run once per round: one pass here varies by up to
    12%, and drift in the machine's speed then falls on every run alike."""
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(ROUNDS):
        for name, go in runs.items():
            seconds[name].append(timed(go))
    return {name: statistics.median(times) for name, times in seconds.items()}


def _answerers(source: ModelSource) -> dict[str, Callable[[list[tuple[str, str]]], list[str]]]:
    """Path -> a function from pairs to answer texts, for the paths answered in Python (not the DataFrames)."""
    fp32 = replace(source, precision="fp32")
    tokenizer, torch_model = transformers_engine.load(fp32)

    def batched(precision: str):
        return lambda pairs: answer_texts(transformers_engine.answer_rows(pairs, replace(source, precision=precision)))

    def with_ort(precision: str):
        return ort_answerer(_onnx_file(source, precision), precision, fp32)

    def light(precision: str):
        return lambda pairs: answer_texts(spark_engine.answer_rows(pairs, replace(source, precision=precision)))

    return {
        "transformers fp32, naive loop": lambda pairs: [naive_answer(tokenizer, torch_model, q, c) for q, c in pairs],
        "transformers fp32, batched": batched("fp32"),
        "transformers bf16 (autocast), batched": batched("bf16"),
        "ONNX Runtime fp32": with_ort("fp32"),
        "ONNX Runtime int8": with_ort("int8"),
        "Spark NLP fp32, LightPipeline": light("fp32"),
        "Spark NLP int8, LightPipeline": light("int8"),
    }


def heldout_f1(path: str, answer: Callable[[list[tuple[str, str]]], list[str]], source: ModelSource, folder: Path,
               progress: bool = True) -> float:
    """F1 (SQuAD rules, percent) of ``path`` on the held-out articles, mean of the 11 languages.

    Its answers are kept in ``folder``, one unit per language, so an interrupted benchmark resumes where it
    stopped. The paths of the committed held-out evaluations (:data:`FROM_EVALUATION`) take their answers when they
    ran the same model in the same precision, instead of answering again.
    """

    def rows_for(_: str, examples: list[XQuADExample]) -> list[dict]:
        committed = None
        if path in FROM_EVALUATION:
            precision = PATHS[path][1]
            committed = committed_predictions(run_name(source.name, precision), FROM_EVALUATION[path], examples[0].lang,
                                              replace(source, precision=precision))
        if committed is not None:
            return [{"id": ex.id, "text": committed[ex.id]} for ex in examples]
        if progress:
            print(f"  held-out {examples[0].lang}: {path}", flush=True)
        texts: list[str] = []
        for lo in range(0, len(examples), BATCH):
            texts += answer([(ex.question, ex.context) for ex in examples[lo : lo + BATCH]])
        return [{"id": ex.id, "text": text} for ex, text in zip(examples, texts)]

    examples = {lang: load_xquad(lang, split="heldout") for lang in LANGUAGES}
    units = Job("heldout", folder, source, {"split": "heldout", "path": path}).per_language(
        LANGUAGES, [path], examples.__getitem__, rows_for, resume=True)
    scores = [score(examples[lang], {row["id"]: row["text"] for row in units[path, lang].rows}, "squad")[1] for lang in LANGUAGES]
    return sum(scores) / len(scores)


def run(
    per_lang: int, latency_sample: int, model: str | ModelSource | None = None, heldout: Path | None = None,
    heldout_skip: tuple[str, ...] = (),
) -> BenchmarkReport:
    """Measure every path on one workload (and, with ``heldout``, its held-out F1 but for the paths in
    ``heldout_skip``); returns the results and the context."""
    source = resolve_model(model, "fp32")
    examples = workload(per_lang, source)
    pairs = [(ex.question, ex.context) for ex in examples]
    sample = pairs[:: max(1, len(pairs) // latency_sample)][:latency_sample]
    n = len(pairs)
    answerers = _answerers(source)
    results: list[PathResult] = []

    def add(path: str, seconds: float, latencies: list[float] | None) -> None:
        lat = sorted(latencies) if latencies else None
        results.append(PathResult(
            path, PATHS[path][1], n / seconds,
            1000 * statistics.median(lat) if lat else None,
            1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else None,
            seconds,
        ))

    rates = {"fp32": matmul_gflops("fp32"), "bf16": matmul_gflops("bf16"), "int8": int8_gflops()}
    not_measured = [path for path, (_, precision) in PATHS.items()
                    if precision == "bf16" and rates["bf16"] < rates["fp32"]]  # emulated bf16 would take hours here
    paths = [path for path in PATHS if path not in not_measured]
    answerers = {path: answer for path, answer in answerers.items() if path in paths}
    startup = timed(lambda: spark_engine.pipeline_for(source))  # JVM, jars and model loading
    startup_int8 = timed(lambda: spark_engine.pipeline_for(replace(source, precision="int8")))  # + the int8 build once
    spark = spark_engine.get_spark()
    frame = spark.createDataFrame(pairs, "question string, context string").repartition(os.cpu_count() or 1).cache()
    frame.count()
    def collect(pipeline, rows=frame) -> list:
        return pipeline.transform(rows).select("answer.result").collect()

    runs: dict[str, Callable[[], object]] = {}
    for path in paths:  # each path warmed up on two questions, then timed on the whole workload
        if path.endswith("DataFrame"):
            pipeline, _ = spark_engine.pipeline_for(replace(source, precision=PATHS[path][1]))
            collect(pipeline, frame.limit(2))
            runs[path] = partial(collect, pipeline)
        else:
            answerers[path](pairs[:2])
            runs[path] = partial(answerers[path], pairs)
    seconds = interleaved_seconds(runs)
    for path in paths:
        latencies = None if path.endswith("DataFrame") else _latencies(lambda p, answer=answerers[path]: answer([p]), sample)
        add(path, seconds[path], latencies)
    frame.unpersist()

    window_lengths = _window_lengths(pairs, source)
    gflop = workload_gflop(window_lengths, transformers_engine.load(source)[1].config)
    reference = next(r.seconds for r in results if r.path == REFERENCE)
    results = [replace(r, vs_onnxruntime_fp32=r.seconds / reference, of_hardware_bound=gflop / rates[r.precision] / r.seconds)
               for r in results]
    if heldout is not None:
        f1s = {path: heldout_f1(path, answer, source, heldout) for path, answer in answerers.items() if path not in heldout_skip}
        for k, r in enumerate(results):
            f1, baseline = f1s.get(SAME_ANSWERS.get(r.path, r.path)), f1s.get(F1_BASELINE[PATHS[r.path][0]])
            results[k] = replace(r, heldout_f1=f1, f1_change=f1 - baseline if f1 is not None and baseline is not None else None)
    return BenchmarkReport(
        date=date.today().isoformat(), machine=describe_machine(), model=str(source), adapter_sha256=source.adapter_sha256,
        workload=f"{n} XQuAD questions, {per_lang} from each of the {len(WORKLOAD_LANGS)} languages, each "
        f"fitting one window ({sum(map(sum, window_lengths))} tokens in all)",
        heldout="F1 (SQuAD rules) on the held-out articles 41-48, mean of the 11 languages"
        + (f"; not measured for {', '.join(heldout_skip)}" if heldout_skip else "") if heldout else None,
        spark_startup_seconds=startup, spark_int8_startup_seconds=startup_int8, workload_gflop=gflop,
        bounds={precision: Bound(rate, n / (gflop / rate)) for precision, rate in rates.items()},
        results=results, not_measured=not_measured,
    )


def cluster_scaling(model: str, workers: tuple[int, ...] = (0, 1, 2), per_lang: int = 8) -> list[ClusterRun]:
    """The DataFrame path in local mode (0) and on a standalone cluster of 1 and 2 one-core workers, each run
    by ``python -m studies cluster`` in its own process; examples/s and whether the answers equal local mode's."""
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for count in workers:
            out = Path(scratch) / f"{count}.json"
            subprocess.run([sys.executable, "-m", "studies", "cluster", "--model", model, "--workers", str(count),
                            "--per-lang", str(per_lang), "--out", str(out)], check=True)
            runs.append(json.loads(out.read_text(encoding="utf-8")))
    local = [(r["text"], r["start"], r["end"]) for r in runs[0]["rows"]]
    return [
        ClusterRun("local[*]" if not r["workers"] else f"standalone, {r['workers']} worker{'s' * (r['workers'] > 1)} of 1 core",
                   r["executors"], r["questions"], r["examples_per_s"], [(x["text"], x["start"], x["end"]) for x in r["rows"]] == local)
        for r in runs
    ]


def int8_tradeoff(report: BenchmarkReport) -> list[dict]:
    """Each int8 path against the fp32 path it replaces: how much faster, and the held-out F1 it costs."""
    return [{"int8 path": fast, "instead of": slow, "speed-up": report.speedup(slow, fast),
             "F1 change": report.path(fast).f1_change} for fast, slow in INT8_PAIRS.items()]


PRECISION_COLOURS = {"fp32": "#1f77b4", "bf16": "#ff7f0e", "int8": "#2ca02c"}  # the same in both pictures


def plot_report(report: BenchmarkReport):
    """Examples per second of every path, coloured by precision, with each precision's hardware bound dashed."""
    import matplotlib.pyplot as plt

    colours = PRECISION_COLOURS
    paths = report.results[::-1]
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * len(paths) + 1.4))
    ax.barh([r.path for r in paths], [r.examples_per_s for r in paths], color=[colours[r.precision] for r in paths])
    for precision, bound in report.bounds.items():
        if any(r.precision == precision for r in paths):  # a precision left out here (bf16 without native bf16) has no bar
            ax.axvline(bound.examples_per_s, color=colours[precision], linestyle="--", linewidth=1,
                       label=f"{precision} hardware bound ({bound.gflops:.3g} GFLOP/s)")
    ax.set_xlabel("questions / s (higher is better)")
    ax.set_title(f"{textwrap.fill(report.workload, 80)}\n{report.date}", fontsize=9)
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    return fig


def plot_tradeoff(report: BenchmarkReport):
    """Speed against held-out F1, one numbered point per path measured for both (the key names them, so that no label
    covers another): the trade-off a reader chooses on."""
    import matplotlib.pyplot as plt

    colours = PRECISION_COLOURS
    scored = [(r, r.heldout_f1) for r in report.results if r.heldout_f1 is not None]
    if not scored:
        raise ValueError("this benchmark report has no held-out F1: run it with held-out scoring (make bench)")
    fig, ax = plt.subplots(figsize=(10, 4.8))
    for precision, colour in colours.items():
        chosen = [(r.examples_per_s, f1) for r, f1 in scored if r.precision == precision]
        if not chosen:  # a precision this run left out gets no entry in the legend
            continue
        ax.scatter([x for x, _ in chosen], [y for _, y in chosen], color=colour, label=precision, s=40)
    placed: list[tuple[float, float]] = []
    for number, (r, f1) in enumerate(scored, 1):
        near = sum(abs(y - f1) < 0.6 and abs(x - r.examples_per_s) < 0.6 for x, y in placed)
        ax.annotate(str(number), (r.examples_per_s, f1), xytext=(6 + 10 * near, 4), textcoords="offset points",
                    fontsize=10)  # close points get their numbers side by side
        placed.append((r.examples_per_s, f1))
    key = "\n".join(f"{number}  {r.path}" for number, (r, _) in enumerate(scored, 1))
    ax.text(1.02, 1.0, key, transform=ax.transAxes, va="top", fontsize=9, family="monospace")
    ax.set_xlabel("questions / s (higher is better)")
    ax.set_ylabel("held-out F1, SQuAD rules (higher is better)")
    ax.set_xlim(0, max(r.examples_per_s for r, _ in scored) * 1.15)
    ax.set_title(textwrap.fill(f"speed: {report.workload}", 110) + "\n" + textwrap.fill(f"F1: {report.heldout}", 110),
                 fontsize=9, loc="left")
    ax.legend(title="precision", fontsize=9, loc="lower right")
    fig.tight_layout()
    return fig


def write_report(report: BenchmarkReport, out: Path) -> None:
    """results.json (the typed report), results.csv, results.md (the README table) and results.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    stored.write(out / "results.json", report)
    table = pd.DataFrame([stored.to_json(r) for r in report.results]).set_index("path")
    table.to_csv(out / "results.csv")
    shown = table.drop(columns="seconds").round(3)
    bounds = ", ".join(f"{p} {b.gflops:.3g}" for p, b in report.bounds.items())
    header = (
        f"Measured {report.date} on {report.machine}.\n"
        f"Model: {report.model}; adapter sha256 {report.adapter_sha256 or 'not recorded'}. Workload: {report.workload}. "
        f"Quality: {report.heldout or 'not measured'}.\n"
        f"Spark start-up (JVM, jars, model), not counted above: {report.spark_startup_seconds:.1f} s (fp32), "
        f"{report.spark_int8_startup_seconds:.1f} s (int8). Matrix-multiply rates measured here (GFLOP/s): {bounds}.\n"
        + "".join(f"Not measured: {path}; this CPU has no native bf16: it multiplies bf16 at "
                  f"{report.bounds['bf16'].gflops:.3g} GFLOP/s, fp32 at {report.bounds['fp32'].gflops:.3g}.\n"
                  for path in report.not_measured) + "\n"
    )
    tradeoff = markdown_table(pd.DataFrame(int8_tradeoff(report)).round(2))
    cluster = ""
    if report.cluster:
        cluster = "\n\nThe DataFrame path (fp32) on a Spark standalone cluster on this machine:\n\n" + markdown_table(
            pd.DataFrame([stored.to_json(c) for c in report.cluster]).round(3))
    (out / "results.md").write_text(
        header + markdown_table(shown.reset_index()) + "\n\nint8 against fp32, in this run:\n\n" + tradeoff + cluster + "\n",
        encoding="utf-8",
    )
    fig = plot_report(report)
    fig.savefig(out / "results.png", dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="repro", help="repro (default), tiny (smoke test), real or a folder")
    parser.add_argument("--per-lang", type=int, default=8, help="questions per language")
    parser.add_argument("--latency-sample", type=int, default=16, help="examples timed one by one")
    parser.add_argument("--out", type=Path, default=stored.RESULTS / "benchmark")
    parser.add_argument("--no-heldout", action="store_true", help="skip the held-out F1 of each path (speed only)")
    parser.add_argument("--no-cluster", action="store_true", help="skip the standalone-cluster runs")
    parser.add_argument("--heldout-skip", action="append", default=[], choices=list(PATHS), metavar="PATH",
                        help="a path whose held-out F1 is not measured (repeatable)")
    args = parser.parse_args(argv)
    print(describe(args.model), flush=True)
    report = run(args.per_lang, args.latency_sample, args.model, None if args.no_heldout else args.out / "heldout",
                 tuple(args.heldout_skip))
    report = replace(report, cluster=None if args.no_cluster else cluster_scaling(args.model))
    write_report(report, args.out)
    print((args.out / "results.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
