"""Span decoding on hand-built logits: constraints, n-best order, scores and windows."""
import numpy as np
import pytest

from qa_helpers.decoding import masked_softmax, merge_windows, softmax_positions, span_score_matrix, top_spans
from qa_helpers.results import Answer

# [CLS] q q [SEP] c c c c [SEP]
MASK = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0], dtype=bool)


def test_question_and_special_tokens_never_start_or_end_an_answer():
    start = np.array([9.0, 9, 9, 9, 0, 0, 0, 0, 9])
    end = np.array([9.0, 9, 9, 9, 0, 0, 0, 0, 9])
    spans = top_spans(start, end, MASK, top_k=100)
    assert spans and all(MASK[i] and MASK[j] for i, j, _ in spans)


def test_end_never_precedes_start_even_when_argmaxes_cross():
    start = np.array([0, 0, 0, 0, 0, 0, 0, 5.0, 0])
    end = np.array([0, 0, 0, 0, 5.0, 0, 0, 0, 0])
    i, j, _ = top_spans(start, end, MASK)[0]
    assert i <= j
    assert all(a <= b for a, b, _ in top_spans(start, end, MASK, top_k=10))


def test_max_answer_len_limits_span_length():
    start = np.array([0, 0, 0, 0, 5.0, 0, 0, 0, 0])
    end = np.array([0, 0, 0, 0, 0, 0, 0, 5.0, 0])
    assert top_spans(start, end, MASK, max_answer_len=4)[0][:2] == (4, 7)
    for i, j, _ in top_spans(start, end, MASK, top_k=10, max_answer_len=2):
        assert j - i < 2


def test_score_is_product_of_softmaxes_over_context_and_cls_and_nbest_is_sorted():
    rng = np.random.default_rng(0)
    start, end = rng.normal(size=9), rng.normal(size=9)
    spans = top_spans(start, end, MASK, top_k=10, max_answer_len=30)
    positions = softmax_positions(MASK)
    assert positions.tolist() == [True, False, False, False, True, True, True, True, False]  # [CLS] and the context
    p_s, p_e = masked_softmax(start, positions), masked_softmax(end, positions)
    assert p_s[~positions].sum() == 0 and p_s.sum() == pytest.approx(1.0) and p_s[0] > 0
    for i, j, score in spans:
        assert score == pytest.approx(p_s[i] * p_e[j])
    assert [s for *_, s in spans] == sorted((s for *_, s in spans), reverse=True)
    assert len(spans) == 10  # 4 context tokens give 10 valid spans
    assert span_score_matrix(start, end, MASK, 30).sum() == pytest.approx(sum(s for *_, s in spans))


def test_ties_break_by_position():
    flat = np.zeros(9)
    spans = top_spans(flat, flat, MASK, top_k=3, max_answer_len=1)
    assert [(i, j) for i, j, _ in spans] == [(4, 4), (5, 5), (6, 6)]


def test_extreme_logits_do_not_underflow_to_missing_candidates():
    start = np.array([0, 0, 0, 0, 2000.0, 0, 0, 0, 0])
    assert len(top_spans(start, np.zeros(9), MASK, top_k=10)) == 10


def test_no_context_tokens_gives_no_answer():
    assert top_spans(np.zeros(4), np.zeros(4), np.zeros(4, dtype=bool)) == []


@pytest.mark.parametrize("kwargs", [{"top_k": 0}, {"max_answer_len": 0}])
def test_invalid_limits_are_rejected(kwargs):
    with pytest.raises(ValueError):
        top_spans(np.zeros(9), np.zeros(9), MASK, **kwargs)


def test_windows_merge_keeps_best_score_per_character_span():
    a = Answer("x", 10, 11, 0.2)
    b = Answer("x", 10, 11, 0.5)  # the same span seen from an overlapping window
    c = Answer("y", 30, 31, 0.4)
    assert merge_windows([a, c, b], top_k=5) == [b, c]
    assert merge_windows([a, c, b], top_k=1) == [b]


def test_a_likely_cls_makes_every_span_of_its_window_unlikely():
    """The model says "not in this window" through [CLS]: the softmax must hear it (transformers' pipeline does)."""
    start = np.array([0, 0, 0, 0, 0, 4.0, 0, 0, 0])
    end = start.copy()
    sure_of_nothing = start.copy()
    sure_of_nothing[0] = 9.0
    (_, _, confident), (_, _, doubtful) = top_spans(start, end, MASK)[0], top_spans(sure_of_nothing, sure_of_nothing, MASK)[0]
    assert confident > 0.8 and doubtful < 0.001
    assert top_spans(start, end, MASK)[0][:2] == top_spans(sure_of_nothing, sure_of_nothing, MASK)[0][:2] == (5, 5)
