"""No answer: the null score in decoding, the built unanswerable pairs, the API option, and the committed held-out run."""
import math

import numpy as np
import pytest

import qa_helpers as qa
import studies
from qa_helpers.decoding import no_answer_margin, null_and_best
from qa_helpers.examples import LANGUAGES
from qa_helpers.xquad import load_xquad
from studies import no_answer, stored
from studies.job import Unit

QUESTION, CONTEXT = "Who wrote the book?", "The book was written by Maria Lopez in 1990."


def test_the_null_score_is_log_p_cls_start_and_end_and_the_best_span_respects_mask_and_length():
    start = np.array([5.0, 0.0, 9.0, 1.0, 0.0])
    end = np.array([4.0, 0.0, 0.0, 2.0, 8.0])
    mask = np.array([False, False, True, True, True])  # [CLS] and a question token, then three context tokens
    log_z = np.log(np.exp(start[[0, 2, 3, 4]]).sum()) + np.log(np.exp(end[[0, 2, 3, 4]]).sum())  # [CLS] + context
    null, best = null_and_best(start, end, mask, max_answer_len=30)
    assert null == pytest.approx(9.0 - log_z) and best == pytest.approx(17.0 - log_z)  # span (2, 4): 9 + 8
    assert best - null == pytest.approx(8.0)  # within a window: the raw logits' difference
    assert null_and_best(start, end, mask, max_answer_len=2)[1] == pytest.approx(11.0 - log_z)  # (2, 3): the longer span is cut
    assert null_and_best(start, end, np.zeros(5, bool), 30) == (0.0, -math.inf)  # [CLS] alone: certain


def test_across_windows_the_lowest_null_meets_the_best_span():
    # window 1 has no answer (null 10 beats its span 2); window 2 holds one (span 8, null 1)
    assert no_answer_margin([(10.0, 2.0), (1.0, 8.0)]) == -7.0  # 1 - 8: one window with the answer is enough
    assert no_answer_margin([(10.0, 2.0)]) == 8.0


@pytest.mark.parametrize("lang", ["en", "ar", "th", "zh"])
def test_unanswerable_pairs_come_from_the_same_article_and_hold_none_of_the_answers(lang):
    examples = load_xquad(lang, split="heldout")
    built = no_answer.unanswerable(examples)
    own = {ex.id: ex for ex in examples}
    assert len(examples) - 5 <= len(built) <= len(examples)
    for ex in built:
        original = own[ex.id.removesuffix("/none")]
        assert ex.id.endswith("/none") and ex.answers == () and ex.question == original.question
        assert ex.context != original.context
        assert ex.context in {e.context for e in examples if e.article == original.article}
        assert not any(a.casefold() in ex.context.casefold() for a in original.answers)


@pytest.mark.parametrize("engine", ["transformers", "spark"])
def test_the_threshold_option_abstains_by_each_engines_rule(engine, tiny):
    answered = qa.answer(QUESTION, CONTEXT, engine=engine, model=tiny)
    row = qa.answer_batch([(QUESTION, CONTEXT)], engine=engine, model=tiny)[0]
    assert (row.null_margin is not None) == (engine == "transformers")
    never, always = (1e9, -1e9) if engine == "transformers" else (0.0, 1.1)  # margins in logits; Spark's scores in [0, 1]
    assert qa.answer(QUESTION, CONTEXT, engine=engine, model=tiny, no_answer_threshold=never) == answered
    assert qa.answer(QUESTION, CONTEXT, engine=engine, model=tiny, no_answer_threshold=always) == []
    rows = qa.answer_batch([(QUESTION, CONTEXT), ("", CONTEXT), (QUESTION, CONTEXT)], engine=engine, model=tiny,
                           no_answer_threshold=always)
    assert [r.answers for r in rows] == [[], [], []] and [r.ok for r in rows] == [True, False, True]


def _rows(values, answerable, rule_value="null_margin"):
    return [{"answerable": a, rule_value: v, "text": "x", "score": v if rule_value == "score" else 0.5, "null_margin": v,
             "em": 1.0 if a else None} for v, a in zip(values, answerable)]


def test_the_chosen_threshold_gets_the_most_decisions_right_and_the_table_counts_them():
    rows = _rows([-5.0, -4.0, -1.0, 2.0, 3.0, 0.5], [True, True, True, False, False, True])
    threshold = no_answer.choose_threshold(rows, "null")
    assert 0.5 < threshold < 2.0
    table = no_answer.decision_table(rows, "null", threshold)
    assert (table.precision, table.recall, table.accuracy, table.answerable_answered) == (1.0, 1.0, 1.0, 1.0)
    table = no_answer.decision_table(rows, "null", -2.0)  # also refuses -1.0 and 0.5
    assert table.precision == 0.5 and table.recall == 1.0 and table.answerable_answered == 0.5
    scored = _rows([0.9, 0.8, 0.1, 0.2], [True, True, False, False], "score")
    assert 0.2 < no_answer.choose_threshold(scored, "score") < 0.8


def test_measure_writes_rows_per_language_and_engine_and_resumes(tmp_path, monkeypatch, spark):
    examples = [ex for ex in load_xquad("en", split="heldout") if ex.article in (40, 41, 44, 45)][::12]
    monkeypatch.setattr(no_answer, "load_xquad", lambda lang, split: examples)
    summary = no_answer.measure(["en"], ["transformers", "spark"], "tiny", tmp_path, progress=False)
    for engine in ("transformers", "spark"):
        rows = stored.read(Unit, tmp_path / f"no_answer.{engine}.en.json").rows
        assert [r["id"] for r in rows] == [ex.id for ex in examples + no_answer.unanswerable(examples)]
        assert all((r["null_margin"] is not None) == (engine == "transformers") for r in rows)
    assert set(summary.rules) == set(no_answer.RULES)
    assert stored.read(no_answer.NoAnswerSummary, tmp_path / "summary.json") == summary
    before = (tmp_path / "no_answer.spark.en.json").stat().st_mtime_ns
    no_answer.measure(["en"], ["transformers", "spark"], "tiny", tmp_path, progress=False, resume=True)
    assert (tmp_path / "no_answer.spark.en.json").stat().st_mtime_ns == before
    assert not list(tmp_path.glob("*.partial"))


def test_the_committed_run_is_held_out_only_and_its_summary_follows_from_its_rows():
    summary = studies.load("no_answer", "repro")
    rows = studies.load_rows("no_answer", "repro")
    for lang in LANGUAGES:
        examples = load_xquad(lang, split="heldout")
        expected = [ex.id for ex in examples + no_answer.unanswerable(examples)]
        for engine in ("transformers", "spark"):
            assert rows[(rows.lang == lang) & (rows.engine == engine)].id.tolist() == expected
    assert set(rows.article) <= set(no_answer.CHOOSE_ARTICLES) | set(no_answer.REPORT_ARTICLES)
    for rule, result in summary.rules.items():
        engine = no_answer.RULES[rule][0]
        mine = rows[rows.engine == engine].to_dict("records")
        choose = [r for r in mine if r["article"] in no_answer.CHOOSE_ARTICLES]
        report = [r for r in mine if r["article"] in no_answer.REPORT_ARTICLES]
        assert result.threshold == pytest.approx(no_answer.choose_threshold(choose, rule))  # chosen on one half ...
        assert result.measured == no_answer.decision_table(report, rule, result.threshold)  # ... measured on the other
        assert set(result.by_language) == set(LANGUAGES)
