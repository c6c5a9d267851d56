"""The transformers engine: exact character spans in all 11 languages, and stride windows."""
import pytest

import qa_helpers as qa
from qa_helpers.engines import transformers_engine
from qa_helpers.examples import LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_answer_is_an_exact_substring_of_the_context(tiny, lang):
    for ex in qa.multilingual_examples((lang,)):
        answers = qa.answer(ex.question, ex.context, model=tiny, top_k=5)
        assert len(answers) == 5
        for a in answers:
            assert ex.context[a.start : a.end] == a.text and a.text
            assert a.engine_text == a.text and 0 < a.score <= 1


def test_logits_cover_question_and_context_tokens(tiny):
    ex = qa.model_card_examples()[0]
    out = qa.logits(ex.question, ex.context, model=tiny)
    assert out.tokens[0] == "[CLS]" and out.tokens.count("[SEP]") == 2
    assert len(out.tokens) == len(out.offsets) == len(out.start_logits) == len(out.end_logits)
    context_tokens = [t for t, keep in zip(out.tokens, out.context_mask) if keep]
    assert "Clara" in context_tokens and "name" in context_tokens


def test_long_context_is_split_into_overlapping_windows_covering_all_of_it(tiny, tiny_torch):
    tokenizer, _ = tiny_torch
    context = " ".join(ex.context for ex in qa.multilingual_examples(("en", "de", "es"))) * 12
    windows = transformers_engine.encode(tokenizer, "Where do I live?", context, max_seq_len=128, doc_stride=32)
    assert len(windows.input_ids) > 3
    covered = set()
    for offsets, seq_ids, ids in zip(windows.offsets, windows.sequence_ids, windows.input_ids):
        assert len(ids) <= 128
        covered |= {o for o, s in zip(offsets, seq_ids) if s == 1}
    spans = sorted(covered)
    assert spans[0][0] == 0 and spans[-1][1] == len(context.rstrip())
    by_window = windows.context_spans()
    assert by_window[0][0] == 0 and by_window[-1][1] == len(context.rstrip())
    assert all(a < b and a < end for (a, end), (b, _) in zip(by_window, by_window[1:]))  # advancing, overlapping


def test_answers_from_later_windows_map_to_their_own_position(tiny):
    filler = "Berkeley is a city. " * 120  # pushes the second fact past the first window
    context = filler + "John Lenon was born in London and lived in Paris."
    answers = qa.answer("Where was John Lenon born?", context, model=tiny, top_k=100_000, max_answer_len=2)
    assert any(a.start >= len(filler) for a in answers)  # candidates of the last window took part
    assert all(context[a.start : a.end] == a.text for a in answers)


def test_a_window_without_the_answer_does_not_outbid_the_window_that_holds_it(tiny, tiny_torch):
    """Two windows: the first says "not here" through [CLS] but still has a favourite span; the second holds the
    answer. Normalised over its context alone, the first window's favourite scored 0.33 and beat the answer's 0.11."""
    import numpy as np

    tokenizer, _ = tiny_torch
    question, context = "Where do I live?", " ".join(["My name is Clara and I live in Berkeley."] * 60)
    windows = transformers_engine.encode(tokenizer, question, context)
    assert len(windows.input_ids) >= 2
    picks = []

    def crafted(input_ids, token_type_ids):
        out = []
        for ids in input_ids:
            w = next(k for k, row in enumerate(windows.input_ids) if row == ids)
            context_positions = np.flatnonzero(qa.context_mask(windows.sequence_ids[w]))
            logits = np.zeros(len(ids))
            if w == 1:  # here: [CLS] unlikely, the answer moderately so
                logits[0], favourite = -5.0, context_positions[-5]
                logits[favourite] = 5.0
                picks.append((w, favourite))
            else:  # not here: [CLS] is likely, yet in the first window one span stands out among the context
                logits[0] = 12.0
                logits[context_positions[3]] = 6.0 if w == 0 else 0.0
            out.append((logits, logits.copy()))
        return out

    best = transformers_engine.answer_rows([(question, context)], tiny, forward_fn=crafted)[0].answers[0]
    (answer_window, answer_token), = picks
    assert (best.start, best.end) == windows.offsets[answer_window][answer_token]
