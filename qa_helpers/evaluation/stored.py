"""Results that the project's long runs wrote and committed, read (and written) in one place.

``make eval-full`` and ``make bench`` write to ``results/`` at the repository's root, outside the
installed package. In a checkout (``make``, a clone, an editable install) they are read from there;
an installed package without the checkout downloads each file once from the repository into the
cache folder.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..config import cache_dir
from ..downloads import download

__all__ = ["RESULTS", "read_json", "repository_raw_url", "result_path", "write_json"]

RESULTS = Path(__file__).resolve().parents[2] / "results"  # in a checkout


@lru_cache(maxsize=1)
def repository_raw_url() -> str:
    """Where the committed files are served, from the package's own Repository URL (pyproject.toml)."""
    urls = dict(entry.split(", ", 1) for entry in metadata.metadata("qa_helpers").get_all("Project-URL") or [])
    return urls["Repository"].replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main"


def result_path(relative: str) -> Path:
    """The local path of ``results/<relative>``: the checkout's file, else a downloaded copy."""
    local = RESULTS / relative
    if local.exists():
        return local
    return download(
        f"{repository_raw_url()}/results/{relative}", cache_dir() / "results" / relative,
        "Clone the repository (its results/ folder holds the committed runs), or run the command that writes it.",
    )


def read_json(relative: str) -> dict:
    """A committed JSON result, such as ``evaluation/repro/summary.json``."""
    return json.loads(result_path(relative).read_text(encoding="utf-8"))


def write_json(path: Path, data: dict, indent: int = 0) -> None:
    """Write ``data`` to a ``.partial`` file first and rename it when whole, so that a stopped run never leaves a
    half-written file that a resumed run would trust."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=indent), encoding="utf-8")
    partial.replace(path)
