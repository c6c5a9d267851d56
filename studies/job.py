"""The one resumable job every study runs: answer questions in units (a language in an engine, a path, a
group of layers), one file per unit, written as soon as the unit is done.

A long study (hours on a laptop, a Colab session that times out) must survive a stop. Each unit's file
holds its rows and the run it belongs to; ``resume`` keeps a unit whose file belongs to *the same run*,
defined once here (:func:`run_key`): the same study settings and the same model, by its fingerprint
(name, precision and the sha256 of its adapter), so a retrained model never reuses an old model's answers.
"""
from __future__ import annotations

import argparse
import re
import resource
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from qa_helpers.api import answer_batch
from qa_helpers.examples import LANGUAGES
from qa_helpers.machine import describe_machine
from qa_helpers.models.sources import ModelSource
from qa_helpers.results import RowResult
from qa_helpers.xquad import XQuADExample

from . import stored

__all__ = ["BATCH", "Job", "Unit", "answer_examples", "held_out_run_arguments", "measured_on", "peak_memory_mb", "run_key"]

BATCH = 64  # questions per call of answer_batch (and per progress-bar step)


def run_key(source: ModelSource, **settings: Any) -> dict[str, Any]:
    """What makes two runs the same: the model's fingerprint and the study's settings."""
    return {"model": source.fingerprint, **settings}


@dataclass(frozen=True)
class Unit:
    """One finished unit of a study: its rows, the run it belongs to, and what it cost where."""

    run: dict[str, Any]
    model: str  # the model as a reader reads it (str(source))
    adapter_sha256: str | None
    machine: str
    seconds: float
    memory_mb: dict[str, float]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Job:
    """A study's units in ``out``, named ``<study>.<part>.<part>.json``, for one run."""

    study: str
    out: Path
    source: ModelSource
    settings: dict[str, Any]

    @property
    def run(self) -> dict[str, Any]:
        return run_key(self.source, **self.settings)

    def path(self, *parts: str) -> Path:
        return self.out / ".".join([self.study, *(re.sub(r"[^\w-]+", "-", part).strip("-") for part in parts), "json"])

    def finished(self, *parts: str) -> Unit | None:
        """The unit's file, if it holds this run's result."""
        path = self.path(*parts)
        if not path.exists():
            return None
        unit = stored.read(Unit, path)
        return unit if unit.run == self.run else None

    def unit(self, parts: tuple[str, ...], compute: Callable[[], list[dict[str, Any]]], resume: bool = False) -> Unit:
        """The unit's rows: read back when ``resume`` finds this run's file, else computed, timed and written."""
        earlier = self.finished(*parts) if resume else None
        if earlier is not None:
            return earlier
        started = time.perf_counter()
        rows = compute()
        unit = Unit(run=self.run, model=str(self.source), adapter_sha256=self.source.adapter_sha256, machine=describe_machine(),
                    seconds=time.perf_counter() - started, memory_mb=peak_memory_mb(), rows=rows)
        stored.write(self.path(*parts), unit, indent=0)  # one line per value: thousands of rows stay small
        return unit

    def per_language(
        self, langs: Iterable[str], variants: Iterable[str], examples_for: Callable[[str], list[XQuADExample]],
        rows_for: Callable[[str, list[XQuADExample]], list[dict[str, Any]]], resume: bool = False,
    ) -> dict[tuple[str, str], Unit]:
        """For each language, then each variant (an engine, a benchmark path): ``rows_for(variant, examples)``."""
        units = {}
        for lang in langs:
            examples = examples_for(lang)
            for variant in variants:
                units[variant, lang] = self.unit((variant, lang), partial(rows_for, variant, examples), resume)
        return units


def answer_examples(examples: list[XQuADExample], engine: str, source: ModelSource, progress: bool = True) -> dict[str, RowResult]:
    """Question id -> the engine's whole result for it, answered in batches with a progress bar."""
    rows: dict[str, RowResult] = {}
    bar = tqdm(total=len(examples), desc=f"{engine} {examples[0].lang if examples else ''}", disable=not progress)
    for lo in range(0, len(examples), BATCH):
        chunk = examples[lo : lo + BATCH]
        results = answer_batch([(ex.question, ex.context) for ex in chunk], engine=engine, model=source)
        rows.update((ex.id, row) for ex, row in zip(chunk, results))
        bar.update(len(chunk))
    bar.close()
    return rows


def held_out_run_arguments(parser: argparse.ArgumentParser, out: Path) -> argparse.ArgumentParser:
    """The options of a study over the held-out articles, per language and engine, that resumes."""
    parser.add_argument("--model", help="real, repro, tiny or a folder (default: $QA_MODEL, else real)")
    parser.add_argument("--langs", default=",".join(LANGUAGES), help="comma-separated language codes")
    parser.add_argument("--engines", default="transformers,spark", help="transformers, spark or both")
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--resume", action="store_true", help="keep the units of this run (same model) already in --out")
    return parser


def measured_on(units: Iterable[Unit]) -> list[str]:
    """The machines that computed these units (a resumed run may span several)."""
    return sorted({unit.machine for unit in units})


def peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its JVM (if Spark NLP started one), in MiB.

    The JVM's peak is its high-water mark where the OS reports one (Linux), else its current size.
    """
    import psutil

    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    memory = {"python": peak_rss / (2**20 if sys.platform == "darwin" else 1024)}
    jvms = [p for p in psutil.Process().children(recursive=True) if "java" in p.name()]
    if jvms:
        memory["jvm"] = sum(_high_water_mark(p) for p in jvms) / 2**20
    return memory


def _high_water_mark(process: Any) -> int:
    """Peak resident bytes of a process: VmHWM from /proc where there is one, else the current RSS."""
    try:
        peak = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{process.pid}/status").read_text())
    except OSError:
        peak = None
    return int(peak[1]) * 1024 if peak else int(process.memory_info().rss)
