"""Our span decoding measured against transformers' own question-answering pipeline, and the rules compared.

    python -m studies decoding-reference [--per-language 30]      # writes results/decoding/<model>/

transformers 5 has no question-answering pipeline; 5.2.0 was the last release with it. It is installed aside (in
``$QA_CACHE/transformers-5.2.0``, with the tokenizers and huggingface-hub it accepts) and run in a subprocess on the
same weights, so this project's environment keeps its own transformers.

1. **Agreement with the pipeline** on ``--per-language`` held-out questions of each language: top-1 span, top-3 list
   and score, with ``max_answer_len=30``, ``align_to_words=False``, windows of 384 tokens with 128 shared.
2. **Held-out F1 of three rules** on every held-out question (articles 41-48), from one forward pass:
   the softmax over the context alone (this project's rule before), over the context and [CLS] with the higher score
   of a span seen in two windows (this project's rule now), and the pipeline's (the same softmax, the scores of one
   answer text added across windows).

The summary is ``summary.json`` (:class:`DecodingSummary`) and ``summary.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from qa_helpers.config import cache_dir
from qa_helpers.decoding import masked_log_softmax, top_spans
from qa_helpers.engines import transformers_engine
from qa_helpers.examples import LANGUAGES
from qa_helpers.machine import describe_machine
from qa_helpers.metrics import f1
from qa_helpers.models.sources import ModelSource, resolve_model
from qa_helpers.results import context_mask
from qa_helpers.xquad import load_xquad

from . import stored
from .report import markdown_table

__all__ = [
    "RULES", "Agreement", "DecodingSummary", "RulesF1", "agreement", "decode", "main", "pipeline_answers", "reference_environment",
    "rules_f1", "to_markdown", "window_logits",
]

REFERENCE = {"transformers": "5.2.0", "tokenizers": "0.22.2", "huggingface-hub": "1.27.0"}
MAX_ANSWER_LEN, TOP_K = 30, 3
RULES = {
    "context only, best of windows": "softmax over the context tokens; a span in two windows keeps its higher score",
    "context + [CLS], best of windows": "softmax over the context and [CLS]; a span in two windows keeps its higher score (qa_helpers)",
    "context + [CLS], sum by text": "softmax over the context and [CLS]; the scores of one answer text added across windows (the pipeline)",
}
PIPELINE = f"""
TOP_K, MAX_ANSWER_LEN = {TOP_K}, {MAX_ANSWER_LEN}
import json, sys
from transformers import pipeline
from transformers.utils import logging
logging.set_verbosity_error(); logging.disable_progress_bar()
qa = pipeline("question-answering", model=sys.argv[1], device="cpu")
items = json.load(open(sys.argv[2], encoding="utf-8"))
out = []
for item in items:
    answers = qa(question=item["question"], context=item["context"], top_k=TOP_K, max_answer_len=MAX_ANSWER_LEN, align_to_words=False,
                 max_seq_len=384, doc_stride=128)
    out.append([[a["start"], a["end"], a["score"]] for a in (answers if isinstance(answers, list) else [answers])])
json.dump(out, open(sys.argv[3], "w"))
"""


@dataclass(frozen=True)
class Agreement:
    """Our n-best lists against the pipeline's, on the same questions."""

    questions: int
    per_language: int
    top1_same: int
    top3_same: int
    top1_differs_by_language: dict[str, int]
    score_gap_mean: float  # on the spans both list
    score_gap_max: float


@dataclass(frozen=True)
class RulesF1:
    """Held-out F1 (SQuAD rules) per decoding rule and language, and how many answers each rule changes against ours."""

    questions: int
    f1: dict[str, dict[str, float]]
    answers_unlike_ours: dict[str, int]


@dataclass(frozen=True)
class DecodingSummary:
    date: str
    machine: str
    model: str
    adapter_sha256: str | None
    agreement: Agreement
    rules: RulesF1


def reference_environment() -> Path:
    """The pipeline's release and the versions it accepts, installed aside once."""
    target = cache_dir() / "transformers-5.2.0"
    if not (target / ".installed").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade", "--target", str(target),
                        *(f"{name}=={version}" for name, version in REFERENCE.items())], check=True)
        (target / ".installed").write_text(json.dumps(REFERENCE))
    return target


def pipeline_answers(model_folder: str, items: list[dict], work: Path) -> list[list[list[float]]]:
    (work / "items.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(reference_environment())}
    subprocess.run([sys.executable, "-c", PIPELINE, model_folder, str(work / "items.json"), str(work / "answers.json")],
                   check=True, env=env)
    return json.loads((work / "answers.json").read_text())


def agreement(source: ModelSource, per_language: int, work: Path) -> Agreement:
    """Our n-best lists against the pipeline's on the first ``per_language`` held-out questions of each language."""
    if source.transformers is None:
        raise ValueError(f"{source} has no transformers model to give the pipeline")
    examples = [ex for lang in LANGUAGES for ex in load_xquad(lang, per_language, split="heldout")]
    theirs = pipeline_answers(source.transformers, [{"question": ex.question, "context": ex.context} for ex in examples], work)
    ours = transformers_engine.answer_rows([(ex.question, ex.context) for ex in examples], source, top_k=TOP_K,
                                           max_answer_len=MAX_ANSWER_LEN)
    top1 = top3 = 0
    score_gaps: list[float] = []
    differ: dict[str, int] = defaultdict(int)
    for ex, row, ref in zip(examples, ours, theirs):
        mine = [(a.start, a.end) for a in row.answers]
        reference = [(int(s), int(e)) for s, e, _ in ref]
        top1 += mine[:1] == reference[:1]
        top3 += mine == reference
        differ[ex.lang] += mine[:1] != reference[:1]
        scores = {(int(s), int(e)): score for s, e, score in ref}
        score_gaps += [abs(a.score - scores[(a.start, a.end)]) for a in row.answers if (a.start, a.end) in scores]
    return Agreement(len(examples), per_language, top1, top3, {lang: n for lang, n in differ.items() if n},
                     float(np.mean(score_gaps)), float(np.max(score_gaps)))


def window_logits(source, examples) -> list[tuple[transformers_engine.Windows, list[tuple[np.ndarray, np.ndarray]]]]:
    """Every window of every question through the model once (length-sorted batches)."""
    tokenizer, model = transformers_engine.load(source)
    encoded = [transformers_engine.encode(tokenizer, ex.question, ex.context) for ex in examples]
    jobs = sorted(((i, w) for i, e in enumerate(encoded) for w in range(len(e.input_ids))), key=lambda j: len(encoded[j[0]].input_ids[j[1]]))
    logits = transformers_engine.forward(model, [encoded[i].input_ids[w] for i, w in jobs],
                                         [encoded[i].token_type_ids[w] for i, w in jobs])
    per_question: dict[int, dict[int, tuple[np.ndarray, np.ndarray]]] = defaultdict(dict)
    for (i, w), pair in zip(jobs, logits):
        per_question[i][w] = pair
    return [(encoded[i], [per_question[i][w] for w in range(len(encoded[i].input_ids))]) for i in range(len(examples))]


def _context_only_best(start: np.ndarray, end: np.ndarray, mask: np.ndarray) -> tuple[int, int, float]:
    log_start, log_end = masked_log_softmax(start, mask), masked_log_softmax(end, mask)
    n = len(start)
    i, j = np.indices((n, n))
    scores = np.where((i <= j) & (j < i + MAX_ANSWER_LEN), log_start[:, None] + log_end[None, :], -np.inf)
    k = int(np.argmax(scores))
    return k // n, k % n, float(np.exp(scores.flat[k]))


def decode(windows: transformers_engine.Windows, logits, context: str, rule: str) -> str:
    """The best answer text of one question under ``rule``."""
    candidates: dict[object, list] = {}
    for w, (start, end) in enumerate(logits):
        mask = context_mask(windows.sequence_ids[w])
        i, j, score = (_context_only_best(start, end, mask) if rule.startswith("context only")
                       else top_spans(start, end, mask, max_answer_len=MAX_ANSWER_LEN)[0])
        text_start, text_end = windows.offsets[w][i][0], windows.offsets[w][j][1]
        text = context[text_start:text_end]
        key = text if rule.endswith("sum by text") else (text_start, text_end)
        if key in candidates and rule.endswith("sum by text"):
            candidates[key][1] += score
        elif key not in candidates or score > candidates[key][1]:
            candidates[key] = [text, score]
    return max(candidates.values(), key=lambda c: c[1])[0]


def rules_f1(source: ModelSource) -> RulesF1:
    """Held-out F1 (SQuAD rules) per language under each rule, and how many answers each rule changes."""
    table: dict[str, dict[str, float]] = {rule: {} for rule in RULES}
    changed = {rule: 0 for rule in RULES}
    for lang in LANGUAGES:
        examples = load_xquad(lang, split="heldout")
        outputs = window_logits(source, examples)
        answers = {rule: [decode(windows, logits, ex.context, rule) for ex, (windows, logits) in zip(examples, outputs)]
                   for rule in RULES}
        for rule in RULES:
            table[rule][lang] = round(100 * float(np.mean([f1(a, ex.answers, lang, "squad") for a, ex in zip(answers[rule], examples)])), 2)
            changed[rule] += sum(a != b for a, b in zip(answers[rule], answers["context + [CLS], best of windows"]))
        print(f"{lang}: " + ", ".join(f"{table[rule][lang]}" for rule in RULES), flush=True)
    for rule in RULES:
        table[rule]["mean"] = round(float(np.mean([table[rule][lang] for lang in LANGUAGES])), 2)
    return RulesF1(sum(len(load_xquad(lang, split="heldout")) for lang in LANGUAGES), table, changed)


def to_markdown(summary: DecodingSummary) -> str:
    import pandas as pd

    a, r = summary.agreement, summary.rules
    rows = [{"rule": rule, "what": RULES[rule], **{lang: r.f1[rule][lang] for lang in (*LANGUAGES, "mean")},
             "answers unlike qa_helpers'": r.answers_unlike_ours[rule]} for rule in RULES]
    return (f"Measured {summary.date} on {summary.machine}. Model: {summary.model}; adapter sha256 {summary.adapter_sha256 or 'not recorded'}.\n\n"
            f"Against transformers {REFERENCE['transformers']}'s question-answering pipeline on the same weights, "
            f"{a.questions} held-out questions ({a.per_language} per language), top {TOP_K}, max_answer_len "
            f"{MAX_ANSWER_LEN}: the same best span in {a.top1_same} of {a.questions}, the same top-{TOP_K} list in "
            f"{a.top3_same}; on the spans both list, the scores differ by {a.score_gap_mean:.4f} on average and "
            f"{a.score_gap_max:.3f} at most. Best spans that differ, by language: {a.top1_differs_by_language or 'none'}.\n\n"
            f"Held-out F1 (SQuAD rules), {r.questions} questions, articles 41-48, by decoding rule:\n\n" + markdown_table(pd.DataFrame(rows)) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studies decoding-reference", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="repro")
    parser.add_argument("--per-language", type=int, default=30, help="questions per language compared with the pipeline")
    parser.add_argument("--out", type=Path, help="default: results/decoding/<model>")
    args = parser.parse_args(argv)
    source = resolve_model(args.model)
    out = args.out or stored.RESULTS / "decoding" / source.name
    work = cache_dir() / "decoding-reference"
    work.mkdir(parents=True, exist_ok=True)
    summary = DecodingSummary(date.today().isoformat(), describe_machine(), str(source), source.adapter_sha256,
                              agreement(source, args.per_language, work), rules_f1(source))
    stored.write(out / "summary.json", summary)
    (out / "summary.md").write_text(to_markdown(summary), encoding="utf-8")
    print(to_markdown(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
