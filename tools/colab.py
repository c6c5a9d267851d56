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


def install_target() -> str:
    """What the set-up cell installs: the package from the repository's main branch."""
    return f"qa_helpers @ git+{repository_url()}"


def setup_source() -> str:
    """The first code cell of every notebook: in Colab, install what Colab lacks and point Spark at its Java.

    It keeps Colab's own torch, transformers, numpy and pandas (pyproject.toml's ranges admit them),
    prints pip's downloads as it goes, and says in one line when a restart is needed. Elsewhere it
    does nothing. ``make colab-check`` runs this very cell in an emulated Colab.
    """
    return f'''{SETUP_MARKER}: installs this project and what Colab lacks (PySpark 3.5, Spark NLP, ONNX Runtime), keeps
# Colab's torch and transformers, and points Spark at Colab's Java 21. Elsewhere it does nothing.
import sys
if "google.colab" in sys.modules:
    import collections, importlib.metadata, importlib.util, os, shutil, subprocess
    if importlib.util.find_spec("qa_helpers") is None:
        print("Installing qa_helpers and what Colab lacks (about 400 MB, most of it PySpark)...", flush=True)
        pip = subprocess.Popen([sys.executable, "-m", "pip", "install", "--progress-bar", "off", "{install_target()}"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tail = collections.deque(maxlen=30)
        for line in pip.stdout:
            tail.append(line)
            if line.lstrip().startswith(("Downloading", "Successfully installed")) or "which is incompatible" in line:
                print(line.strip(), flush=True)
        if pip.wait():
            raise RuntimeError("pip could not install qa_helpers:\\n" + "".join(tail))
    if shutil.which("java"):
        os.environ.setdefault("JAVA_HOME", os.path.dirname(os.path.dirname(os.path.realpath(shutil.which("java")))))
    os.environ["PYSPARK_PYTHON"] = sys.executable  # Spark's Python workers must run this kernel's Python
    changed = [m for m in ("numpy", "pandas", "torch", "transformers") if m in sys.modules and sys.modules[m].__version__ != importlib.metadata.version(m)]
    if changed:
        print(f"Restart the session (Runtime > Restart session) and run the notebook again: {{', '.join(changed)}} changed.")'''


def sync(notebook: Path) -> bool:
    """Rewrite the badge line and the set-up cell; returns True if the file changed."""
    nb = nbformat.read(notebook, as_version=4)
    before = nbformat.writes(nb)
    title = nb.cells[0]
    lines = [line for line in title.source.splitlines() if "colab-badge.svg" not in line]
    title.source = "\n".join([lines[0], "", badge(notebook), *lines[1:]]).replace("\n\n\n", "\n\n")
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(SETUP_MARKER):
            cell.source = setup_source()
            cell.metadata["tags"] = [SETUP_TAG]
    if nbformat.writes(nb) == before:
        return False
    nbformat.write(nb, notebook)
    return True


if __name__ == "__main__":
    changed = [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if sync(p)]
    print("updated:", ", ".join(changed) or "nothing")
    sys.exit(0)
