"""Where the studies' results live, and how a typed result goes to JSON and back.

Every study writes its summary as a frozen dataclass; :func:`write` turns it into JSON and :func:`read`
builds the same dataclass from that JSON, so the code that writes a result is the code that reads it.
Files go to a ``.partial`` name first and are renamed when whole: a stopped run never leaves a
half-written file that a resumed run would trust.

``results/`` sits at the repository's root. In a checkout it is read from there; an installed package
without the checkout downloads each committed file once from the repository into the cache folder.
"""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from qa_helpers.config import cache_dir
from qa_helpers.downloads import download

__all__ = ["RESULTS", "from_json", "read", "read_json", "result_path", "to_json", "write", "write_json"]

RESULTS = Path(__file__).resolve().parents[1] / "results"  # in a checkout
T = TypeVar("T")


@lru_cache(maxsize=1)
def _repository_raw_url() -> str:
    """Where the committed files are served, from the package's own Repository URL (pyproject.toml)."""
    urls = dict(entry.split(", ", 1) for entry in metadata.metadata("qa_helpers").get_all("Project-URL") or [])
    return urls["Repository"].replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main"


def result_path(relative: str) -> Path:
    """The local path of ``results/<relative>``: the checkout's file, else a downloaded copy."""
    local = RESULTS / relative
    if local.exists():
        return local
    return download(
        f"{_repository_raw_url()}/results/{relative}", cache_dir() / "results" / relative,
        "Clone the repository (its results/ folder holds the committed runs), or run the study that writes it.",
    )


def read_json(relative: str) -> Any:
    """A committed JSON file under ``results/``."""
    return json.loads(result_path(relative).read_text(encoding="utf-8"))


def write_json(path: Path, data: Any, indent: int | None = 1) -> None:
    """Write ``data`` as JSON, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=indent), encoding="utf-8")
    partial.replace(path)


def to_json(value: Any) -> Any:
    """A dataclass (nested in lists and dicts as deep as it likes) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def from_json(kind: Any, value: Any) -> Any:
    """``value`` (plain JSON) as ``kind``: dataclasses, lists, tuples, dicts and optionals built by their type hints."""
    if value is None:
        return None
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in args if arg is not type(None)]  # X | None: the one non-None type
        return from_json(inner, value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        unknown = set(value) - {f.name for f in dataclasses.fields(kind)}
        if unknown:
            raise ValueError(f"{kind.__name__} has no field {sorted(unknown)}: a result written by other code")
        return kind(**{name: from_json(hints[name], item) for name, item in value.items()})
    if origin is list:
        return [from_json(args[0], item) for item in value]
    if origin is tuple:
        return tuple(from_json(args[0], item) for item in value) if args[1:] == (...,) else tuple(
            from_json(arg, item) for arg, item in zip(args, value))
    if origin is dict:
        return {key: from_json(args[1], item) for key, item in value.items()}
    return value


def write(path: Path, result: Any, indent: int | None = 1) -> None:
    """A typed result, as JSON, atomically."""
    write_json(path, to_json(result), indent)


def read(kind: type[T], relative: str | Path) -> T:
    """The typed result in ``results/<relative>`` (a committed run), or in the file ``relative`` names (a local run)."""
    path = relative if isinstance(relative, Path) else result_path(relative)
    return typing.cast(T, from_json(kind, json.loads(path.read_text(encoding="utf-8"))))
