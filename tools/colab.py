"""The Colab badge and set-up cell of every notebook, generated from one repository URL.

The URL lives in pyproject.toml ([project.urls] Repository). After changing it, run
``python -m tools.colab`` to rewrite the badges and set-up cells; tests/test_notebooks.py
checks that every notebook carries the current ones.
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SETUP_MARKER = "# Colab set-up"


def repository_url() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"]


def badge(notebook: Path) -> str:
    """Markdown for an 'Open in Colab' badge that opens this notebook from the main branch."""
    path = repository_url().removeprefix("https://github.com/")
    target = f"https://colab.research.google.com/github/{path}/blob/main/notebooks/{notebook.name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({target})"


def setup_source() -> str:
    """Installs Java 17 and the pinned package in a fresh Colab runtime; does nothing elsewhere."""
    return f'''{SETUP_MARKER}: installs Java 17 and this project's pinned packages. Elsewhere it does nothing.
import os, subprocess, sys
if "google.colab" in sys.modules:
    subprocess.run("apt-get -qq update && apt-get -qq install -y openjdk-17-jdk-headless > /dev/null", shell=True, check=True)
    os.environ["JAVA_HOME"] = "/usr/lib/jvm/java-17-openjdk-amd64"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "qa_helpers @ git+{repository_url()}"], check=True)'''


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
    if nbformat.writes(nb) == before:
        return False
    nbformat.write(nb, notebook)
    return True


if __name__ == "__main__":
    changed = [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if sync(p)]
    print("updated:", ", ".join(changed) or "nothing")
    sys.exit(0)
