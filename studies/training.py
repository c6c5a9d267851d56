"""Train the adapter behind ``repro`` and score it: ``python -m studies finetune``.

The recipe itself (windows, labels, LoRA, the loop, checkpoints) is :mod:`qa_helpers.finetune`, the one notebook 10
builds. This driver adds what a run needs around it: the command line, and the scores of the model on its
split (``dev`` when choosing a recipe on articles 1-36, else the held-out articles 41-48), at the end and,
with ``--curve-every``, while it trains (the learning curve).
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from qa_helpers.config import quiet_transformers
from qa_helpers.finetune import FinetuneError, Scorer, TrainConfig, base_folder, finetune, scored_split
from qa_helpers.metrics import MODES
from qa_helpers.models.repro import committed_record
from qa_helpers.models.sources import resolve_model
from qa_helpers.xquad import load_xquad

from . import stored
from .evaluation import Scores, scores
from .job import answer_examples
from .loader import load
from .published import PUBLISHED_MBERT_ZERO_SHOT, published_mean

__all__ = ["RECIPE_RUNS", "evaluated_heldout", "heldout_table", "main", "recipe_records", "recipe_table", "split_scores", "split_scorer"]


RECIPE_RUNS = ("lr1e3-e025", "lr2e3-e025", "warm-lr1e3-e04")  # the folders of results/recipes/, in the order they ran


def split_scores(model, config: TrainConfig, split: str = "heldout", progress: bool = True) -> dict:
    """EM and F1 per language and normalisation on ``split``'s articles, with a merged copy of the model
    (the model itself goes on training)."""
    from transformers import AutoTokenizer

    quiet_transformers()
    model = copy.deepcopy(model).merge_and_unload().eval()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        model.to("cpu").float().save_pretrained(tmp, safe_serialization=True)
        AutoTokenizer.from_pretrained(base_folder(config)).save_pretrained(tmp)
        source = resolve_model(tmp)
        for lang in config.languages:
            examples = load_xquad(lang, split=split)
            rows = answer_examples(examples, "transformers", source, progress)
            texts = {ex.id: rows[ex.id].answers[0].text if rows[ex.id].answers else "" for ex in examples}
            results[lang] = _record_scores(scores(examples, texts))
    return _with_mean(results)


def _record_scores(measured: Scores) -> dict[str, float]:
    """EM and F1 under each normalisation, rounded as a training record keeps them (``squad_em``, ``squad_f1``, ...)."""
    return {f"{mode}_{metric}": round(getattr(measured, f"{metric}_{mode}"), 2) for mode in MODES for metric in ("em", "f1")}


def _with_mean(per_language: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """``per_language`` and its ``mean`` row: each score's mean over the languages."""
    keys = next(iter(per_language.values()))
    return {**per_language, "mean": {key: round(float(np.mean([s[key] for s in per_language.values()])), 2) for key in keys}}


def split_scorer(config: TrainConfig, progress: bool = False) -> Scorer:
    """A scorer for :func:`qa_helpers.finetune.finetune`: the model's scores on the run's :func:`scored_split`."""
    return lambda model: split_scores(model, config, scored_split(config), progress)


def heldout_table(heldout: dict[str, dict[str, float]]):
    """Held-out EM/F1 per language under both normalisations (a record's or :func:`evaluated_heldout`'s), beside
    published mBERT zero-shot.

    The published numbers come from another training set (English SQuAD): a point of reference.
    """
    import pandas as pd

    rows = []
    for lang, s in heldout.items():
        published = tuple(round(x, 1) for x in published_mean([k for k in heldout if k != "mean"])) if lang == "mean" else (
            PUBLISHED_MBERT_ZERO_SHOT[lang])
        rows.append({
            "language": lang, "F1 (squad)": s["squad_f1"], "EM (squad)": s["squad_em"],
            "F1 (multilingual)": s["multilingual_f1"], "EM (multilingual)": s["multilingual_em"],
            "published mBERT zero-shot F1 / EM": "{} / {}".format(*published),
        })
    return pd.DataFrame(rows)


def evaluated_heldout(run: str = "repro") -> dict[str, dict[str, float]]:
    """The committed held-out evaluation's transformers scores, in a record's shape. A training record keeps the
    scores its run measured with the decoder it ran; the evaluation decodes with :mod:`qa_helpers.decoding`, as every
    result does, so runs are compared on this."""
    summary = load("evaluation", run)
    if summary.split != "heldout":
        raise ValueError(f"evaluation/{run} ran on split {summary.split!r}, not on the held-out articles")
    return _with_mean({row.lang: _record_scores(row.heldout) for row in summary.rows
                       if row.engine == "transformers" and row.heldout is not None})


def recipe_records() -> dict[str, dict]:
    """The committed recipe candidates' records (results/recipes/<run>/record.json, read as every committed result is,
    so also where only the package is installed), then the committed adapter's, whose held-out scores are the
    committed evaluation's (:func:`evaluated_heldout`)."""
    records = {name: stored.read_json(f"recipes/{name}/record.json") for name in RECIPE_RUNS}
    records["committed"] = {**committed_record(), "heldout": evaluated_heldout()}
    return records


def recipe_table(records: dict[str, dict]):
    """Runs side by side: what each changed, how long it trained, and its mean F1 (SQuAD rules) on the split it was
    scored on: ``dev`` (articles 37-40) for the candidates trained on articles 1-36, ``heldout`` (41-48) for runs
    on all 40. Scores on different splits are not compared with each other: the table says which is which."""
    import pandas as pd

    rows = []
    for name, record in records.items():
        config, scored = record["config"], "dev" if "dev" in record else "heldout"
        rows.append({
            "run": name, "trained on articles": "1-36" if config.get("split") == "fit" else "1-40",
            "start": "committed adapter" if record.get("warm_start_sha256") else "mBERT",
            "epochs": config["epochs"], "learning rate": config["learning_rate"], "LoRA r": config["lora_r"],
            "window": config["max_seq_len"], "hours": round(record["train_seconds"] / 3600, 1),
            "final loss": record["final_loss_mean_of_last_50"], "scored on": scored,
            "F1 (squad)": record[scored]["mean"]["squad_f1"],
        })
    return pd.DataFrame(rows).set_index("run")


def main(argv: list[str] | None = None) -> int:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m studies finetune", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for checkpoint, adapter and record")
    parser.add_argument("--resume", action="store_true", help="go on from the checkpoint in --out")
    parser.add_argument("--base", default=defaults.base, help="'mbert' (default) or a transformers folder")
    parser.add_argument("--langs", default=",".join(defaults.languages), help="comma-separated XQuAD languages")
    parser.add_argument("--epochs", type=float, default=defaults.epochs, help="passes over the training windows (may be a fraction)")
    parser.add_argument("--max-steps", type=int, help="stop after this many steps, keeping the checkpoint (smoke runs)")
    parser.add_argument("--limit", type=int, help="questions per language (smoke runs)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="windows per step")
    parser.add_argument("--lr", type=float, default=defaults.learning_rate, help="peak learning rate of AdamW")
    parser.add_argument("--lora-r", type=int, default=defaults.lora_r, help="LoRA rank (alpha is twice the rank)")
    parser.add_argument("--max-seq-len", type=int, default=defaults.max_seq_len, help="window length in word pieces")
    parser.add_argument("--doc-stride", type=int, default=defaults.doc_stride, help="pieces that neighbouring windows share")
    parser.add_argument("--warmup", type=float, default=defaults.warmup_ratio, help="share of the steps spent warming up")
    parser.add_argument("--modules", default=",".join(defaults.target_modules), help="linear layers that get LoRA")
    parser.add_argument("--lora-layers", help="encoder layers that get LoRA, e.g. 6-11 (default: all)")
    parser.add_argument("--warm-start", help="an adapter folder to start from (same rank and modules)")
    parser.add_argument("--split", choices=["train", "fit"], default=defaults.split,
                        help="train: articles 1-40, scored on the held-out 41-48; fit: 1-36, scored on 37-40 (choosing a recipe)")
    parser.add_argument("--curve-every", type=float, help="score the model every this many epochs while it trains")
    parser.add_argument("--precision", choices=["auto", "bf16", "fp32"], default=defaults.precision,
                        help="auto: bf16 autocast where the CPU or GPU supports it")
    parser.add_argument("--checkpoint-minutes", type=float, default=defaults.checkpoint_minutes,
                        help="how often the checkpoint is written")
    parser.add_argument("--no-eval", action="store_true", help="skip the scores at the end")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    config = TrainConfig(
        base=args.base, languages=tuple(args.langs.split(",")), epochs=args.epochs, max_steps=args.max_steps,
        limit_per_language=args.limit, batch_size=args.batch_size, learning_rate=args.lr, lora_r=args.lora_r,
        lora_alpha=2 * args.lora_r, max_seq_len=args.max_seq_len, doc_stride=args.doc_stride, precision=args.precision,
        checkpoint_minutes=args.checkpoint_minutes, warmup_ratio=args.warmup, target_modules=tuple(args.modules.split(",")),
        lora_layers=_layers(args.lora_layers), warm_start=args.warm_start, split=args.split,
    )
    try:
        record = finetune(
            config, args.out, resume=args.resume, progress=not args.no_progress,
            scorer=None if args.no_eval else split_scorer(config),
            command=" ".join(["python -m studies finetune"] + [a for a in (argv or sys.argv[1:]) if a != "--resume"]),
            curve_every=args.curve_every,
        )
    except FinetuneError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: record[k] for k in record if k in ("steps", "of_steps", "train_seconds", "heldout", "dev")}, indent=1))
    return 0


def _layers(spec: str | None) -> tuple[int, ...] | None:
    """'6-11' or '0,2,4' -> the layer numbers; None -> every layer."""
    if not spec:
        return None
    if "-" in spec:
        first, last = (int(part) for part in spec.split("-"))
        return tuple(range(first, last + 1))
    return tuple(int(part) for part in spec.split(","))


if __name__ == "__main__":
    sys.exit(main())
