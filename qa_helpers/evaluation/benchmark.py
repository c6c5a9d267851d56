"""How fast each path answers questions on this machine: ``python -m qa_helpers bench``.

One run measures, on the same fixed XQuAD workload and the same model:

- ``naive loop``: what most tutorials show, one example at a time through transformers;
- ``qa_helpers batched``: :func:`transformers_engine.answer_rows` (length-sorted batches,
  inference mode, all cores);
- ``ONNX Runtime``: the same pipeline with ONNX Runtime running the exported model, the
  local reference;
- ``Spark NLP DataFrame`` for several partition counts and ``batchSize`` values, and ``Spark NLP LightPipeline``
  (JVM start-up and model loading are timed separately, not counted);
- ``hardware bound``: the workload's FLOPs over the matrix-multiply rate measured here.

Throughput is examples/s over the whole workload; latency is the wall time of answering one
example alone (p50/p95 over a sample). Run it on the full-size ``base`` model (``make bench``);
on ``tiny`` it is only a smoke test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from ..engines import spark_engine, transformers_engine
from ..models.sources import ModelSource, describe, resolve_model
from ..validation import InputError
from . import stored
from .report import markdown_table
from .xquad import XQuADExample, load_xquad

__all__ = [
    "SPARK_BATCH_SIZES", "WORKLOAD_LANGS", "main", "matmul_gflops", "naive_answer", "onnx_forward",
    "PathResult", "plot_report", "run", "stored_report", "workload", "workload_gflop", "write_report",
]

WORKLOAD_LANGS = ("en", "es", "de", "ru", "ar", "hi", "th", "zh")
SPARK_BATCH_SIZES = (1, 8)


@dataclass
class PathResult:
    path: str
    examples_per_s: float
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    seconds: float
    vs_onnxruntime: float | None = None  # this path's time / ONNX Runtime's time
    vs_naive: float | None = None  # naive loop's time / this path's time (speed-up)
    of_hardware_bound: float | None = None  # bound's time / this path's time


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


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _latencies(fn, items) -> list[float]:
    return [_timed(lambda item=item: fn(item)) for item in items]


def matmul_gflops(size: int = 2048, repeats: int = 10) -> float:
    """The float32 matrix-multiply rate torch reaches here, in GFLOP/s (best of ``repeats``)."""
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.matmul(a, b)  # warm-up
    best = min(_timed(lambda: torch.matmul(a, b)) for _ in range(repeats))
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


def onnx_forward(onnx_path: str):
    """A ``forward_fn`` for :func:`transformers_engine.answer_rows` backed by ONNX Runtime."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])

    def run(ids, types, mask):
        return session.run(["start_logits", "end_logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})

    return lambda input_ids, token_type_ids: transformers_engine.run_in_batches(input_ids, token_type_ids, run)


def naive_answer(tokenizer, model, question: str, context: str) -> str:
    """The loop most tutorials show: tokenize, run the model, take two argmaxes."""
    import torch

    inputs = tokenizer(question, context, return_tensors="pt", truncation="only_second", max_length=transformers_engine.WINDOW_LENGTH)
    with torch.no_grad():
        out = model(**inputs)
    start, end = int(out.start_logits.argmax()), int(out.end_logits.argmax())
    return tokenizer.decode(inputs["input_ids"][0][start : end + 1])


def run(per_lang: int, latency_sample: int, model: str | ModelSource | None = None) -> dict:
    """Measure every path on one workload; returns the results and the context of the run."""
    import torch

    source = resolve_model(model)
    examples = workload(per_lang, source)
    pairs = [(ex.question, ex.context) for ex in examples]
    sample = pairs[:: max(1, len(pairs) // latency_sample)][:latency_sample]
    tokenizer, torch_model = transformers_engine.load(source)
    n = len(pairs)
    results: list[PathResult] = []

    def add(path: str, seconds: float, latencies: list[float] | None) -> None:
        lat = sorted(latencies) if latencies else None
        results.append(PathResult(
            path, n / seconds,
            1000 * statistics.median(lat) if lat else None,
            1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else None,
            seconds,
        ))

    naive = lambda pair: naive_answer(tokenizer, torch_model, *pair)  # noqa: E731
    naive(pairs[0])  # warm-up, as for every path
    add("naive loop (transformers)", _timed(lambda: [naive(p) for p in pairs]), _latencies(naive, sample))

    batched = lambda ps: transformers_engine.answer_rows(ps, source)  # noqa: E731
    batched(pairs[:2])
    add("qa_helpers batched (transformers)", _timed(lambda: batched(pairs)), _latencies(lambda p: batched([p]), sample))

    ort_forward = onnx_forward(f"{source.onnx}/model.onnx")
    with_ort = lambda ps: transformers_engine.answer_rows(ps, source, forward_fn=ort_forward)  # noqa: E731
    with_ort(pairs[:2])
    add("ONNX Runtime (same pipeline)", _timed(lambda: with_ort(pairs)), _latencies(lambda p: with_ort([p]), sample))

    startup = _timed(lambda: spark_engine.pipeline_for(source))  # JVM, jars and model loading
    spark = spark_engine.get_spark()
    light = lambda ps: spark_engine.answer_rows(ps, source)  # noqa: E731
    light(pairs[:2])
    add("Spark NLP LightPipeline", _timed(lambda: light(pairs)), _latencies(lambda p: light([p]), sample))
    pipeline, _ = spark_engine.pipeline_for(source)
    qa_stage = pipeline.stages[-1]
    for partitions in sorted({1, os.cpu_count() or 1}):
        df = spark.createDataFrame(pairs, "question string, context string").repartition(partitions).cache()
        df.count()
        for size in SPARK_BATCH_SIZES:
            qa_stage.setBatchSize(size)
            pipeline.transform(df.limit(2)).select("answer.result").collect()
            add(f"Spark NLP DataFrame ({partitions} partition{'s' * (partitions > 1)}, batchSize={size})",
                _timed(lambda df=df: pipeline.transform(df).select("answer.result").collect()), None)
        df.unpersist()
    qa_stage.setBatchSize(spark_engine.BATCH_SIZE)

    gflops = matmul_gflops()
    window_lengths = _window_lengths(pairs, source)
    bound_seconds = workload_gflop(window_lengths, torch_model.config) / gflops
    add("hardware bound (FLOPs / matmul rate)", bound_seconds, None)

    ort_time = next(r.seconds for r in results if r.path.startswith("ONNX"))
    naive_time = results[0].seconds
    for r in results:
        r.vs_onnxruntime = r.seconds / ort_time
        r.vs_naive = naive_time / r.seconds
        r.of_hardware_bound = bound_seconds / r.seconds
    return {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or 'cpu'}; "
        f"python {platform.python_version()}, torch {torch.__version__}, torch threads {torch.get_num_threads()}",
        "model": str(source),
        "workload": f"{n} XQuAD questions, {per_lang} from each of {', '.join(WORKLOAD_LANGS)}, each "
        f"fitting one window ({sum(map(sum, window_lengths))} tokens in all)",
        "spark_startup_seconds": startup,
        "matmul_gflops": gflops,
        "results": [asdict(r) for r in results],
    }


def stored_report() -> dict:
    """The committed measurement (``results/benchmark/results.json``) that README and notebook 8 show."""
    return stored.read_json("benchmark/results.json")


def plot_report(report: dict):
    """Examples per second of every path, with the hardware bound as a dashed line; returns the figure."""
    import matplotlib.pyplot as plt

    paths = [r for r in report["results"] if not r["path"].startswith("hardware")]
    bound = next(r for r in report["results"] if r["path"].startswith("hardware"))
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(paths) + 1))
    ax.barh([r["path"] for r in paths][::-1], [r["examples_per_s"] for r in paths][::-1], color="#1f77b4")
    ax.axvline(bound["examples_per_s"], color="red", linestyle="--", label="hardware bound")
    ax.set_xlabel("examples / s (higher is better)")
    ax.set_title(f"{report['workload']}\n{report['date']}", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def write_report(report: dict, out: Path) -> None:
    """results.json, results.csv, results.md (the README table) and results.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=1))
    table = pd.DataFrame(report["results"]).set_index("path")
    table.to_csv(out / "results.csv")
    shown = table.drop(columns="seconds").round(3)
    header = (
        f"Measured {report['date']} on {report['machine']}.\n"
        f"Model: {report['model']}. Workload: {report['workload']}.\n"
        f"Spark start-up (JVM, jars, model), not counted above: {report['spark_startup_seconds']:.1f} s. "
        f"Measured matmul rate: {report['matmul_gflops']:.0f} GFLOP/s.\n\n"
    )
    (out / "results.md").write_text(header + markdown_table(shown.reset_index()) + "\n", encoding="utf-8")
    fig = plot_report(report)
    fig.savefig(out / "results.png", dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa_helpers bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base", help="base (default), tiny (smoke test), real or a folder")
    parser.add_argument("--per-lang", type=int, default=8, help="questions per language")
    parser.add_argument("--latency-sample", type=int, default=16, help="examples timed one by one")
    parser.add_argument("--out", type=Path, default=stored.RESULTS / "benchmark")
    args = parser.parse_args(argv)
    print(describe(args.model), flush=True)
    report = run(args.per_lang, args.latency_sample, args.model)
    write_report(report, args.out)
    print((args.out / "results.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
