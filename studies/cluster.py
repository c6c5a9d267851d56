"""Spark NLP on a real cluster: a Spark standalone master and workers on this machine. ``python -m studies cluster``.

``local[*]`` runs everything in one JVM. A standalone cluster is what a real deployment looks like: a
master process, worker processes that each own some cores, and executors that the workers start for
the application, each in its own JVM. The three things that change for the tutorial's DataFrame path:

- the master URL: ``spark://host:7077`` instead of ``local[*]`` (``QA_SPARK_MASTER``, or the settings given to :func:`get_spark`);
- the jars: ``spark.jars`` lists the Spark NLP jars, and the driver ships them to every executor;
- the partitions: one task per partition, so a DataFrame needs at least as many partitions as the
  cluster has cores, or some executors sit idle.

:func:`standalone_cluster` starts the master and the workers with PySpark's own launcher
(``bin/spark-class``), bound to 127.0.0.1, and always stops them. The command runs the DataFrame path on
XQuAD questions there and writes the answers and the time, so a caller can compare them with local mode.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa_helpers.config import SparkSettings, cache_dir
from qa_helpers.engines import spark_engine
from qa_helpers.engines.spark_session import get_spark, java_executable, jvm_scratch
from qa_helpers.models.sources import ModelSource, resolve_model
from qa_helpers.xquad import load_xquad

__all__ = ["HOST", "StandaloneCluster", "cluster_answers", "main", "spark_home", "standalone_cluster"]

HOST = "127.0.0.1"
START_TIMEOUT_S = 90


def spark_home() -> Path:
    """PySpark's own Spark distribution (its ``bin/spark-class`` starts masters and workers)."""
    import pyspark

    return Path(pyspark.__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class StandaloneCluster:
    """A running master and its workers; ``master_url`` is what a session connects to."""

    master_url: str
    ui_url: str
    processes: list[subprocess.Popen]
    log: Path

    def alive_workers(self) -> int:
        """How many workers the master counts as ALIVE (from its status page)."""
        with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=5) as response:
            status = json.load(response)
        return sum(1 for worker in status.get("workers", []) if worker.get("state") == "ALIVE")

    def stop(self) -> None:
        """Stop the workers, then the master; kill whatever does not stop in 20 s."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def standalone_cluster(workers: int = 2, cores: int = 1, memory: str = "3g") -> Iterator[StandaloneCluster]:
    """A master and ``workers`` workers of ``cores`` cores each on 127.0.0.1, stopped on exit whatever happens."""
    env = dict(os.environ, SPARK_HOME=str(spark_home()), SPARK_LOCAL_IP=HOST, SPARK_NO_DAEMONIZE="1",
               PYSPARK_PYTHON=os.environ.get("PYSPARK_PYTHON", sys.executable))
    java = java_executable()
    if java:
        env["JAVA_HOME"] = str(Path(java).resolve().parents[1])
    log = cache_dir() / "spark-cluster.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    port, ui_port = _free_port(), _free_port()
    spark_class = str(spark_home() / "bin" / "spark-class")
    work = jvm_scratch() / "worker"
    cluster = StandaloneCluster(f"spark://{HOST}:{port}", f"http://{HOST}:{ui_port}", [], log)
    with open(log, "ab") as out:
        try:
            cluster.processes.append(subprocess.Popen(
                [spark_class, "org.apache.spark.deploy.master.Master", "--host", HOST, "--port", str(port), "--webui-port", str(ui_port)],
                env=env, stdout=out, stderr=out, start_new_session=True,
            ))
            _wait(lambda: _accepts(port), cluster, "the master to listen")
            for index in range(workers):
                cluster.processes.append(subprocess.Popen(
                    [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", HOST, "--cores", str(cores), "--memory", memory,
                     "--webui-port", str(_free_port()), "--work-dir", str(work / str(index)), cluster.master_url],
                    env=env, stdout=out, stderr=out, start_new_session=True,
                ))
            _wait(lambda: cluster.alive_workers() == workers, cluster, f"{workers} workers to register")
            yield cluster
        finally:
            cluster.stop()


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) == 0


def _wait(ready, cluster: StandaloneCluster, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in cluster.processes):
            raise RuntimeError(f"A Spark process exited while waiting for {what}; see {cluster.log}")
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.5)
    raise TimeoutError(f"Timed out after {START_TIMEOUT_S} s waiting for {what}; see {cluster.log}")


def cluster_answers(pairs: list[tuple[str, str]], source: ModelSource, partitions: int) -> tuple[list[dict], float]:
    """Answer ``pairs`` with the DataFrame path in this process's session (the cluster's, where one was started);
    returns the rows in input order and the seconds it took (model loaded first)."""
    spark_engine.pipeline_for(source)  # loading is not timed
    frame = get_spark().createDataFrame([(i, q, c) for i, (q, c) in enumerate(pairs)], "id int, question string, context string")
    # Ranges of ids per partition, sorted within: the partitions together keep the input order.
    frame = frame.repartitionByRange(partitions, "id").sortWithinPartitions("id").cache()
    frame.count()
    spark_engine.answer_dataframe(frame, source).count()  # warm-up: every executor loads the model
    start = time.perf_counter()
    rows = spark_engine.answer_dataframe(frame, source).drop("question", "context").collect()
    seconds = time.perf_counter() - start
    return [row.asDict() for row in rows], seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="repro, tiny or a folder (default: $QA_MODEL)")
    parser.add_argument("--workers", type=int, default=2, help="workers, one core each (0: local mode, no cluster)")
    parser.add_argument("--memory", default="3g", help="memory per worker (and its executor)")
    parser.add_argument("--langs", default="en,ar,zh", help="languages of the XQuAD questions asked")
    parser.add_argument("--per-lang", type=int, default=8, help="questions per language")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the answers and the time")
    parser.add_argument("--timeout", type=int, default=600, help="seconds before it gives up (the cluster is stopped)")
    args = parser.parse_args(argv)

    def give_up(signum, _frame):
        raise SystemExit(f"stopped by signal {signum} (--timeout {args.timeout} s or a kill): the cluster is stopped")

    signal.signal(signal.SIGTERM, give_up)  # a kill still runs the finally that stops the cluster
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.timeout)
    pairs = [(ex.question, ex.context) for lang in args.langs.split(",") for ex in load_xquad(lang, args.per_lang, "heldout")]
    with standalone_cluster(args.workers, 1, args.memory) if args.workers else contextlib.nullcontext() as cluster:
        if cluster is not None:
            # The session starts here, on the cluster: one ONNX thread per one-core executor, each executor with its worker's memory.
            get_spark(settings=SparkSettings(master=cluster.master_url, executor_memory=args.memory, onnx_threads=1))
        rows, seconds = cluster_answers(pairs, resolve_model(args.model), partitions=max(2, args.workers))
        executors = get_spark().sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1  # less the driver
        record = {"master": cluster.master_url if cluster else get_spark().sparkContext.master,
                  "workers": cluster.alive_workers() if cluster else 0, "executors": executors, "questions": len(pairs),
                  "seconds": seconds, "examples_per_s": len(pairs) / seconds, "rows": rows}
        get_spark().stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{record['master']}: {record['workers']} workers answered {len(pairs)} questions in {seconds:.1f} s "
          f"({record['examples_per_s']:.2f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
