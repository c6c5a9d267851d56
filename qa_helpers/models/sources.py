"""Which model the tutorial runs, resolved in one place.

``QA_MODEL`` (or the ``model=`` argument of every entry point) chooses:

- ``real`` (default): ``mrm8488/bert-multi-cased-finetuned-xquadv1`` from the Hugging Face
  hub for transformers, and ``bert_qa_bert_multi_cased_finetuned_xquadv1`` (``xx``) from the
  Spark NLP models hub. Needs internet the first time; both are cached afterwards.
- a folder: a transformers ``save_pretrained`` folder, a Spark NLP model folder (unzipped
  from the model card's Download link), an ONNX export (``model.onnx`` + ``assets/vocab.txt``,
  imported into Spark NLP on first use), or a folder holding ``transformers/``, ``spark/``
  and/or ``onnx/`` subfolders (the tiny model's cache is one).
- ``repro``: this project's reproduction of the real model, built offline from Google's
  pretrained mBERT (Maven Central) and the LoRA adapter the project trained on XQuAD
  (:mod:`qa_helpers.models.repro`). A trained model: its answers make sense.
- ``tiny``: the small random model that :mod:`qa_helpers.models.random_models` builds offline
  for tests.
- ``auto``: the real model when the hub answers, else ``repro`` when it can be built, else
  ``tiny``; one printed line says when it falls back to ``repro``, a loud warning when to ``tiny``.

``QA_PRECISION`` (or ``precision=``) runs any of them in fp32 (default), bf16 or int8
(:mod:`qa_helpers.models.precision`).
"""
from __future__ import annotations

import socket
import warnings
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from ..config import model_name
from . import random_models, repro
from .precision import check_precision

__all__ = [
    "HUB_ID", "OFFLINE_FIX", "REAL", "SPARK_NLP_LANG", "SPARK_NLP_NAME", "describe", "hub_reachable",
    "ModelLoadError", "ModelSource", "offline_source", "repro_source", "resolve_model",
]

HUB_ID = "mrm8488/bert-multi-cased-finetuned-xquadv1"
SPARK_NLP_NAME = "bert_qa_bert_multi_cased_finetuned_xquadv1"
SPARK_NLP_LANG = "xx"


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says why and what to do instead."""


OFFLINE_FIX = (
    "Without internet, use QA_MODEL=repro (this project's trained reproduction, built offline from "
    "Maven Central), QA_MODEL=tiny (the fast random test model), or point QA_MODEL at a local folder "
    "(a transformers save_pretrained folder, a Spark NLP model folder, or the folder that "
    "`python -m qa_helpers build-model` prints)."
)


@dataclass(frozen=True)
class ModelSource:
    """Where each engine loads the model from. ``None`` means "not available to that engine"."""

    name: str
    description: str
    transformers: str | None  # hub id or save_pretrained folder
    spark: str | None  # Spark NLP model folder, or SPARK_NLP_NAME for the pretrained download
    onnx: str | None = None  # ONNX export to import into Spark NLP when ``spark`` is missing
    precision: str = "fp32"  # fp32, bf16 or int8 (models.precision); the fields above are the fp32 model's
    adapter_sha256: str | None = None  # a trained model's adapter (repro): the sha256 of its weights

    @property
    def is_real(self) -> bool:
        return self.name == "real"

    @property
    def fingerprint(self) -> str:
        """What makes two runs the same model: its name and precision, and its adapter's weights where it has one."""
        return f"{self.name}, {self.precision}" + (f", adapter {self.adapter_sha256}" if self.adapter_sha256 else "")

    def __str__(self) -> str:
        return f"{self.name}: {self.description}" + (f" [run in {self.precision}]" if self.precision != "fp32" else "")


REAL = ModelSource(
    name="real",
    description=f"{HUB_ID} (transformers) / {SPARK_NLP_NAME} {SPARK_NLP_LANG} (Spark NLP)",
    transformers=HUB_ID,
    spark=SPARK_NLP_NAME,
)


def _folder_source(path: Path, name: str | None = None, description: str | None = None) -> ModelSource:
    if not path.is_dir():
        raise FileNotFoundError(
            f"QA_MODEL={str(path)!r} is neither 'real', 'repro', 'tiny', 'auto' nor an existing folder."
        )

    def kind(folder: Path) -> str | None:
        if (folder / "config.json").exists():
            return "transformers"
        if (folder / "metadata").is_dir():
            return "spark"
        if (folder / "model.onnx").exists() and (folder / "assets" / "vocab.txt").exists():
            return "onnx"
        return None

    found = {k: str(path) for k in [kind(path)] if k}
    for sub in ("transformers", "spark", "onnx"):
        if kind(path / sub) == sub:
            found.setdefault(sub, str(path / sub))
    if not found:
        raise FileNotFoundError(
            f"{path} holds no model: expected a transformers folder (config.json), a Spark NLP "
            "model folder (metadata/), an ONNX export (model.onnx + assets/vocab.txt), or "
            "subfolders transformers/, spark/, onnx/."
        )
    return ModelSource(
        name=name or str(path),
        description=description or f"local folder {path} ({', '.join(sorted(found))})",
        transformers=found.get("transformers"),
        spark=found.get("spark") or (str(path / "spark") if "onnx" in found else None),
        onnx=found.get("onnx"),
    )


def offline_source(profile: str) -> ModelSource:
    """The offline random model of ``profile`` ('tiny'), built on first use."""
    folder = random_models.ensure_built(profile)
    return _folder_source(folder, profile, random_models.DESCRIPTIONS[profile])


def repro_source() -> ModelSource:
    """The reproduced model (mBERT + the committed adapter), built on first use."""
    return replace(_folder_source(repro.ensure_repro(), "repro", repro.describe_repro()), adapter_sha256=repro.adapter_sha256())


def _loud(message: str) -> None:
    warnings.warn("\n" + "!" * 72 + "\n" + message + "\n" + "!" * 72, stacklevel=4)


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Can the real model's config be fetched, or is it already in the local cache?

    One short, silent try: a machine without internet learns it in at most ``timeout_s`` seconds, with none of
    the retries and messages a download attempt prints.
    """
    from huggingface_hub import constants, hf_hub_download, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(HUB_ID, "config.json"), str):
        return True
    endpoint = urlparse(constants.ENDPOINT)
    if constants.HF_HUB_OFFLINE or endpoint.hostname is None:
        return False
    try:
        socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=timeout_s).close()
        hf_hub_download(HUB_ID, "config.json", etag_timeout=timeout_s)
        return True
    except Exception:  # offline, DNS failure, proxy, rate limit: all mean "not now"
        return False


@cache
def _resolve(spec: str) -> ModelSource:
    if spec == "real":
        return REAL
    if spec in random_models.PROFILES:
        return offline_source(spec)
    if spec == "repro":
        return repro_source()
    if spec == "auto":
        if hub_reachable():
            return REAL
        try:
            source = repro_source()
        except Exception as err:  # no adapter, Maven out of reach, disk full: all mean "not here"
            _loud(
                f"QA_MODEL=auto: the Hugging Face hub is out of reach and the offline reproduction could not be\n"
                f"built ({type(err).__name__}: {err}),\nso the TINY RANDOM TEST MODEL is used. Its answers are "
                "meaningless. Set QA_MODEL=real with\ninternet, or point QA_MODEL at a local model folder."
            )
            return offline_source("tiny")
        print("QA_MODEL=auto: the Hugging Face hub is out of reach, so the offline reproduction (repro) answers.")
        return source
    return _folder_source(Path(spec).expanduser().resolve())


def resolve_model(model: str | ModelSource | None = None, precision: str | None = None) -> ModelSource:
    """The model to use: the argument, else ``$QA_MODEL``, else ``real``; in ``precision``, else
    ``$QA_PRECISION``, else fp32 (a :class:`ModelSource` passed in keeps its own unless ``precision`` is given)."""
    if isinstance(model, ModelSource):
        return model if precision is None else replace(model, precision=check_precision(precision))
    return replace(_resolve(model or model_name()), precision=check_precision(precision))


def describe(model: str | ModelSource | None = None) -> str:
    """One line naming the active model, printed at the top of every notebook and CLI run."""
    return f"Active model -> {resolve_model(model)}"
