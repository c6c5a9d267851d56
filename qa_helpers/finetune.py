"""Fine-tune multilingual BERT for extractive QA on XQuAD (the driver with its command line: ``python -m studies finetune``).

The recipe, step by step (notebook 10 walks through it):

1. Data: XQuAD in all 11 languages, split by article (:data:`qa_helpers.xquad.SPLITS`): the
   first 40 articles train, the last 8 are held out in every language.
2. Windows and labels: each question + context becomes windows of ``max_seq_len`` pieces with
   ``doc_stride`` shared (the same :func:`~qa_helpers.engines.transformers_engine.encode` that answers
   questions); the gold answer's characters are mapped to its first and last piece through the
   offsets; a window that does not contain the whole answer is labelled [CLS] (position 0).
3. Model: pretrained mBERT (:mod:`qa_helpers.models.mbert`) with a fresh QA head, trained with LoRA
   (``peft``): small low-rank updates of every linear layer plus the QA head, so what is trained
   fits in a few MB and can be committed.
4. Loop: AdamW, linear warm-up and decay, batches of similar length (less padding), bf16
   autocast where the CPU or GPU supports it, a fixed seed. A checkpoint is written every few
   minutes (atomically); ``--resume`` continues from it after a stop, with the same batches.
5. Result: ``adapter/`` (the LoRA weights) and ``record.json`` (settings, split, steps, time,
   machine, loss curve, and the scores that the caller's ``scorer`` gives), plus ``loss.csv`` and ``loss.png``.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import quiet_transformers
from .engines.transformers_engine import STRIDE, WINDOW_LENGTH, encode
from .examples import LANGUAGES
from .machine import machine_record
from .models.mbert import ensure_mbert, pretrained_qa_model
from .models.repro import adapter_sha256
from .results import context_mask
from .validation import InputError
from .xquad import SPLITS, XQuADExample, load_xquad

__all__ = [
    "FinetuneError", "Scorer", "TrainConfig", "TrainingWindow", "base_folder", "build_model", "finetune",
    "label_windows", "scored_split", "training_windows",
]

CHECKPOINT, ADAPTER, RECORD = "checkpoint", "adapter", "record.json"
Scorer = Callable[[Any], dict]  # the model being trained -> its scores on the run's scored split (studies.training gives one)


class FinetuneError(RuntimeError):
    """A training run cannot start or go on; the message names the fix."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the trained weights (recorded next to them)."""

    base: str = "mbert"  # the pretrained model: 'mbert', or a transformers folder
    languages: tuple[str, ...] = LANGUAGES
    max_seq_len: int = WINDOW_LENGTH
    doc_stride: int = STRIDE
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0  # dropout masks cost a third of a CPU step (profiled); hidden dropout stays 0.1
    attention_dropout: float = 0.0  # likewise for the attention probabilities
    target_modules: tuple[str, ...] = ("query", "key", "value", "dense")
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    batch_size: int = 16
    epochs: float = 1.0
    max_steps: int | None = None  # stop early (smoke runs); the schedule still spans ``epochs``
    limit_per_language: int | None = None  # train on the first N questions of each language (smoke runs)
    seed: int = 20261125
    precision: str = "auto"  # 'auto' (bf16 where supported), 'bf16' or 'fp32'
    checkpoint_minutes: float = 10.0
    split: str = "train"  # the articles trained on: 'train' (1-40), or 'fit' (1-36) when recipes are compared on 'dev'
    lora_layers: tuple[int, ...] | None = None  # the encoder layers that get LoRA (None: all 12)
    warm_start: str | None = None  # an adapter folder whose weights the run starts from (same rank and modules)


@dataclass(frozen=True)
class TrainingWindow:
    """One model input with its labels: the answer's first and last piece, or 0 and 0 ([CLS])."""

    input_ids: list[int]
    token_type_ids: list[int]
    start: int
    end: int
    example_id: str = field(default="", compare=False)


def label_windows(tokenizer, example: XQuADExample, max_seq_len: int, doc_stride: int) -> list[TrainingWindow]:
    """The windows of one question, each labelled with the answer's piece positions."""
    windows = encode(tokenizer, example.question, example.context, max_seq_len, doc_stride)
    answer_start = example.answer_starts[0]
    answer_end = answer_start + len(example.answers[0])  # exclusive, in characters
    labelled = []
    for w, offsets in enumerate(windows.offsets):
        context_pieces = np.flatnonzero(context_mask(windows.sequence_ids[w])).tolist()
        start = end = 0
        if offsets[context_pieces[0]][0] <= answer_start and offsets[context_pieces[-1]][1] >= answer_end:
            start = next(i for i in context_pieces if offsets[i][1] > answer_start)
            end = next(i for i in reversed(context_pieces) if offsets[i][0] < answer_end)
        labelled.append(
            TrainingWindow(windows.input_ids[w], windows.token_type_ids[w], start, end, f"{example.lang}/{example.id}")
        )
    return labelled


def training_windows(tokenizer, config: TrainConfig) -> list[TrainingWindow]:
    """Every labelled window of the training articles, languages in ``config.languages`` order."""
    windows = []
    for lang in config.languages:
        for example in load_xquad(lang, config.limit_per_language, split=config.split):
            try:
                windows += label_windows(tokenizer, example, config.max_seq_len, config.doc_stride)
            except InputError:  # a question too long for a window cannot be trained on
                continue
    return windows


def batch_order(windows: list[TrainingWindow], config: TrainConfig) -> list[list[int]]:
    """Batches of window indices for the whole run, fixed by the seed.

    Each epoch shuffles the windows, sorts chunks of 50 batches by length (so a batch pads
    little) and shuffles the batches again, so lengths do not drift through the epoch.
    """
    rng = random.Random(config.seed)
    order: list[list[int]] = []
    total = math.ceil(config.epochs * len(windows) / config.batch_size)
    while len(order) < total:
        ids = list(range(len(windows)))
        rng.shuffle(ids)
        chunk = 50 * config.batch_size
        batches = []
        for lo in range(0, len(ids), chunk):
            part = sorted(ids[lo : lo + chunk], key=lambda i: len(windows[i].input_ids))
            batches += [part[k : k + config.batch_size] for k in range(0, len(part), config.batch_size)]
        rng.shuffle(batches)
        order += batches
    return order[:total]


def _fingerprint(windows: list[TrainingWindow], config: TrainConfig) -> str:
    """Identifies the data and settings a checkpoint belongs to, so --resume cannot mix runs."""
    settings = asdict(config) | {"checkpoint_minutes": None, "max_steps": None,
                                 "warm_start": adapter_sha256(Path(config.warm_start)) if config.warm_start else None}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for w in windows:
        digest.update(np.asarray(w.input_ids + [w.start, w.end], dtype=np.int32).tobytes())
    return digest.hexdigest()[:16]


def _device_and_precision(config: TrainConfig):
    import torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if config.precision == "fp32":
        return device, None
    supported = torch.cuda.is_bf16_supported() if device.type == "cuda" else _cpu_has_bf16()
    if config.precision == "bf16" and not supported:
        raise FinetuneError(f"--precision bf16 was asked for, but this {device.type} has no bf16 support; use fp32.")
    return device, (torch.bfloat16 if supported else None)


def _cpu_has_bf16() -> bool:
    """AVX-512 BF16 or AMX: the CPUs on which bf16 autocast is faster than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def base_folder(config: TrainConfig) -> str:
    """The pretrained model's folder: the converted mBERT (built on first use) or ``config.base``."""
    return str(ensure_mbert()) if config.base == "mbert" else config.base


def build_model(config: TrainConfig):
    """The pretrained encoder with a new QA head, wrapped with LoRA adapters; and its folder."""
    import warnings

    import torch
    from peft import LoraConfig, get_peft_model

    quiet_transformers()
    base = base_folder(config)
    torch.manual_seed(config.seed)  # the QA head's and LoRA's initial weights
    model = pretrained_qa_model(base, attention_probs_dropout_prob=config.attention_dropout)
    # No ``task_type``: peft's question-answering wrapper (0.21) drops ``token_type_ids`` on the
    # way to the model, so question and context would share one segment in training but not in use.
    lora = LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules), modules_to_save=["qa_outputs"],
        layers_to_transform=list(config.lora_layers) if config.lora_layers is not None else None,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing", category=FutureWarning)
        model = get_peft_model(model, lora)
    if config.warm_start:
        _load_adapter_weights(model, Path(config.warm_start) / "adapter_model.safetensors")
    return model, base


def _load_adapter_weights(model, weights: Path, device: str = "cpu") -> None:
    """Set the LoRA and QA-head weights from a saved adapter; refuses one of another shape."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    if not weights.exists():
        raise FinetuneError(f"no adapter weights at {weights}: --warm-start takes a folder with adapter_model.safetensors")
    try:
        result = set_peft_model_state_dict(model, load_file(weights, device=device))
    except RuntimeError as err:  # a tensor of another shape: another rank
        raise FinetuneError(f"{weights} does not fit this run's LoRA settings (rank, modules, layers): {err}") from None
    unexpected = [key for key in getattr(result, "unexpected_keys", []) if "lora_" in key or "qa_outputs" in key]
    if unexpected:
        raise FinetuneError(f"{weights} does not fit this run's LoRA settings (rank, modules, layers): {unexpected[:3]} ...")


def _collate(windows: list[TrainingWindow], device):
    import torch

    width = max(len(w.input_ids) for w in windows)
    ids = torch.zeros(len(windows), width, dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for k, w in enumerate(windows):
        n = len(w.input_ids)
        ids[k, :n], types[k, :n], mask[k, :n] = torch.tensor(w.input_ids), torch.tensor(w.token_type_ids), 1
    return {
        "input_ids": ids.to(device), "token_type_ids": types.to(device), "attention_mask": mask.to(device),
        "start_positions": torch.tensor([w.start for w in windows], device=device),
        "end_positions": torch.tensor([w.end for w in windows], device=device),
    }


def _save_checkpoint(out: Path, model, optimizer, scheduler, state: dict) -> None:
    """Write the checkpoint next to the old one and swap: a stop at any moment leaves one whole
    checkpoint, and a folder without its ``state.json`` (written last) is never trusted."""
    import torch

    staging, old = out / f"{CHECKPOINT}.partial", out / f"{CHECKPOINT}.old"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    torch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state()},
        staging / "training_state.pt",
    )
    (staging / "state.json").write_text(json.dumps(state, indent=1))
    if (out / CHECKPOINT).exists():
        (out / CHECKPOINT).rename(old)
    staging.rename(out / CHECKPOINT)
    shutil.rmtree(old, ignore_errors=True)


def _load_checkpoint(out: Path) -> Path | None:
    """The last whole checkpoint (after a stop during the swap, the previous one)."""
    for name in (CHECKPOINT, f"{CHECKPOINT}.old"):
        if (out / name / "state.json").exists():
            return out / name
    return None


def _write_loss_curve(out: Path, losses: list[tuple[int, float, float]]) -> None:
    with open(out / "loss.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "loss", "learning_rate"])
        writer.writerows(losses)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, values = [s for s, _, _ in losses], [v for _, v, _ in losses]
    smooth = np.convolve(values, np.ones(20) / 20, mode="valid") if len(values) >= 20 else values
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(steps, values, color="0.75", linewidth=0.8, label="loss per batch")
    ax.plot(steps[len(steps) - len(smooth):], smooth, color="C0", label="mean of 20 batches")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (start + end cross-entropy) / 2")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=110)
    plt.close(fig)


def scored_split(config: TrainConfig) -> str:
    """Where a run is scored: a run on the 'fit' articles on 'dev' (choosing a recipe), any other on 'heldout'."""
    return "dev" if config.split == "fit" else "heldout"


def finetune(
    config: TrainConfig, out: Path, *, resume: bool = False, progress: bool = True, scorer: Scorer | None = None,
    command: str | None = None, curve_every: float | None = None,
) -> dict:
    """Train (or go on training) a LoRA adapter; returns the run's record.

    ``out`` receives ``checkpoint/`` while training, then ``adapter/``, ``record.json``,
    ``loss.csv`` and ``loss.png``. Without ``resume``, a folder that already holds a run is
    refused rather than overwritten. ``scorer`` scores the finished model on its :func:`scored_split`
    (kept in the record), and with ``curve_every`` (in epochs) also that often while it trains: the
    learning curve.
    """
    quiet_transformers()
    import torch
    from tqdm import tqdm
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    out = Path(out)
    if curve_every and scorer is None:
        raise FinetuneError("a learning curve (curve_every) needs a scorer to score the model with")
    checkpoint = _load_checkpoint(out) if out.exists() else None
    if not resume and (checkpoint or (out / ADAPTER).exists()):
        raise FinetuneError(f"{out} already holds a training run; pass --resume to go on with it, or choose another --out.")
    if resume and (out / ADAPTER).exists() and (out / RECORD).exists():
        return json.loads((out / RECORD).read_text())  # finished already
    random.seed(config.seed)
    np.random.seed(config.seed % 2**32)
    model, base = build_model(config)
    tokenizer = AutoTokenizer.from_pretrained(base)
    windows = training_windows(tokenizer, config)
    if not windows:
        raise FinetuneError("no training windows: check --langs and the XQuAD files (QA_XQUAD_DIR).")
    order = batch_order(windows, config)
    fingerprint = _fingerprint(windows, config)
    device, autocast_dtype = _device_and_precision(config)
    model.to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * len(order)), len(order))
    state: dict[str, Any] = {"step": 0, "seconds": 0.0, "losses": [], "curve": [], "fingerprint": fingerprint}
    steps_per_epoch = len(windows) / config.batch_size
    curve_steps = {round(k * curve_every * steps_per_epoch) for k in range(1, int(config.epochs / curve_every) + 1)} if curve_every else set()
    if resume and checkpoint is not None:
        saved = json.loads((checkpoint / "state.json").read_text())
        if saved["fingerprint"] != fingerprint:
            raise FinetuneError(
                f"The checkpoint in {checkpoint} was made with other data or settings; resume with the same "
                "options, or choose another --out."
            )
        _load_adapter_weights(model, checkpoint / "adapter_model.safetensors", str(device))
        training_state = torch.load(checkpoint / "training_state.pt", map_location=device, weights_only=False)
        optimizer.load_state_dict(training_state["optimizer"])
        scheduler.load_state_dict(training_state["scheduler"])
        torch.set_rng_state(training_state["torch_rng"])
        state = saved
        state.setdefault("curve", [])
    out.mkdir(parents=True, exist_ok=True)
    stop_at = min(len(order), config.max_steps or len(order))
    model.train()
    bar = tqdm(total=stop_at, initial=state["step"], desc="fine-tuning", unit="step", disable=not progress, mininterval=5)
    last_save, sitting_start, seconds_before = time.monotonic(), time.monotonic(), state["seconds"]
    while state["step"] < stop_at:
        batch = _collate([windows[i] for i in order[state["step"]]], device)
        with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        state["step"] += 1
        state["seconds"] = seconds_before + time.monotonic() - sitting_start
        state["losses"].append((state["step"], round(loss.item(), 5), scheduler.get_last_lr()[0]))
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean([v for _, v, _ in state['losses'][-20:]]):.3f}")
        scored = state["step"] in curve_steps or (curve_every is not None and state["step"] == len(order))
        if scored and scorer is not None and all(point["step"] != state["step"] for point in state["curve"]):
            sitting_seconds = time.monotonic()
            model.eval()
            state["curve"].append({"step": state["step"], "epoch": round(state["step"] / steps_per_epoch, 3),
                                   "train_seconds": round(state["seconds"], 1),
                                   scored_split(config): scorer(model)})
            model.train()
            sitting_start += time.monotonic() - sitting_seconds  # scoring is not training time
            bar.write(f"step {state['step']}: {scored_split(config)} F1 {state['curve'][-1][scored_split(config)]['mean']['squad_f1']}")
        if scored or time.monotonic() - last_save > 60 * config.checkpoint_minutes or state["step"] == stop_at:
            _save_checkpoint(out, model, optimizer, scheduler, state)
            last_save = time.monotonic()
    bar.close()
    if stop_at < len(order):  # a smoke run that stops early keeps its checkpoint and writes no adapter
        return {"config": asdict(config), "steps": state["step"], "of_steps": len(order), "finished": False}
    return _finish(out, model, config, state, windows, len(order), scorer, command)


def _finish(
    out: Path, model, config: TrainConfig, state: dict, windows: list, total_steps: int, scorer: Scorer | None,
    command: str | None,
) -> dict:
    """Write the adapter, the loss curve and the record, with the ``scorer``'s scores if there is one."""
    staging = out / f"{ADAPTER}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    for peft_config in model.peft_config.values():  # 'mbert', not this machine's cache path
        peft_config.base_model_name_or_path = config.base
    model.save_pretrained(staging)
    (staging / "README.md").unlink(missing_ok=True)  # peft's blank model card; record.json says it all
    _write_loss_curve(out, state["losses"])
    record = {
        "config": asdict(config),
        "split": {name: [r.start, r.stop] for name, r in SPLITS.items()} | {"unit": "articles of XQuAD in file order"},
        "training_windows": len(windows),
        "training_questions": len({w.example_id for w in windows}),
        "steps": state["step"],
        "of_steps": total_steps,
        "train_seconds": round(state["seconds"], 1),
        "final_loss_mean_of_last_50": round(float(np.mean([v for _, v, _ in state["losses"][-50:]])), 4),
        "machine": machine_record(),
        "command": command,
        "curve": state.get("curve", []),
    }
    if config.warm_start:
        record["warm_start_sha256"] = adapter_sha256(Path(config.warm_start))
    if scorer is not None:
        curve = state.get("curve", [])
        finished_point = curve[-1][scored_split(config)] if curve and curve[-1]["step"] == state["step"] else None
        record[scored_split(config)] = finished_point or scorer(model)
    shutil.rmtree(out / ADAPTER, ignore_errors=True)
    staging.rename(out / ADAPTER)
    record["adapter_sha256"] = adapter_sha256(out / ADAPTER)
    (out / RECORD).write_text(json.dumps(record, indent=1, ensure_ascii=False))
    shutil.rmtree(out / CHECKPOINT, ignore_errors=True)
    return record
