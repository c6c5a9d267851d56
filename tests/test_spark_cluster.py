"""The DataFrame path on a real Spark standalone cluster (a master and two one-core workers on 127.0.0.1).

The cluster runs in a child process started by ``python -m studies cluster``, so that this session's
local Spark is untouched; its answers must equal local mode's, row for row and in order.
"""
import json
import os
import subprocess
import sys

import psutil
import pytest

import qa_helpers as qa
from studies import cluster as spark_cluster

pytestmark = [pytest.mark.spark, pytest.mark.slow]
LANGS, PER_LANG = ("en", "ar", "zh"), 4


def _cluster_processes() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "org.apache.spark.deploy.master.Master" in cmdline or "org.apache.spark.deploy.worker.Worker" in cmdline:
            found.append(process)
    return found


def test_cluster_answers_like_local_mode_and_stops(tiny, spark, tmp_path):
    before = {p.pid for p in _cluster_processes()}
    out = tmp_path / "cluster.json"
    command = [sys.executable, "-m", "studies", "cluster", "--model", "tiny",
               "--workers", "2", "--langs", ",".join(LANGS), "--per-lang", str(PER_LANG), "--out", str(out), "--timeout", "400"]
    child = subprocess.Popen(command, env=dict(os.environ, PYTHONHASHSEED="0"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        log, _ = child.communicate(timeout=480)
    except subprocess.TimeoutExpired:
        child.terminate()  # SIGTERM: the command's handler stops the cluster on its way out
        log, _ = child.communicate(timeout=60)
        pytest.fail(f"the cluster run did not finish in time:\n{log[-3000:]}")
    assert child.returncode == 0, log[-3000:]
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["workers"] == 2 and record["executors"] == 2 and record["master"].startswith(f"spark://{spark_cluster.HOST}:")

    examples = [ex for lang in LANGS for ex in qa.load_xquad(lang, PER_LANG, "heldout")]
    assert [row["id"] for row in record["rows"]] == list(range(len(examples)))  # none lost, none reordered
    local = qa.answer_dataframe(
        spark.createDataFrame([(ex.question, ex.context) for ex in examples], "question string, context string"), model=tiny
    ).collect()
    for mine, theirs in zip(record["rows"], local):
        assert (mine["text"], mine["start"], mine["end"], mine["error"]) == (theirs.text, theirs.start, theirs.end, theirs.error)
        assert mine["score"] == pytest.approx(theirs.score, abs=1e-4)
    assert {p.pid for p in _cluster_processes()} <= before  # master and workers are gone


def test_a_master_that_exits_is_reported_with_its_log(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "spark-class").write_text("#!/bin/sh\nexit 3\n")
    (tmp_path / "bin" / "spark-class").chmod(0o755)
    monkeypatch.setattr(spark_cluster, "spark_home", lambda: tmp_path)
    with pytest.raises(RuntimeError, match="spark-cluster.log"), spark_cluster.standalone_cluster(workers=1):
        pass
