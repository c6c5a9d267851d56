"""One way to download a file: to a ``.partial`` name first, renamed when whole, so that a stopped
download never leaves a file that a later run would trust."""
from __future__ import annotations

import urllib.request
from pathlib import Path

__all__ = ["download"]


def download(url: str, path: Path, fix: str) -> Path:
    """``path``, downloaded from ``url`` unless it is already there; ``fix`` ends the error message."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        urllib.request.urlretrieve(url, partial)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise FileNotFoundError(f"Could not download {url}: {err}. {fix}") from err
    partial.rename(path)
    return path
