"""A smoke run of the benchmark on the tiny model: every path runs and the report is complete.

It checks what the report contains and how its columns relate, never how fast anything is.
"""
from dataclasses import replace

import pytest

from qa_helpers.examples import LANGUAGES
from qa_helpers.xquad import load_xquad
from studies import benchmark, stored


def test_every_path_is_measured_and_reported(tiny, spark, tmp_path):
    report = benchmark.run(per_lang=1, latency_sample=2, model=tiny)
    results = {r.path: r for r in report.results}
    assert list(results) == [path for path in benchmark.PATHS if path not in report.not_measured]  # every path, or why not
    native_bf16 = report.bounds["bf16"].gflops >= report.bounds["fp32"].gflops
    assert set(report.not_measured) == (set() if native_bf16 else {"transformers bf16 (autocast), batched"})
    reference = results[benchmark.REFERENCE].seconds
    for path, r in results.items():
        assert r.precision == benchmark.PATHS[path][1] and r.examples_per_s > 0 and r.seconds > 0
        assert r.vs_onnxruntime_fp32 == pytest.approx(r.seconds / reference)
        bound_seconds = report.workload_gflop / report.bounds[r.precision].gflops
        assert r.of_hardware_bound == pytest.approx(bound_seconds / r.seconds)
        assert (r.p50_latency_ms is None) == path.endswith("DataFrame")
        assert r.heldout_f1 is None  # not asked for here
    assert set(report.bounds) == {"fp32", "bf16", "int8"} and report.spark_startup_seconds > 0
    assert report.model == str(tiny) and report.adapter_sha256 is None
    tradeoff = benchmark.int8_tradeoff(report)
    assert [row["int8 path"] for row in tradeoff] == list(benchmark.INT8_PAIRS)
    onnx = next(row for row in tradeoff if row["int8 path"] == "ONNX Runtime int8")
    assert onnx["speed-up"] == pytest.approx(results["ONNX Runtime fp32"].seconds / results["ONNX Runtime int8"].seconds)
    assert onnx["F1 change"] is None  # no F1 measured

    benchmark.write_report(report, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "results.csv", "results.md", "results.png"}
    assert stored.read(benchmark.BenchmarkReport, tmp_path / "results.json") == report
    assert all(p in (tmp_path / "results.md").read_text() for p in [*results, *report.not_measured])


def test_workload_examples_fit_one_window_of_both_engines(tiny):
    examples = benchmark.workload(2, tiny)
    assert len(examples) == 2 * len(benchmark.WORKLOAD_LANGS) and benchmark.WORKLOAD_LANGS == LANGUAGES
    lengths = benchmark._window_lengths([(ex.question, ex.context) for ex in examples], tiny)
    assert all(len(windows) == 1 for windows in lengths)


def test_held_out_f1_scores_every_language_and_resumes_from_its_files(tiny, tmp_path):
    gold = {ex.question + ex.context: ex.answers[0] for lang in LANGUAGES for ex in load_xquad(lang, split="heldout")}
    assert benchmark.heldout_f1("made up", lambda pairs: [gold[q + c] for q, c in pairs], tiny, tmp_path, False) == 100.0
    assert len(list(tmp_path.glob("heldout.made-up.*.json"))) == len(LANGUAGES) and not list(tmp_path.glob("*.partial"))

    def refuse(pairs):
        raise AssertionError("answered again although every language was on disk")

    assert benchmark.heldout_f1("made up", refuse, tiny, tmp_path, False) == 100.0
    another_model = replace(tiny, name="another")  # files of another model are not trusted
    assert benchmark.heldout_f1("made up", lambda pairs: [""] * len(pairs), another_model, tmp_path, False) == 0.0


def test_the_tradeoff_picture_has_one_point_per_path_scored_and_needs_a_score():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report = stored.read(benchmark.BenchmarkReport, "benchmark/results.json")
    scored = [r for r in report.results if r.heldout_f1 is not None]
    fig = benchmark.plot_tradeoff(report)
    points = sorted((float(x), float(y)) for c in fig.axes[0].collections for x, y in c.get_offsets())
    assert points == sorted((r.examples_per_s, r.heldout_f1) for r in scored) and len(points) >= 2
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels[:-1] == [str(k) for k in range(1, len(scored) + 1)]  # a number per point, then the key
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == [p for p in benchmark.PRECISION_COLOURS if any(r.precision == p for r in scored)]  # no empty entry
    assert labels[-1].splitlines() == [f"{k}  {r.path}" for k, r in enumerate(scored, 1)]
    plt.close(fig)
    unscored = replace(report, results=[replace(r, heldout_f1=None) for r in report.results])
    with pytest.raises(ValueError, match="no held-out F1"):
        benchmark.plot_tradeoff(unscored)
