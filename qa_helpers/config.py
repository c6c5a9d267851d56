"""Settings every module may read: the cache folder, opt-in switches, quiet transformers, model limits.

A leaf: it imports nothing from the package, so anything can import it without a cycle.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

__all__ = ["MAX_POSITIONS", "cache_dir", "opted_in", "quiet_transformers"]

MAX_POSITIONS = 512  # BERT's position embeddings: the longest input the model takes (Spark NLP's maxSentenceLength)


def cache_dir() -> Path:
    """Where built models and resolution records live (``QA_CACHE``, default ~/.cache/qa_helpers)."""
    return Path(os.environ.get("QA_CACHE", Path.home() / ".cache" / "qa_helpers")).expanduser()


def opted_in(variable: str) -> bool:
    """Is an opt-in switch such as ``QA_ALLOW_PICKLE`` set to 1, true or yes?"""
    return os.environ.get(variable, "").lower() in ("1", "true", "yes")


def quiet_transformers() -> None:
    """Keep progress bars ("Loading weights") and tqdm's widget warning out of notebook outputs."""
    warnings.filterwarnings("ignore", message="IProgress not found")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
