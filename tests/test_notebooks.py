"""Every notebook opens the same way: title, what you learn, Colab badge, set-up, active model."""
from pathlib import Path

import nbformat
import pytest

from tools import colab

ROOT = Path(__file__).resolve().parents[1]

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
    assert code[0].source == colab.setup_source()
    assert "qa.describe()" in code[1].source
    assert code[1].outputs and code[1].outputs[0]["text"].startswith("Active model -> repro: ")  # make notebooks
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Exercises" in text
