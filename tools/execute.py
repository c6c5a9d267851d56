"""Execute the tutorial notebooks headless, top to bottom, as a reader would.

    python -m tools.execute notebooks             # in place: how the stored outputs are made (make notebooks)
    python -m tools.execute notebooks --out DIR   # executed copies, the notebooks untouched (make run)

The active model comes from QA_MODEL like everywhere else; `make notebooks` uses `repro`, the
trained offline model, so that the stored outputs are the ones nbval checks in CI. Every cell that runs longer than
SLOW_CELL_S is listed with the first line it printed, to check that it tells the reader what it is doing (a reader
should never wait on a silent cell).
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TIMEOUT_S = 1200
SLOW_CELL_S = 30.0


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` run in a fresh kernel, in its own folder; each code cell's seconds in its metadata."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=TIMEOUT_S, kernel_name="python3", record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return nb


def slow_cells(nb: nbformat.NotebookNode) -> list[tuple[int, float, str]]:
    """``(cell index, seconds, the first line it printed)`` for every code cell slower than SLOW_CELL_S; drops the
    timing metadata, so that stored notebooks do not change with every run."""
    slow = []
    for index, cell in enumerate(nb.cells):
        timing = cell.metadata.pop("execution", None)
        if cell.cell_type != "code" or not timing or "shell.execute_reply" not in timing:
            continue
        seconds = (datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                   - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
        text = "".join(str(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        if seconds > SLOW_CELL_S:
            slow.append((index, seconds, text.strip().splitlines()[0] if text.strip() else ""))
    return slow


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
        slow = slow_cells(nb)
        target = (args.out / path.name) if args.out else path
        partial = target.with_suffix(".ipynb.partial")
        nbformat.write(nb, partial)
        partial.replace(target)  # a stop never leaves a half-written notebook
        print(f" ({time.perf_counter() - started:.0f} s)", flush=True)
        for index, seconds, first_line in slow:
            print(f"  cell {index}: {seconds:.0f} s, first printed: {first_line[:80] or 'NOTHING (a silent cell)'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
