"""The Colab badge and set-up cell of every notebook, generated from one repository URL; the cell is tagged so
that the website folds it away.

The URL lives in pyproject.toml ([project.urls] Repository). After changing it, run
``python -m tools.colab`` to rewrite the badges and set-up cells; tests/test_notebooks.py
checks that every notebook carries the current ones.
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import nbformat

from tools import ROOT
from tools.course import needs_spark

SETUP_MARKER = "# Colab set-up"
SETUP_TAG = "hide-cell"  # the website folds the set-up cell away behind a toggle (myst-nb's tag)


def repository_url() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"]


def badge(notebook: Path) -> str:
    """Markdown for an 'Open in Colab' badge that opens this notebook from the main branch."""
    path = repository_url().removeprefix("https://github.com/")
    target = f"https://colab.research.google.com/github/{path}/blob/main/notebooks/{notebook.name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({target})"


def install_target(spark: bool = False) -> str:
    """What the set-up cell installs: the package from the repository's main branch, with Spark NLP for ``spark``."""
    return f"qa_helpers{'[spark]' if spark else ''} @ git+{repository_url()}"


def setup_source(spark: bool = False) -> str:
    """The first code cell of every notebook: in Colab, install the course's package; elsewhere, nothing.

    The core track's cell installs the package alone (Colab keeps its own torch, transformers, numpy and pandas,
    which pyproject.toml's ranges admit); the engineering track's adds the ``spark`` extra. Spark finds Colab's Java
    itself (``qa.get_spark``), and ``import qa_helpers`` says in one line when a restart is due.
    ``make colab-check`` runs this very cell in an emulated Colab.
    """
    what = "this course's package and Spark NLP" if spark else "this course's package"
    return f'''{SETUP_MARKER}: installs {what}; elsewhere it does nothing.
import sys
if "google.colab" in sys.modules:
    %pip install --quiet "{install_target(spark)}"'''


def sync(notebook: Path) -> bool:
    """Rewrite the badge line and the set-up cell; returns True if the file changed."""
    nb = nbformat.read(notebook, as_version=4)
    before = nbformat.writes(nb)
    title = nb.cells[0]
    lines = [line for line in title.source.splitlines() if "colab-badge.svg" not in line]
    title.source = "\n".join([lines[0], "", badge(notebook), *lines[1:]]).replace("\n\n\n", "\n\n")
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(SETUP_MARKER):
            cell.source = setup_source(needs_spark(notebook.stem))
            cell.metadata["tags"] = [SETUP_TAG]
    if nbformat.writes(nb) == before:
        return False
    nbformat.write(nb, notebook)
    return True


if __name__ == "__main__":
    changed = [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if sync(p)]
    print("updated:", ", ".join(changed) or "nothing")
    sys.exit(0)
