"""Execute the tutorial notebooks headless, top to bottom, as a reader would.

    python -m tools.execute notebooks             # in place: how the stored outputs are made (make notebooks)
    python -m tools.execute notebooks --out DIR   # executed copies, the notebooks untouched (make run)

The active model comes from QA_MODEL like everywhere else; `make notebooks` uses `repro`, the
trained offline model, so that the stored outputs are the ones nbval checks in CI.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TIMEOUT_S = 1200


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` run in a fresh kernel, in its own folder."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=TIMEOUT_S, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.execute", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", type=Path, help="a folder of notebooks")
    parser.add_argument("--out", type=Path, help="write the executed copies here instead of in place")
    args = parser.parse_args(argv)
    paths = sorted(args.notebooks.glob("*.ipynb"))
    if not paths:
        parser.error(f"{args.notebooks} holds no notebooks")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        print(f"executing {path}", end="", flush=True)
        started = time.perf_counter()
        nb = execute(path)
        target = (args.out / path.name) if args.out else path
        partial = target.with_suffix(".ipynb.partial")
        nbformat.write(nb, partial)
        partial.replace(target)  # a stop never leaves a half-written notebook
        print(f" ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
