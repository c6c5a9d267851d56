"""The transformers engine: tokenise with offsets, run the model, decode spans ourselves.

transformers 5 has no question-answering pipeline, so this module is the pipeline: split the
context into overlapping windows (``max_seq_len`` tokens, ``doc_stride`` tokens of overlap),
run every window through the model, and decode each window with :mod:`qa_helpers.decoding`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import numpy as np

from ..config import allow_pickle, quiet_transformers, trust_remote_code
from ..decoding import merge_windows, no_answer_margin, null_and_best, spans_to_answers, top_spans
from ..models.precision import batch_size, ensure_int8_onnx
from ..models.sources import OFFLINE_FIX, ModelLoadError, ModelSource
from ..results import Answer, RowResult, TokenLogits, context_mask
from ..validation import InputError, check_question_length

__all__ = [
    "BATCH_SIZE", "MAX_TOP_K", "NAME", "STRIDE", "WINDOW_LENGTH", "OnnxRuntimeQA", "abstains", "answer_rows", "window_null_scores",
    "encode", "forward", "load", "logits", "onnx_runtime_session", "run_in_batches", "Windows",
]

NAME = "transformers"
WINDOW_LENGTH = 384  # tokens per model input, as in SQuAD fine-tuning
STRIDE = 128  # tokens shared by consecutive windows
MAX_TOP_K = None  # any number of answers per question
BATCH_SIZE = 4  # windows per forward pass, length-sorted; 4 was fastest on a 2-core CPU (make bench)


@lru_cache(maxsize=4)
def load(source: ModelSource):
    """Tokenizer and model for ``source``; in int8 the model is the int8 ONNX model that Spark NLP runs too
    (:func:`qa_helpers.models.precision.ensure_int8_onnx`), run by ONNX Runtime (:class:`OnnxRuntimeQA`).

    Safetensors only and no remote code, unless the caller opts in with ``QA_ALLOW_PICKLE=1``
    (pickle files can run code when loaded) or ``QA_TRUST_REMOTE_CODE=1``.
    """
    quiet_transformers()
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    if source.transformers is None:
        raise ValueError(f"{source} has no transformers model (only a Spark NLP one).")
    pickle, remote_code = allow_pickle(), trust_remote_code()
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.transformers, trust_remote_code=remote_code)
        model = AutoModelForQuestionAnswering.from_pretrained(
            source.transformers, use_safetensors=None if pickle else True, trust_remote_code=remote_code
        )
    except Exception as err:  # transformers raises OSError, ValueError, EnvironmentError... for these
        raise ModelLoadError(_explain_load_error(source, err)) from err
    model.eval()
    if source.precision == "int8":
        # One int8 model for every engine, the smoothed one that Spark NLP imports too, so that int8 answers and their
        # F1 change are the same model's whichever engine runs it.
        int8_file = ensure_int8_onnx(source.onnx, source.transformers) / "model.onnx"
        return tokenizer, OnnxRuntimeQA(onnx_runtime_session(str(int8_file)), model.config)
    return tokenizer, model


def onnx_runtime_session(onnx_file: str):
    """An ONNX Runtime session on the CPU, with as many threads as there are cores."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    return ort.InferenceSession(onnx_file, options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class OnnxRuntimeQA:
    """A QA model exported to ONNX, run by ONNX Runtime: ``model(ids, types, mask)`` gives start and end logits.

    ``config`` is the transformers model's (its padding id, its layer count), so the rest of the engine does not
    need to know which runtime answers."""

    session: object
    config: Any

    def __call__(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.session.run(["start_logits", "end_logits"],  # type: ignore[attr-defined]
                                      {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        return start, end


def _explain_load_error(source: ModelSource, err: Exception) -> str:
    where = str(source.transformers)
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

    def context_spans(self) -> list[tuple[int, int]]:
        """The characters of the context that each window holds, as ``(start, end)``."""
        spans = []
        for offsets, sequence in zip(self.offsets, self.sequence_ids):
            chars = [o for o, keep in zip(offsets, context_mask(sequence)) if keep]
            spans.append((chars[0][0], chars[-1][1]))
        return spans


def encode(
    tokenizer, question: str, context: str, max_seq_len: int = WINDOW_LENGTH, doc_stride: int = STRIDE
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


def run_in_batches(
    input_ids: list[list[int]], token_type_ids: list[list[int]], run, pad_id: int = 0, precision: str = "fp32"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pad a batch of sequences at a time, ``run(ids, types, mask)`` them, cut the padding off.

    ``run`` takes three int64 arrays and returns start and end logits; the torch model and
    ONNX Runtime (in the benchmark) both fit behind it. A batch holds ``BATCH_SIZE`` sequences,
    one in int8 (:func:`qa_helpers.models.precision.batch_size` says why).
    """
    results = []
    size = batch_size(precision, BATCH_SIZE)
    for lo in range(0, len(input_ids), size):
        ids, types = input_ids[lo : lo + size], token_type_ids[lo : lo + size]
        width = max(len(row) for row in ids)
        start, end = run(
            np.array(_pad(ids, width, pad_id), dtype=np.int64),
            np.array(_pad(types, width, 0), dtype=np.int64),
            np.array(_pad([[1] * len(row) for row in ids], width, 0), dtype=np.int64),
        )
        results += [(start[k, : len(row)], end[k, : len(row)]) for k, row in enumerate(ids)]
    return results


def forward(
    model, input_ids: list[list[int]], token_type_ids: list[list[int]], precision: str = "fp32"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Start and end logits of the model for each sequence (batched, no gradients; bf16 under autocast)."""
    if isinstance(model, OnnxRuntimeQA):
        return run_in_batches(input_ids, token_type_ids, model, model.config.pad_token_id or 0, precision)
    import torch

    def run(ids: np.ndarray, types: np.ndarray, mask: np.ndarray):
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            out = model(
                input_ids=torch.from_numpy(ids), token_type_ids=torch.from_numpy(types), attention_mask=torch.from_numpy(mask)
            )
        return out.start_logits.float().numpy(), out.end_logits.float().numpy()

    return run_in_batches(input_ids, token_type_ids, run, model.config.pad_token_id or 0, precision)


def answer_rows(
    pairs: list[tuple[str, str]],
    source: ModelSource,
    *,
    top_k: int = 1,
    max_answer_len: int = 30,
    forward_fn=None,
) -> list[RowResult]:
    """The n-best answers for every pair, batched; a pair the model cannot take gets its error.

    All windows of all pairs are sorted by length and run in batches of ``BATCH_SIZE`` (one in int8), so a
    batch pads little; each window is then decoded on its own and the candidates of each pair
    compete across its windows; the row's ``null_margin`` says how much "no answer" beats the best
    span (:mod:`qa_helpers.decoding`, rule 5). A context without tokens gets no answer ([]). ``forward_fn``
    replaces the torch forward pass (the benchmark plugs ONNX Runtime in here).
    """
    tokenizer, qa_model = load(source)
    encoded: list[Windows | InputError] = []
    for question, context in pairs:
        try:
            encoded.append(encode(tokenizer, question, context))
        except InputError as err:
            encoded.append(err)
    ok = {i: e for i, e in enumerate(encoded) if isinstance(e, Windows)}
    jobs = [(i, w) for i, e in ok.items() for w in range(len(e.input_ids))]
    jobs.sort(key=lambda job: len(ok[job[0]].input_ids[job[1]]))
    logits = (forward_fn or partial(forward, qa_model, precision=source.precision))(
        [ok[i].input_ids[w] for i, w in jobs],
        [ok[i].token_type_ids[w] for i, w in jobs],
    )
    candidates: dict[int, list[Answer]] = {i: [] for i, _ in jobs}
    nulls: dict[int, list[tuple[float, float]]] = {i: [] for i, _ in jobs}
    for (i, w), (start_logits, end_logits) in zip(jobs, logits):
        windows = ok[i]
        mask = context_mask(windows.sequence_ids[w])
        spans = top_spans(start_logits, end_logits, mask, top_k=top_k, max_answer_len=max_answer_len)
        candidates[i] += spans_to_answers(spans, windows.offsets[w], pairs[i][1])
        nulls[i].append(null_and_best(start_logits, end_logits, mask, max_answer_len))
    return [
        RowResult(error=str(e)) if isinstance(e, InputError)
        else RowResult(answers=merge_windows(candidates[i], top_k), null_margin=no_answer_margin(nulls[i]))
        for i, e in enumerate(encoded)
    ]


def window_null_scores(question: str, context: str, source: ModelSource, max_answer_len: int = 30) -> list[dict]:
    """Per window of the context: the characters it holds, its null score and its best span's score (log probabilities, rule 5)."""
    tokenizer, qa_model = load(source)
    windows = encode(tokenizer, question, context)
    rows, spans = [], windows.context_spans()
    for w, (start_logits, end_logits) in enumerate(forward(qa_model, windows.input_ids, windows.token_type_ids, source.precision)):
        null, best = null_and_best(start_logits, end_logits, context_mask(windows.sequence_ids[w]), max_answer_len)
        rows.append({"window": w, "characters": spans[w], "null score": null, "best span score": best})
    return rows


def abstains(row: RowResult, threshold: float) -> bool:
    """"No answer" for this row: its null score beats its best span by more than ``threshold`` (in log probability)."""
    return row.null_margin is not None and row.null_margin > threshold


def logits(question: str, context: str, source: ModelSource) -> TokenLogits:
    """Tokens, offsets and raw start/end logits of the first window, for plotting."""
    tokenizer, qa_model = load(source)
    windows = encode(tokenizer, question, context)
    start_logits, end_logits = forward(qa_model, windows.input_ids[:1], windows.token_type_ids[:1], source.precision)[0]
    return TokenLogits(
        tokens=windows.tokens[0],
        offsets=windows.offsets[0],
        sequence_ids=windows.sequence_ids[0],
        start_logits=start_logits,
        end_logits=end_logits,
    )
