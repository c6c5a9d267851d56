"""A deterministic multilingual BERT-QA model built from scratch, for tests without a model hub.

``tiny`` has the real model's architecture family (BertForQuestionAnswering), a cased WordPiece
vocabulary that covers every script of the 11 XQuAD languages, 2 layers of width 64, and random
weights drawn from a fixed seed. Its answers are meaningless; it exercises every code path
(tokenisation, logits, decoding, both engines) in seconds, and the tests run on it. (A full-size
random sibling, ``base``, served the benchmark until the trained ``repro`` model replaced it.)

One build writes three folders from the very same weights:

- ``transformers/``: ``save_pretrained`` output (safetensors) for the transformers engine;
- ``onnx/``: ``model.onnx`` plus ``assets/vocab.txt``, the layout ``loadSavedModel`` reads;
- ``spark/``: the Spark NLP model saved from that ONNX import (made on first Spark use).
"""
from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

import numpy as np

from ..config import MAX_POSITIONS, cache_dir, quiet_transformers
from ..examples import model_card_examples, multilingual_examples
from ..writing_systems import CJK_UNIFIED, THAI, is_bert_chinese, is_unspaced
from .onnx_export import export_for_spark

__all__ = [
    "DESCRIPTIONS", "MAX_WORD_CHARS", "PROFILES", "SCRIPT_RANGES", "SEED",
    "SPECIAL_TOKENS", "VERSION", "build_transformers", "build_vocab", "ensure_built", "model_dir",
    "script_characters",
]

SEED = 20261124
VERSION = "2"  # bump when the recipe below changes, so caches rebuild (2: ONNX derives segment ids)
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # [PAD] must be id 0 for Spark NLP
PROFILES = {
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128),
}

# Unicode blocks of the scripts used by en, es, de, el, ru, tr, ar, vi, th, zh and hi,
# plus the punctuation blocks those languages use.
SCRIPT_RANGES = [
    (0x0021, 0x007E),  # Basic Latin (printable)
    (0x00A1, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x024F),  # Latin Extended-A and -B (Turkish, Vietnamese)
    (0x0300, 0x036F),  # Combining Diacritical Marks
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x0600, 0x06FF),  # Arabic
    (0x0900, 0x097F),  # Devanagari (Hindi)
    THAI,
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2010, 0x205E),  # General Punctuation
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    CJK_UNIFIED,  # Chinese
    (0xFF01, 0xFF5E),  # Fullwidth forms
]
MAX_WORD_CHARS = 12  # words longer than this stay split into pieces, as rare words do in mBERT
DESCRIPTIONS = {
    "tiny": f"tiny random test model v{VERSION} (seed {SEED}; offline; its answers are meaningless)",
}


def script_characters() -> list[str]:
    """Every assigned character of the covered blocks, in code point order."""
    return [
        chr(cp)
        for lo, hi in SCRIPT_RANGES
        for cp in range(lo, hi + 1)
        if unicodedata.category(chr(cp)) not in ("Cn", "Cc", "Cs", "Co")
    ]


def _corpus_words() -> list[str]:
    """Whole words of the project's example texts, so that common words are single tokens.

    Only words of space-delimited scripts: a Thai or Chinese "word" here would be a whole
    phrase, which no real WordPiece vocabulary holds.
    """
    from tokenizers.pre_tokenizers import BertPreTokenizer

    pre = BertPreTokenizer()
    texts = [t for ex in model_card_examples() + multilingual_examples() for t in (ex.question, ex.context)]
    words = {word for text in texts for word, _ in pre.pre_tokenize_str(text)}
    return sorted(
        w for w in words
        if 1 < len(w) <= MAX_WORD_CHARS and not any(is_unspaced(c) for c in w)
    )


def build_vocab() -> list[str]:
    """Specials, single characters, '##' continuation characters, then whole corpus words.

    Chinese ideographs need no '##' form: both engines split them into single characters.
    """
    chars = script_characters()
    continuations = ["##" + c for c in chars if not is_bert_chinese(c)]
    vocab = SPECIAL_TOKENS + chars + continuations
    seen = set(vocab)
    vocab += [w for w in _corpus_words() if w not in seen]
    return vocab


def _random_weights(model) -> dict:
    """Weights from a seeded numpy generator: the same on every machine and torch version.

    Embeddings and matrices are N(0, 1/fan_in); LayerNorm starts at identity. The QA head is
    scaled up so that start/end logits spread over a few units, which makes plots readable
    and argmax decisions robust to floating-point noise.
    """
    import torch

    rng = np.random.default_rng(SEED)
    state = {}
    for name, tensor in model.state_dict().items():
        shape = tuple(tensor.shape)
        if "LayerNorm.weight" in name:
            values = np.ones(shape, dtype=np.float32)
        elif name.endswith("bias") or "position_ids" in name or "token_type_ids" in name:
            values = np.zeros(shape, dtype=np.float32) if tensor.is_floating_point() else tensor.numpy()
        else:
            fan_in = shape[-1] if len(shape) > 1 and "embeddings" not in name else 1
            scale = 1.0 / np.sqrt(fan_in)
            if name.startswith("qa_outputs"):
                scale *= 3.0
            values = rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)
        state[name] = torch.as_tensor(values)
    return state


def build_transformers(out_dir: Path, profile: str = "tiny") -> None:
    """Write the model and its tokenizer as a transformers ``save_pretrained`` folder."""
    quiet_transformers()
    import torch
    from transformers import BertConfig, BertForQuestionAnswering, BertTokenizer

    vocab = build_vocab()
    config = BertConfig(
        vocab_size=len(vocab), pad_token_id=0, max_position_embeddings=MAX_POSITIONS, type_vocab_size=2,
        **PROFILES[profile],
    )
    torch.manual_seed(SEED)  # only affects the throw-away default init
    model = BertForQuestionAnswering(config)
    model.load_state_dict(_random_weights(model))
    model.eval()
    tokenizer = BertTokenizer(
        vocab={tok: i for i, tok in enumerate(vocab)},
        do_lower_case=False,
        tokenize_chinese_chars=True,
        strip_accents=False,
        model_max_length=MAX_POSITIONS,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    (out_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")


def model_dir(profile: str = "tiny") -> Path:
    return cache_dir() / f"{profile}-v{VERSION}"


def ensure_built(profile: str = "tiny") -> Path:
    """Build the transformers and ONNX folders once; later calls return the cached folder.

    The Spark NLP folder is added by the Spark engine the first time it needs it, since that
    import needs a running Spark session.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown offline model profile {profile!r}; choose from {sorted(PROFILES)}")
    folder = model_dir(profile)
    if (folder / "onnx" / "model.onnx").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        staging = Path(tmp) / folder.name
        build_transformers(staging / "transformers", profile)
        export_for_spark(str(staging / "transformers"), staging / "onnx")
        if not folder.exists():  # another process may have finished first
            staging.rename(folder)
    return folder
