"""Execute the tutorial notebooks headless, and render them to HTML with an index page.

    python -m tools.render notebooks build        # execute copies, write build/*.html + index.html
    python -m tools.render --in-place notebooks   # execute and save the notebooks themselves

The active model comes from QA_MODEL like everywhere else; `make notebooks` uses `repro`, the
trained offline model, so that the stored outputs are the ones nbval checks in CI.
"""
from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

TIMEOUT_S = 1200


def execute(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=TIMEOUT_S, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return nb


def title_and_summary(nb: nbformat.NotebookNode) -> tuple[str, str]:
    """The first '# ' heading and the paragraph after it, for the index page."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            lines = cell.source.strip().splitlines()
            body = [line for line in lines[1:] if line.strip() and not line.lstrip().startswith(("[![", "<a"))]
            return lines[0][2:].strip(), (body[0] if body else "")
    return "(untitled)", ""


def write_index(entries: list[tuple[str, str, str]], out: Path) -> None:
    items = "\n".join(
        f'<li><a href="{html.escape(href)}">{html.escape(title)}</a><br><small>{html.escape(summary)}</small></li>'
        for href, title, summary in entries
    )
    out.write_text(
        "<!doctype html><meta charset='utf-8'><title>Multilingual extractive QA</title>"
        "<h1>Multilingual extractive QA: notebooks</h1>"
        f"<ol>{items}</ol>\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--in-place", action="store_true")
    args = parser.parse_args(argv)
    if not args.in_place and args.out is None:
        parser.error("give an output folder, or --in-place")

    paths = sorted(args.notebooks.glob("*.ipynb"))
    entries = []
    for path in paths:
        print(f"executing {path}", flush=True)
        nb = execute(path)
        if args.in_place:
            nbformat.write(nb, path)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        body, _ = HTMLExporter().from_notebook_node(nb)
        target = args.out / (path.stem + ".html")
        target.write_text(body, encoding="utf-8")
        entries.append((target.name, *title_and_summary(nb)))
    if not args.in_place:
        write_index(entries, args.out / "index.html")
        print(f"rendered {len(entries)} notebooks to {args.out}/ (open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
