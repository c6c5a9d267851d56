"""Every setting the package reads from the environment, read here and nowhere else.

A leaf: it imports nothing from the package, so anything can import it without a cycle. Each
function reads its variable when called, so a notebook that sets one and calls again sees it.

==========================  ==================================================================
``QA_MODEL``                which model: real (default), repro, tiny, auto or a folder
``QA_PRECISION``            fp32 (default), bf16 or int8
``QA_CACHE``                built models, jars, downloads (default ~/.cache/qa_helpers)
``QA_XQUAD_DIR``            a folder holding ``xquad.<lang>.json`` (else they are downloaded)
``QA_SPARK_JARS``           full or onnx-only: which Spark NLP jars to resolve (default: full, else onnx-only)
``QA_SPARK_MASTER``         the Spark master (default ``local[*]``)
``QA_SPARK_EXECUTOR_MEMORY``  memory per executor on a cluster (default 2g)
``QA_ONNX_THREADS``         threads of each ONNX Runtime session in Spark NLP (default: one per core)
``QA_ALLOW_PICKLE``         1: let transformers load pickle weights (they can run code)
``QA_TRUST_REMOTE_CODE``    1: let transformers run a model's own code
==========================  ==================================================================
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MAX_POSITIONS", "SparkSettings", "allow_pickle", "cache_dir", "model_name", "precision_name", "quiet_transformers",
    "spark_jars_mode", "spark_settings", "trust_remote_code", "xquad_dir",
]

MAX_POSITIONS = 512  # BERT's position embeddings: the longest input the model takes (Spark NLP's maxSentenceLength)


def _opted_in(variable: str) -> bool:
    return os.environ.get(variable, "").lower() in ("1", "true", "yes")


def cache_dir() -> Path:
    """Where built models and resolution records live (``QA_CACHE``, default ~/.cache/qa_helpers)."""
    return Path(os.environ.get("QA_CACHE", Path.home() / ".cache" / "qa_helpers")).expanduser()


def model_name() -> str:
    """The model asked for when a call names none (``QA_MODEL``, default ``real``)."""
    return os.environ.get("QA_MODEL") or "real"


def precision_name() -> str:
    """The precision asked for when a call names none (``QA_PRECISION``, default ``fp32``)."""
    return os.environ.get("QA_PRECISION") or "fp32"


def xquad_dir() -> Path | None:
    """A local folder of XQuAD files (``QA_XQUAD_DIR``), or None to download them."""
    local = os.environ.get("QA_XQUAD_DIR")
    return Path(local).expanduser() if local else None


def spark_jars_mode() -> str | None:
    """``QA_SPARK_JARS``: 'full' or 'onnx-only' forces the jar set; None lets resolution choose."""
    forced = os.environ.get("QA_SPARK_JARS") or None
    if forced not in (None, "full", "onnx-only"):
        raise ValueError(f"QA_SPARK_JARS must be 'full' or 'onnx-only', not {forced!r}")
    return forced


def allow_pickle() -> bool:
    """``QA_ALLOW_PICKLE=1``: transformers may load pickle weights (which can run code when loaded)."""
    return _opted_in("QA_ALLOW_PICKLE")


def trust_remote_code() -> bool:
    """``QA_TRUST_REMOTE_CODE=1``: transformers may run a model repository's own code."""
    return _opted_in("QA_TRUST_REMOTE_CODE")


@dataclass(frozen=True)
class SparkSettings:
    """How the Spark session starts: where it runs, and how much each executor and ONNX session may take."""

    master: str = "local[*]"
    executor_memory: str = "2g"
    onnx_threads: int = os.cpu_count() or 1  # Spark NLP's default, 6, oversubscribes a small machine


def spark_settings() -> SparkSettings:
    """The session's settings from ``QA_SPARK_MASTER``, ``QA_SPARK_EXECUTOR_MEMORY`` and ``QA_ONNX_THREADS``."""
    default = SparkSettings()
    return SparkSettings(
        master=os.environ.get("QA_SPARK_MASTER") or default.master,
        executor_memory=os.environ.get("QA_SPARK_EXECUTOR_MEMORY") or default.executor_memory,
        onnx_threads=int(os.environ.get("QA_ONNX_THREADS") or default.onnx_threads),
    )


def quiet_transformers() -> None:
    """Keep progress bars ("Loading weights") and tqdm's widget warning out of notebook outputs."""
    warnings.filterwarnings("ignore", message="IProgress not found")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
