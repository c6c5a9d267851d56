"""The three decoding rules that tools/decoding_reference.py compares, on hand-made windows."""
import numpy as np

from qa_helpers.engines.transformers_engine import Windows
from studies.decoding_reference import decode

# Two windows of one context "aa bb cc": [CLS] q [SEP] then three context tokens [SEP]
CONTEXT = "aa bb cc"
OFFSETS = [(0, 0), (0, 1), (0, 0), (0, 2), (3, 5), (6, 8), (0, 0)]
SEQUENCE = [None, 0, None, 1, 1, 1, None]
WINDOWS = Windows(input_ids=[[0] * 7] * 2, token_type_ids=[[0] * 7] * 2, offsets=[OFFSETS] * 2,
                  sequence_ids=[SEQUENCE] * 2, tokens=[["x"] * 7] * 2)


def logits(cls: float, favourite: int, value: float) -> tuple[np.ndarray, np.ndarray]:
    row = np.zeros(7)
    row[0], row[favourite] = cls, value
    return row, row.copy()


def test_cls_in_the_softmax_silences_a_window_that_says_not_here():
    # window 1 says "not here" ([CLS] 10) but prefers "aa"; window 2 holds "cc", less sharply
    windows_logits = [logits(10.0, 3, 4.0), logits(-5.0, 5, 2.5)]
    assert decode(WINDOWS, windows_logits, CONTEXT, "context only, best of windows") == "aa"
    assert decode(WINDOWS, windows_logits, CONTEXT, "context + [CLS], best of windows") == "cc"


def test_the_pipeline_adds_the_scores_of_one_text_found_in_two_windows():
    three = Windows(input_ids=[[0] * 7] * 3, token_type_ids=[[0] * 7] * 3, offsets=[OFFSETS] * 3,
                    sequence_ids=[SEQUENCE] * 3, tokens=[["x"] * 7] * 3)
    # "bb" is the best of two windows (0.62 each), "cc" of the third (0.74)
    windows_logits = [logits(-5.0, 4, 2.0), logits(-5.0, 4, 2.0), logits(-5.0, 5, 2.5)]
    assert decode(three, windows_logits, CONTEXT, "context + [CLS], best of windows") == "cc"
    assert decode(three, windows_logits, CONTEXT, "context + [CLS], sum by text") == "bb"  # 0.62 + 0.62 > 0.74
