"""Artifacts from Maven Central through Spark's own resolver (Ivy), for jars and for models.

``spark-submit`` resolves ``spark.jars.packages`` with Ivy before it runs anything: it downloads
each artifact and its dependencies into ``<ivy>/cache`` (checking the SHA-1 that Maven Central
publishes beside every file) and copies them to ``<ivy>/jars``. Running it on an empty script
is therefore a Maven client that every PySpark install already has, which honours Ivy settings
files (``spark.jars.ivySettings``) for proxies and mirrors. The Spark NLP jars and the pretrained
multilingual BERT both come this way.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["MavenError", "ivy_resolve"]


class MavenError(RuntimeError):
    """Maven artifacts could not be resolved; the message says which and what to do."""


def _progress(proc: subprocess.Popen, watch: Path, total: int, desc: str) -> None:
    """A byte progress bar for one large download, read off the growing file in Ivy's cache."""
    from tqdm import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, desc=desc, mininterval=2) as bar:
        while proc.poll() is None:
            sizes = [p.stat().st_size for p in watch.parent.glob(watch.name + "*") if p.is_file()] if watch.parent.exists() else []
            bar.update(max(sizes, default=0) - bar.n)
            time.sleep(1)
        if watch.exists():
            bar.update(watch.stat().st_size - bar.n)


def ivy_resolve(
    settings: dict[str, str], ivy_dir: Path, *, watch: Path | None = None, total: int = 0, desc: str = ""
) -> list[str]:
    """Resolve ``settings`` (``spark.jars.packages`` and friends) into ``ivy_dir``; returns the
    unresolved ``group:artifact`` names (empty when all went well).

    ``ivy_dir/jars`` is emptied first, so afterwards it holds exactly this resolution's jars.
    ``watch`` (a file Ivy will write, of ``total`` bytes) turns on a progress bar.
    """
    import pyspark

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    shutil.rmtree(ivy_dir / "jars", ignore_errors=True)
    args = [str(submit)]
    for key, value in {**settings, "spark.jars.ivy": str(ivy_dir)}.items():
        args += ["--conf", f"{key}={value}"]
    with tempfile.TemporaryDirectory() as tmp:
        noop = Path(tmp) / "noop.py"
        noop.write_text("")
        log = Path(tmp) / "ivy.log"
        env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
        with open(log, "w") as out:
            proc = subprocess.Popen(args + [str(noop)], stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
            if watch is not None:
                _progress(proc, watch, total, desc)
            proc.wait()
        output = log.read_text(errors="replace")
    if proc.returncode == 0:
        return []
    missing = re.findall(r"unresolved dependency: ([\w.\-]+)#([\w.\-]+);", output)
    if not missing:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise MavenError(f"spark-submit failed while resolving {settings.get('spark.jars.packages')}:\n{tail}")
    return [f"{group}:{artifact}" for group, artifact in missing]
