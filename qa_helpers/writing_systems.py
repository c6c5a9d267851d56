"""Unicode blocks of the scripts that need special care: one definition for the vocabulary builder,
the Spark NLP tokenisation rules and the metrics.

Chinese and Thai are written without spaces between words, so tokenisers and metrics cut them
into characters; each of those tools has its own idea of which characters count.
"""
from __future__ import annotations

__all__ = [
    "BERT_CHINESE", "CJK_UNIFIED", "MLQA_CHINESE", "THAI", "Block", "character_class", "in_blocks",
    "is_bert_chinese", "is_unspaced",
]

Block = tuple[int, int]  # first and last code point, inclusive

THAI: Block = (0x0E00, 0x0E7F)
CJK_UNIFIED: Block = (0x4E00, 0x9FFF)  # CJK Unified Ideographs, the block of everyday Chinese
# BERT's "Chinese character" (its tokenizer puts spaces around each one), in the Basic Multilingual Plane:
# the unified block, extension A and the compatibility ideographs.
BERT_CHINESE: tuple[Block, ...] = (CJK_UNIFIED, (0x3400, 0x4DBF), (0xF900, 0xFAFF))
# The official MLQA evaluation script's Chinese range (``[\u4e00-\u9fa5]``): narrower, kept as published.
MLQA_CHINESE: Block = (0x4E00, 0x9FA5)


def in_blocks(char: str, *blocks: Block) -> bool:
    """Is ``char`` inside any of ``blocks``?"""
    return any(lo <= ord(char) <= hi for lo, hi in blocks)


def is_bert_chinese(char: str) -> bool:
    """A character BERT's tokenizer (and Spark NLP's) treats as a word on its own."""
    return in_blocks(char, *BERT_CHINESE)


def is_unspaced(char: str) -> bool:
    """A character of a script written without spaces between words (Chinese, Thai)."""
    return is_bert_chinese(char) or in_blocks(char, THAI)


def character_class(block: Block) -> str:
    """A regular-expression character class for ``block``, such as ``[\u0e00-\u0e7f]``."""
    return f"[{chr(block[0])}-{chr(block[1])}]"
