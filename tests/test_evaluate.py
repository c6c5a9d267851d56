"""XQuAD loading and the evaluation runner (tiny model, a small sample, both engines)."""
import json

import pytest

from qa_helpers import evaluate
from qa_helpers.examples import LANGUAGES
from qa_helpers.metrics import f1
from qa_helpers.xquad import load_xquad


def test_xquad_has_1190_parallel_questions_in_each_language():
    english = load_xquad("en")
    for lang in LANGUAGES:
        examples = load_xquad(lang)
        assert len(examples) == 1190
        assert [ex.id for ex in examples] == [ex.id for ex in english]  # parallel, same order
        assert all(gold in ex.context for ex in examples for gold in ex.answers)
    with pytest.raises(ValueError, match="no language 'xx'"):
        load_xquad("xx")


def test_runner_writes_predictions_and_a_consistent_summary(tiny, spark, tmp_path):
    summary = evaluate.evaluate(["en", "th"], ["transformers", "spark"], tiny, limit=4, out=tmp_path, progress=False)
    assert [(r["lang"], r["engine"]) for r in summary["rows"]] == [
        ("en", "transformers"), ("en", "spark"), ("th", "transformers"), ("th", "spark")
    ]
    for row in summary["rows"]:
        predictions = json.loads((tmp_path / f"predictions.{row['engine']}.{row['lang']}.json").read_text())
        examples = load_xquad(row["lang"], 4)
        assert list(predictions) == [ex.id for ex in examples]
        recomputed = 100 * sum(f1(predictions[ex.id], ex.answers, ex.lang, "multilingual") for ex in examples) / 4
        assert row["F1 multilingual"] == pytest.approx(recomputed)
        assert 0 <= row["EM squad"] <= row["F1 squad"] <= 100
        assert 0 <= row["engines agree (exact)"] <= 100
    assert summary["seconds"]["transformers"] > 0 and summary["memory"]["python_peak_mb"] > 0
    assert summary["memory"]["jvm_peak_mb"] > 100  # the JVM that Spark NLP runs in
    assert "| lang | engine |" in (tmp_path / "summary.md").read_text()


def test_resume_reads_finished_languages_back_and_runs_only_the_rest(tiny, tmp_path, monkeypatch):
    first = evaluate.evaluate(["en"], ["transformers"], tiny, limit=3, out=tmp_path, progress=False)
    ran = []
    real = evaluate.evaluate_language
    monkeypatch.setattr(evaluate, "evaluate_language", lambda lang, *a, **k: ran.append(lang) or real(lang, *a, **k))
    both = evaluate.evaluate(["en", "de"], ["transformers"], tiny, limit=3, out=tmp_path, progress=False, resume=True)
    assert ran == ["de"]
    assert both["rows"][0] == first["rows"][0]
    assert both["seconds"]["transformers"] == pytest.approx(sum(row["seconds"] for row in both["rows"]))
    # A different sample size is a different run: nothing is reused.
    evaluate.evaluate(["en"], ["transformers"], tiny, limit=2, out=tmp_path, progress=False, resume=True)
    assert ran == ["de", "en"]
