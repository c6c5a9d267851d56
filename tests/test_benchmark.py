"""A smoke run of the benchmark on the tiny model: every path runs and the report is complete.

It checks what the report contains and how its columns relate, never how fast anything is.
"""
import json
import os

import pytest

from qa_helpers.evaluation import benchmark


def test_every_path_is_measured_and_reported(tiny, spark, tmp_path):
    report = benchmark.run(per_lang=1, latency_sample=2, model=tiny)
    paths = [r["path"] for r in report["results"]]
    assert paths[0].startswith("naive") and any(p.startswith("ONNX") for p in paths)
    assert any(p.startswith("Spark NLP LightPipeline") for p in paths)
    partition_counts = len({1, os.cpu_count() or 1})
    assert sum(p.startswith("Spark NLP DataFrame") for p in paths) == partition_counts * len(benchmark.SPARK_BATCH_SIZES)
    assert paths[-1].startswith("hardware bound")
    for r in report["results"]:
        assert r["examples_per_s"] > 0 and r["seconds"] > 0
        assert r["vs_onnxruntime"] == pytest.approx(r["seconds"] / report["results"][2]["seconds"])
    assert report["results"][0]["vs_naive"] == 1.0 and report["results"][2]["vs_onnxruntime"] == 1.0
    assert "workload" in report and report["matmul_gflops"] > 0 and report["spark_startup_seconds"] > 0

    benchmark.write_report(report, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "results.csv", "results.md", "results.png"}
    assert json.loads((tmp_path / "results.json").read_text())["results"] == report["results"]
    assert all(p in (tmp_path / "results.md").read_text() for p in paths)


def test_workload_examples_fit_one_window_of_both_engines(tiny):
    examples = benchmark.workload(2, tiny)
    assert len(examples) == 2 * len(benchmark.WORKLOAD_LANGS)
    lengths = benchmark._window_lengths([(ex.question, ex.context) for ex in examples], tiny)
    assert all(len(windows) == 1 for windows in lengths)
