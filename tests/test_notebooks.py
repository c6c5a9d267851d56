"""Every notebook opens the same way: title, what you learn, Colab badge, set-up, active model."""
import os
import subprocess
import sys

import nbformat
import pytest

from tools import ROOT, colab

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_structure(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source
    assert first.startswith("# ") and "What you will learn" in first
    assert colab.badge(path) in first
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == colab.setup_source() and code[0].metadata.get("tags") == [colab.SETUP_TAG]  # folded on the website
    assert "source = qa.resolve_model()" in code[1].source and "qa.describe(source)" in code[1].source  # resolved once, printed
    assert code[1].outputs and code[1].outputs[0]["text"].startswith("Active model -> repro: ")  # make notebooks
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Exercises" in text


def run_setup_cell(tmp_path, prelude: str) -> str:
    """The set-up cell as Colab runs it (``google.colab`` imported), with qa_helpers already installed."""
    (tmp_path / "google" / "colab").mkdir(parents=True)
    (tmp_path / "google" / "colab" / "__init__.py").write_text("")
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key not in ("JAVA_HOME", "PYSPARK_PYTHON")}
    env.update(PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]), PATH=os.pathsep.join([str(java.parent), env["PATH"]]))
    code = f"import google.colab\n{prelude}\n{colab.setup_source()}\nimport os\nprint(os.environ['JAVA_HOME'], os.environ['PYSPARK_PYTHON'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_setup_cell_points_spark_at_colabs_java_and_this_python(tmp_path):
    out = run_setup_cell(tmp_path, "")
    assert out.split() == [str(tmp_path / "jdk"), sys.executable]  # nothing to install, no restart asked


def test_setup_cell_says_in_one_line_when_a_restart_is_needed(tmp_path):
    out = run_setup_cell(tmp_path, "import numpy; numpy.__version__ = '0.1'  # as if pip had replaced an imported numpy")
    restart = [line for line in out.splitlines() if "Restart" in line]
    assert restart == ["Restart the session (Runtime > Restart session) and run the notebook again: numpy changed."]
