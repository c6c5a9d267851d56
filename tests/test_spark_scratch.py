"""The JVM's temporary files (Spark NLP's ONNX copies, Spark's jar copies) do not outlive the process."""
import os
import subprocess
import sys

from qa_helpers.engines.spark_session import SCRATCH_PREFIX, sweep_stale_scratch
from tools import ROOT

CHILD = """
import os, sys
from pathlib import Path
import qa_helpers as qa
from qa_helpers.engines import spark_engine
rows = spark_engine.answer_rows([("Who went home?", "Ana went home.")], qa.resolve_model("tiny"))
assert rows[0].error is None, rows[0].error
spark_engine.load(qa.resolve_model("tiny")).write().save(sys.argv[1] + "/saved")  # needs the copy it keeps
(scratch,) = Path(sys.argv[1]).glob(f"qa-spark-{os.getpid()}-*")
print("\\n".join(sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if "onnx" in str(p))))
print("\\n".join(sorted(p.name for p in scratch.iterdir())))
"""


def finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_spark_process_leaves_no_temporary_files(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path), "QA_MODEL": "tiny"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    inside = done.stdout.split()
    assert any("onnx" in name for name in inside), inside  # the ONNX copy was made in the scratch folder...
    # ...once for two loads and a save: no staging copy, no second load (Spark's own userFiles copy aside)
    model_copies = [name for name in inside if "/" in name and not name.startswith(("onnxruntime", "spark-"))]
    assert len(model_copies) == 1, inside
    assert any(name.startswith("spark-") for name in inside), inside  # ...and so were Spark's own folders
    assert not list(tmp_path.glob(f"{SCRATCH_PREFIX}*"))  # ...which is gone after exit


def test_folders_of_ended_processes_are_swept_and_others_kept(tmp_path):
    dead = tmp_path / f"{SCRATCH_PREFIX}{finished_pid()}-abc"
    alive = tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-def"
    unrelated = tmp_path / "spark-not-ours"
    for folder in (dead, alive, unrelated):
        (folder / "inner").mkdir(parents=True)
    assert sweep_stale_scratch(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and unrelated.exists()
