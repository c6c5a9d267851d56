"""Lower precision: the same model in fp32 (default), bf16 or int8, chosen by ``QA_PRECISION`` or ``precision=``.

- ``fp32``: the weights as trained; the tutorial's default in both engines.
- ``bf16``: transformers only, under ``torch.autocast`` (matrix multiplies in bfloat16, which this
  CPU's AVX-512 BF16 runs natively). Spark NLP has no bf16 path: its ONNX Runtime runs fp32 or int8.
- ``int8``: dynamic quantisation of the linear layers (weights int8 ahead of time, activations
  quantised as they come, one sequence per pass: :func:`batch_size`), weights per output channel. Every engine
  runs the same int8 ONNX model (transformers through ONNX Runtime, Spark NLP by importing it), built once from
  the fp32 export with ``onnxruntime.quantization.quantize_dynamic`` and cached like the other models.

The int8 ONNX type is U8S8, weights signed int8 per output channel and activations unsigned int8: the
pair that AVX-512 VNNI multiplies in one instruction (``vpdpbusd``), and ONNX Runtime's default on x86. The weights
keep 7 bits (``reduce_range``): a CPU without VNNI (AVX2 alone, as many cloud machines and Colab runtimes have)
multiplies u8 x s8 pairs with ``vpmaddubsw``, whose 16-bit sums saturate on full-range weights. Measured on an
AVX2-only AMD EPYC (Zen 3), 100 held-out questions: full-range weights answered with F1 2.0 against fp32's 58.4;
7-bit weights 55.1.

Before quantising, the feed-forward layers are smoothed (:mod:`.smoothing`, strength :data:`SMOOTHING_ALPHA`): their
outlier input channels move into the weights, calibrated on questions of the training articles. ``python -m studies
int8-profile`` compares this with the other ways of quantising on held-out F1 and speed.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import cache_dir, precision_name
from ..examples import LANGUAGES
from ..xquad import load_xquad
from .onnx_export import SPARK_ONNXRUNTIME_MAX_IR, export_for_spark
from .smoothing import channel_maxima, linear_groups, smooth

__all__ = [
    "CALIBRATION_PER_LANG", "PRECISIONS", "SMOOTHING_ALPHA", "batch_size", "calibration_windows", "check_precision",
    "ensure_int8_onnx", "int8_folder", "quantize_onnx", "smooth_feed_forward",
]

PRECISIONS = ("fp32", "bf16", "int8")
# Smoothing's strength, chosen on the training articles (logit error against fp32, 44 questions): 0.75 left less than
# half of 0.5's error (0.22 against 0.47), and smoothing every linear layer instead of the feed-forward ones did worse.
# The int8 profile measures it again at each run (python -m studies int8-profile, its smoothing step).
SMOOTHING_ALPHA = 0.75
CALIBRATION_PER_LANG = 4  # questions per language (articles 1-36) whose fp32 activations set the channel ranges
CALIBRATION_WINDOW = 384  # tokens: one window per question, as the engines cut them


def check_precision(precision: str | None) -> str:
    """``precision``, else ``$QA_PRECISION``, else fp32; a clear error for anything else."""
    chosen = precision or precision_name()
    if chosen not in PRECISIONS:
        raise ValueError(f"precision (QA_PRECISION) must be one of {PRECISIONS}, not {chosen!r}")
    return chosen


def batch_size(precision: str, fp32_batch: int) -> int:
    """Sequences per forward pass: ``fp32_batch`` in fp32 and bf16, one in int8.

    Dynamic quantisation picks one activation scale per tensor, and a batch is one tensor: in int8 a
    question's answer would depend on the other questions (and the padding) in its batch. Measured
    on the 177 held-out English questions with ``repro``: in batches of 4, 45 answers (torch) and 31
    (ONNX Runtime) changed when the same questions came in other company. One sequence at a time,
    none does. Both int8 paths measured about a tenth slower after the change (``make bench``).
    """
    return 1 if precision == "int8" else fp32_batch


def int8_folder(origin: str) -> Path:
    """Where the int8 models of the model at ``origin`` (an ONNX folder or a transformers id) are cached.

    For a folder the key includes its ``model.onnx``'s size and modification time, so a model rebuilt
    in the same place gets a new int8 model instead of the stale one.
    """
    onnx_file = Path(origin) / "model.onnx"
    stamp = f"{onnx_file.stat().st_size}:{onnx_file.stat().st_mtime_ns}" if onnx_file.is_file() else ""
    key = hashlib.sha256(f"{origin}|{stamp}".encode()).hexdigest()[:12]
    return cache_dir() / f"int8-v4-{key}"  # v4: feed-forward layers smoothed before quantising


def ensure_int8_onnx(onnx_folder: str | None, transformers_model: str | None) -> Path:
    """The int8 ONNX export (``model.onnx`` + ``assets/vocab.txt``), built on first use and cached.

    It quantises the fp32 export ``onnx_folder``, exporting ``transformers_model`` first where there is
    none (the real model). Built in a staging folder and renamed at the end, so an interrupted build
    is never taken for a finished one.
    """
    if onnx_folder is None and transformers_model is None:
        raise ValueError("int8 needs an ONNX export or a transformers model to quantise")
    home = int8_folder(onnx_folder or str(transformers_model))
    done = home / "onnx"
    if (done / "model.onnx").exists():
        return done
    import onnx

    staging = home / "onnx.partial"
    shutil.rmtree(staging, ignore_errors=True)
    source = Path(onnx_folder) if onnx_folder else export_for_spark(str(transformers_model), home / "fp32.partial")
    print(f"Smoothing and quantising {source / 'model.onnx'} to int8 (once; a few minutes) ...", flush=True)
    staging.mkdir(parents=True)
    smooth_feed_forward(source, staging / "smoothed.onnx")
    quantize_onnx(staging / "smoothed.onnx", staging / "model.onnx")
    (staging / "smoothed.onnx").unlink()
    graph = onnx.load(str(staging / "model.onnx"))
    graph.ir_version = min(graph.ir_version, SPARK_ONNXRUNTIME_MAX_IR)  # Spark NLP's bundled ONNX Runtime reads it
    onnx.save(graph, str(staging / "model.onnx"))
    shutil.copytree(source / "assets", staging / "assets")
    staging.rename(done)
    shutil.rmtree(home / "fp32.partial", ignore_errors=True)
    return done


def calibration_windows(onnx_folder: Path, per_lang: int = CALIBRATION_PER_LANG) -> list[tuple[list[int], list[int]]]:
    """(input ids, token type ids) of the first window of ``per_lang`` questions per language, spread over articles
    1-36 (never the held-out ones), tokenised with the export's own vocabulary (case kept, as the engines do)."""
    from tokenizers import BertWordPieceTokenizer

    tokenizer = BertWordPieceTokenizer(str(onnx_folder / "assets" / "vocab.txt"), lowercase=False, strip_accents=False)
    tokenizer.enable_truncation(CALIBRATION_WINDOW, strategy="only_second")
    windows = []
    for lang in LANGUAGES:
        examples = load_xquad(lang, split="fit")
        for ex in examples[:: max(1, len(examples) // per_lang)][:per_lang]:
            encoded = tokenizer.encode(ex.question, ex.context)
            windows.append((encoded.ids, encoded.type_ids))
    return windows


def smooth_feed_forward(onnx_folder: Path, out_file: Path, alpha: float = SMOOTHING_ALPHA,
                        windows: list[tuple[list[int], list[int]]] | None = None) -> None:
    """Write the fp32 export in ``onnx_folder`` with its feed-forward layers smoothed (:func:`.smoothing.smooth`),
    their channel ranges measured on ``windows`` (default :func:`calibration_windows`)."""
    fp32_file = onnx_folder / "model.onnx"
    groups = linear_groups(fp32_file)
    feed_forward = [node for name, nodes in groups.items() if name.endswith("feed-forward") for node in nodes]
    maxima = channel_maxima(fp32_file, feed_forward, windows if windows is not None else calibration_windows(onnx_folder))
    smooth(fp32_file, out_file, maxima, alpha)


def quantize_onnx(fp32_file: Path, int8_file: Path, keep_fp32: tuple[str, ...] = (), per_channel: bool = True,
                  weights: str = "int8") -> None:
    """Dynamic int8 quantisation of an ONNX model's weights (7-bit weights, per output channel unless told otherwise;
    ``weights`` int8 gives U8S8, uint8 gives U8U8), but for the nodes named in ``keep_fp32`` (``python -m studies
    int8-profile`` measures which are worth keeping, and what the other choices cost)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    types = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}
    if weights not in types:
        raise ValueError(f"weights must be one of {sorted(types)}, not {weights!r}")
    with _without_preprocessing_advice():
        quantize_dynamic(fp32_file, int8_file, weight_type=types[weights], per_channel=per_channel, reduce_range=True,
                         nodes_to_exclude=list(keep_fp32))


@contextmanager
def _without_preprocessing_advice() -> Iterator[None]:
    """Drop ONNX Runtime's advice to pre-process (graph optimisation) before quantising, and only that.

    The export is quantised as it is: that graph is the one the benchmark's speeds and held-out F1
    were measured on, and the advice is noise in a notebook. ONNX Runtime logs it on the root logger;
    with no handler there, ``logging.warning`` would also install one for good (``basicConfig``), so
    Python's own last-resort handler stands in while the filter is on.
    """
    root = logging.getLogger()
    borrowed = [] if root.handlers or logging.lastResort is None else [logging.lastResort]

    def keep(record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()

    root.addFilter(keep)
    for handler in borrowed:
        root.addHandler(handler)
    try:
        yield
    finally:
        for handler in borrowed:
            root.removeHandler(handler)
        root.removeFilter(keep)
