"""The transformers engine: tokenise with offsets, run the model, decode spans ourselves.

transformers 5 has no question-answering pipeline, so this module is the pipeline: split the
context into overlapping windows (``max_seq_len`` tokens, ``doc_stride`` tokens of overlap),
run every window through the model, and decode each window with :mod:`qa_helpers.decoding`.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .decoding import merge_windows, spans_to_answers, top_spans
from .sources import OFFLINE_FIX, ModelLoadError, ModelSource, resolve_model
from .types import Answer, RowResult, TokenLogits
from .validation import InputError, check_question_length

MAX_SEQ_LEN = 384  # window length in tokens, as in SQuAD fine-tuning
DOC_STRIDE = 128  # tokens shared by consecutive windows
BATCH_SIZE = 16  # windows per forward pass


def quiet_transformers() -> None:
    """Keep progress bars ("Loading weights") and tqdm's widget warning out of notebook outputs."""
    warnings.filterwarnings("ignore", message="IProgress not found")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def _opted_in(variable: str) -> bool:
    return os.environ.get(variable, "").lower() in ("1", "true", "yes")


@lru_cache(maxsize=4)
def load(source: ModelSource):
    """Tokenizer and model for ``source``.

    Safetensors only and no remote code, unless the caller opts in with ``QA_ALLOW_PICKLE=1``
    (pickle files can run code when loaded) or ``QA_TRUST_REMOTE_CODE=1``.
    """
    quiet_transformers()
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    if source.transformers is None:
        raise ValueError(f"{source} has no transformers model (only a Spark NLP one).")
    allow_pickle, remote_code = _opted_in("QA_ALLOW_PICKLE"), _opted_in("QA_TRUST_REMOTE_CODE")
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.transformers, trust_remote_code=remote_code)
        model = AutoModelForQuestionAnswering.from_pretrained(
            source.transformers, use_safetensors=None if allow_pickle else True, trust_remote_code=remote_code
        )
    except Exception as err:  # transformers raises OSError, ValueError, EnvironmentError... for these
        raise ModelLoadError(_explain_load_error(source, err)) from err
    model.eval()
    return tokenizer, model


def _explain_load_error(source: ModelSource, err: Exception) -> str:
    where = source.transformers
    text = str(err)
    folder = os.path.isdir(where)
    if folder and not any(f.endswith(".safetensors") for f in os.listdir(where)) and any(
        f.endswith((".bin", ".pt", ".pth")) for f in os.listdir(where)
    ):
        return (
            f"{where} holds only pickle weights (.bin); pickle files can run code when loaded, so they "
            "are refused. Convert them to safetensors, or set QA_ALLOW_PICKLE=1 if you trust the source."
        )
    if "trust_remote_code" in text:
        return f"{where} needs custom code from its repository; set QA_TRUST_REMOTE_CODE=1 only if you trust it."
    if folder:
        return f"The model folder {where} is missing files or is corrupt ({type(err).__name__}: {text})"
    return f"Could not load {where} from the Hugging Face hub ({type(err).__name__}: {text}). {OFFLINE_FIX}"


@dataclass(frozen=True)
class Windows:
    """The tokenised windows of one question/context pair."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    offsets: list[list[tuple[int, int]]]
    sequence_ids: list[list[int | None]]
    tokens: list[list[str]]


def encode(
    tokenizer, question: str, context: str, max_seq_len: int = MAX_SEQ_LEN, doc_stride: int = DOC_STRIDE
) -> Windows:
    """[CLS] question [SEP] context-window [SEP], for as many windows as the context needs.

    A long question leaves less room per window; the stride shrinks with it so that
    consecutive windows always advance.
    """
    question_pieces = len(tokenizer(question, add_special_tokens=False)["input_ids"])
    check_question_length(question_pieces, max_seq_len)
    room = max_seq_len - question_pieces - 3
    enc = tokenizer(
        question,
        context,
        truncation="only_second",
        max_length=max_seq_len,
        stride=min(doc_stride, room // 2),
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        return_token_type_ids=True,
    )
    n = len(enc["input_ids"])
    return Windows(
        input_ids=enc["input_ids"],
        token_type_ids=enc["token_type_ids"],
        offsets=[[tuple(o) for o in enc["offset_mapping"][w]] for w in range(n)],
        sequence_ids=[enc.sequence_ids(w) for w in range(n)],
        tokens=[enc.tokens(w) for w in range(n)],
    )


def _pad(rows: list[list[int]], width: int, value: int) -> list[list[int]]:
    return [row + [value] * (width - len(row)) for row in rows]


def forward(
    model, input_ids: list[list[int]], token_type_ids: list[list[int]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Start and end logits for each sequence, batched and padded; padding is cut off again."""
    import torch

    results = []
    for lo in range(0, len(input_ids), BATCH_SIZE):
        ids, types = input_ids[lo : lo + BATCH_SIZE], token_type_ids[lo : lo + BATCH_SIZE]
        width = max(len(row) for row in ids)
        with torch.inference_mode():
            out = model(
                input_ids=torch.tensor(_pad(ids, width, model.config.pad_token_id or 0)),
                token_type_ids=torch.tensor(_pad(types, width, 0)),
                attention_mask=torch.tensor(_pad([[1] * len(row) for row in ids], width, 0)),
            )
        for k, row in enumerate(ids):
            results.append((out.start_logits[k, : len(row)].numpy(), out.end_logits[k, : len(row)].numpy()))
    return results


def answer(
    question: str,
    context: str,
    model: str | ModelSource | None = None,
    *,
    top_k: int = 1,
    max_answer_len: int = 30,
) -> list[Answer]:
    """The n-best answers over all windows of the context ([] if the context has no tokens)."""
    tokenizer, qa_model = load(resolve_model(model))
    windows = encode(tokenizer, question, context)
    logits = forward(qa_model, windows.input_ids, windows.token_type_ids)
    candidates = []
    for w, (start_logits, end_logits) in enumerate(logits):
        mask = np.array([s == 1 for s in windows.sequence_ids[w]])
        spans = top_spans(start_logits, end_logits, mask, top_k=top_k, max_answer_len=max_answer_len)
        candidates += spans_to_answers(spans, windows.offsets[w], context)
    return merge_windows(candidates, top_k)


def answer_rows(
    pairs: list[tuple[str, str]], model: str | ModelSource | None = None, *, top_k: int = 1, max_answer_len: int = 30
) -> list[RowResult]:
    """One RowResult per valid pair; a pair the model cannot take (question too long) gets its error."""
    results = []
    for question, context in pairs:
        try:
            results.append(RowResult(answers=answer(question, context, model, top_k=top_k, max_answer_len=max_answer_len)))
        except InputError as err:
            results.append(RowResult(error=str(err)))
    return results


def logits(question: str, context: str, model: str | ModelSource | None = None) -> TokenLogits:
    """Tokens, offsets and raw start/end logits of the first window, for plotting."""
    tokenizer, qa_model = load(resolve_model(model))
    windows = encode(tokenizer, question, context)
    start_logits, end_logits = forward(qa_model, windows.input_ids[:1], windows.token_type_ids[:1])[0]
    return TokenLogits(
        tokens=windows.tokens[0],
        offsets=windows.offsets[0],
        sequence_ids=windows.sequence_ids[0],
        start_logits=start_logits,
        end_logits=end_logits,
    )
