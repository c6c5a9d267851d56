"""Spark NLP's BERT question-answering rules, replicated in Python.

Spark NLP (5.5) does three things differently from the transformers engine:

1. **Tokenisation.** Its BasicTokenizer strips accents (NFD, then drops U+0300..U+036F) even
   when case sensitive, counts as punctuation only ASCII symbols and characters whose Unicode
   *name* contains "PUNCTUATION", and allows 200 characters per word (transformers: 100).
2. **Decoding.** It takes the start and the end by two separate argmaxes over the softmax of
   the whole sequence (question included), so the end can come before the start (an empty
   answer). Its score is the mean of the two maximum probabilities.
3. **Answer text.** It returns the words whose *first* piece lies in the span, normalised and
   joined by single spaces: not a substring of the context.

Replicating the tokenizer lets us map Spark NLP's token indices back to an exact character
span of the original context, and lets notebook 6 apply Spark NLP's decoding rule to
transformers logits. The Scala originals are ``BasicTokenizer``, ``WordpieceEncoder`` and
``XXXForClassification.predictSpan`` in the Spark NLP sources.

Java works on UTF-16 code units and Python on code points; the rules below are written so
that both give the same tokens (characters outside the BMP are never punctuation or Chinese
in Java, because no single UTF-16 unit is).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from ..config import MAX_POSITIONS
from ..decoding import masked_softmax
from ..writing_systems import is_bert_chinese

__all__ = [
    "MAX_CHARS_PER_WORD", "basic_tokenize", "cuts_a_word", "decode", "encode", "normalize_word",
    "segment_ids", "span_from_indices", "SparkEncoding", "SparkPiece", "SparkSpan", "SparkWord",
    "strip_accents", "wordpiece",
]

MAX_CHARS_PER_WORD = 200
_JAVA_NON_BREAKING = {"\u00a0", "\u2007", "\u202f"}
_JAVA_EXTRA_WHITESPACE = set("\t\n\u000b\f\r\u001c\u001d\u001e\u001f")


def _is_whitespace(char: str) -> bool:
    """Java's ``Character.isWhitespace``: space separators except the non-breaking ones."""
    if char in _JAVA_EXTRA_WHITESPACE:
        return True
    return unicodedata.category(char) in ("Zs", "Zl", "Zp") and char not in _JAVA_NON_BREAKING


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    cp = ord(char)
    return cp <= 0x1F or 0x7F <= cp <= 0x9F


def _is_filtered(char: str) -> bool:
    return ord(char) in (0, 0xFFFD) or _is_control(char)


def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return cp <= 0xFFFF and "PUNCTUATION" in unicodedata.name(char, "")


def strip_accents(text: str) -> str:
    """NFD, then drop the Combining Diacritical Marks block, as ``java.text.Normalizer`` does."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not 0x300 <= ord(c) <= 0x36F)


def _java_trim(text: str) -> str:
    """``String.trim``: removes every character up to U+0020 from both ends."""
    return text.strip("".join(chr(c) for c in range(0x21)))


def normalize_word(text: str) -> str:
    """What Spark NLP keeps of a word: trimmed, accents stripped, control characters removed."""
    return "".join(c for c in strip_accents(_java_trim(text)) if not _is_filtered(c))


@dataclass(frozen=True)
class SparkWord:
    """A word of Spark NLP's BasicTokenizer: its normalised text and its span in the input."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SparkPiece:
    """One word piece; ``word`` indexes the words of its own text (question or context)."""

    piece: str
    id: int
    word: int
    is_word_start: bool
    in_context: bool


def basic_tokenize(text: str) -> list[SparkWord]:
    """Split into words and single punctuation or Chinese characters, like Spark NLP."""
    words: list[SparkWord] = []

    def append(start: int, end: int) -> None:
        normalized = normalize_word(text[start:end])
        if normalized:
            words.append(SparkWord(normalized, start, end))

    i, n = 0, len(text)
    while i < n:
        while i < n and _is_whitespace(text[i]) and not _is_punctuation(text[i]):
            i += 1
        end = i
        while end < n and not (
            _is_filtered(text[end])
            or _is_punctuation(text[end])
            or is_bert_chinese(text[end])
            or _is_whitespace(text[end])
        ):
            end += 1
        if end > i:
            append(i, end)
        if end < n and (_is_punctuation(text[end]) or is_bert_chinese(text[end])):
            append(end, end + 1)
        i = end + 1
    return words


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def wordpiece(word: str, vocab: dict[str, int]) -> list[str]:
    """Greedy longest-match-first WordPiece; a word that cannot be matched becomes one [UNK]."""
    if _utf16_len(word) > MAX_CHARS_PER_WORD:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            candidate = ("##" if start > 0 else "") + word[start:end]
            if candidate in vocab:
                pieces.append(candidate)
                break
            end -= 1
        else:
            return ["[UNK]"]
        start = end
    return pieces


@dataclass(frozen=True)
class SparkEncoding:
    """The input ids Spark NLP builds for one question/context pair, with their provenance."""

    ids: list[int]
    pieces: list[SparkPiece]  # question pieces then context pieces, untruncated, as Spark keeps them
    question_words: list[SparkWord]
    context_words: list[SparkWord]
    tokens: list[str]  # the word pieces behind ids, with [CLS] and [SEP]


def _pieces(words: list[SparkWord], vocab: dict[str, int], in_context: bool) -> list[SparkPiece]:
    return [
        SparkPiece(piece, vocab[piece], w, k == 0, in_context)
        for w, word in enumerate(words)
        for k, piece in enumerate(wordpiece(word.text, vocab))
    ]


def encode(question: str, context: str, vocab: dict[str, int], max_length: int = MAX_POSITIONS) -> SparkEncoding:
    """``encodeSequence``: [CLS] question [SEP] context [SEP], the context cut to fit."""
    q_words, c_words = basic_tokenize(question), basic_tokenize(context)
    q_pieces, c_pieces = _pieces(q_words, vocab, False), _pieces(c_words, vocab, True)
    q_kept = q_pieces[: max_length - 2]
    c_kept = c_pieces[: max(max_length - len(q_kept) - 3, 0)]
    cls, sep = (SparkPiece(t, vocab[t], -1, False, False) for t in ("[CLS]", "[SEP]"))
    kept = [cls, *q_kept, sep, *c_kept, sep]
    return SparkEncoding(
        ids=[p.id for p in kept],
        pieces=q_pieces + c_pieces,
        question_words=q_words,
        context_words=c_words,
        tokens=[p.piece for p in kept],
    )


def segment_ids(ids: list[int], sep_id: int, engine: str) -> list[int]:
    """The token_type_ids the model computes with inside Spark NLP, by the model's ``getEngine()``.

    ``onnx``: Spark NLP feeds 0 everywhere, and the graphs :mod:`qa_helpers.models.onnx_export` writes
    turn that into BERT's own segments (0 up to and including the first [SEP], 1 after it).
    ``tensorflow`` (the published Spark NLP model): 0 up to the first [SEP], 1 from that [SEP] on.
    """
    first_sep = ids.index(sep_id)
    question_part = first_sep + 1 if engine == "onnx" else first_sep
    return [0] * question_part + [1] * (len(ids) - question_part)


@dataclass(frozen=True)
class SparkSpan:
    """Spark NLP's answer for one pair, and the character span it covers in the context."""

    spark_text: str
    start: int
    end: int
    score: float
    start_index: int
    end_index: int


def cuts_a_word(enc: SparkEncoding, start_index: int, end_index: int) -> bool:
    """Whether context tokens ``start_index..end_index`` begin or end inside a word.

    There the engines part even on the same span: transformers answers with the exact
    characters of the pieces, Spark NLP with the words whose first piece is inside (or none).
    Context token ``k`` of ``enc.ids`` is ``enc.pieces[k - 2]`` ([CLS] and [SEP] come before it).
    """
    first = enc.pieces[start_index - 2]
    after = enc.pieces[end_index - 1] if end_index - 1 < len(enc.pieces) else None
    return not first.is_word_start or (after is not None and after.in_context and not after.is_word_start)


def span_from_indices(enc: SparkEncoding, start_index: int, end_index: int) -> tuple[str, int, int]:
    """Spark NLP's answer text for token indices, and the context span it covers.

    Spark slices its piece list with ``[start - 2, end - 1)`` and keeps the words whose first
    piece falls inside. The character span runs from the first kept context word to the last;
    question words can appear in Spark's text but have no place in the context, so they are
    left out of the span. No context word gives the empty span ``(0, 0)``.
    """
    chosen = [p for p in enc.pieces[max(start_index - 2, 0) : max(end_index - 1, 0)] if p.is_word_start]
    text = " ".join(
        (enc.context_words if p.in_context else enc.question_words)[p.word].text for p in chosen
    )
    in_context = [enc.context_words[p.word] for p in chosen if p.in_context]
    if not in_context:
        return text, 0, 0
    return text, in_context[0].start, in_context[-1].end


def decode(start_logits: np.ndarray, end_logits: np.ndarray, enc: SparkEncoding) -> SparkSpan:
    """Spark NLP's decoding rule applied to logits for ``enc.ids`` (from any engine)."""
    everything = np.ones(len(start_logits), dtype=bool)
    p_start, p_end = masked_softmax(start_logits, everything), masked_softmax(end_logits, everything)
    i, j = int(np.argmax(p_start)), int(np.argmax(p_end))
    text, start, end = span_from_indices(enc, i, j)
    return SparkSpan(text, start, end, float((p_start[i] + p_end[j]) / 2), i, j)
