"""XQuAD loading and the evaluation runner (tiny model, a small sample, both engines)."""
import json
from pathlib import Path

import pytest

from qa_helpers import evaluate
from qa_helpers.examples import LANGUAGES
from qa_helpers.metrics import f1
from qa_helpers.xquad import load_xquad

ROOT = Path(__file__).resolve().parents[1]


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


def test_an_interrupted_run_keeps_its_summary_and_resume_runs_only_the_rest(tiny, tmp_path, monkeypatch):
    real = evaluate.evaluate_language

    def stop_at_german(lang, *args, **kwargs):
        if lang == "de":
            raise KeyboardInterrupt
        return real(lang, *args, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate_language", stop_at_german)
    with pytest.raises(KeyboardInterrupt):
        evaluate.evaluate(["en", "de"], ["transformers"], tiny, limit=3, out=tmp_path, progress=False)
    interrupted = json.loads((tmp_path / "summary.json").read_text())
    assert [row["lang"] for row in interrupted["rows"]] == ["en"]
    assert "1 language (en)" in (tmp_path / "summary.md").read_text()

    ran = []
    monkeypatch.setattr(evaluate, "evaluate_language", lambda lang, *a, **k: ran.append(lang) or real(lang, *a, **k))
    both = evaluate.evaluate(["en", "de"], ["transformers"], tiny, limit=3, out=tmp_path, progress=False, resume=True)
    assert ran == ["de"]
    assert both["rows"][0] == interrupted["rows"][0]
    assert both["seconds"]["transformers"] == pytest.approx(sum(row["seconds"] for row in both["rows"]))
    # A different sample size is a different run: nothing is reused.
    evaluate.evaluate(["en"], ["transformers"], tiny, limit=2, out=tmp_path, progress=False, resume=True)
    assert ran == ["de", "en"]
    with pytest.raises(ValueError, match="no language to evaluate"):
        evaluate.evaluate([], ["transformers"], tiny, out=tmp_path)


def test_the_stored_full_run_is_whole_languages_and_readme_quotes_it():
    """README's time table comes from the records that `make eval-full` wrote, not from memory."""
    folder = ROOT / "qa_helpers" / "data" / "evaluation" / "base"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lang in dict.fromkeys(row["lang"] for row in summary["rows"]):
        record = json.loads((folder / f"record.{lang}.json").read_text(encoding="utf-8"))
        assert record["limit"] is None and all(row["questions"] == 1190 for row in record["rows"])
        assert [row for row in summary["rows"] if row["lang"] == lang] == record["rows"]
        minutes = [f"{row['seconds'] / 60:.1f} min" for row in record["rows"]]
        line = next(line for line in readme.splitlines() if line.startswith(f"| {lang} | ") and line.endswith(" min |"))
        assert all(m in line for m in minutes), (line, minutes)


def test_held_out_articles_are_scored_on_their_own(tiny, tmp_path, monkeypatch):
    """Scores over the held-out articles alone: the honest number for a model trained on the others."""
    examples = load_xquad("en")
    picked = examples[:3] + [ex for ex in examples if ex.article == 47][:2]
    monkeypatch.setattr(evaluate, "load_xquad", lambda lang, limit=None: picked)
    record = evaluate.evaluate_language("en", ["transformers"], tiny, None, tmp_path, progress=False)
    row = record["rows"][0]
    predictions = json.loads((tmp_path / "predictions.transformers.en.json").read_text(encoding="utf-8"))
    expected = 100 * sum(f1(predictions[ex.id], ex.answers, "en", "squad") for ex in picked[3:]) / 2
    assert row["questions"] == 5 and row["held-out questions"] == 2
    assert row["held-out F1 squad"] == pytest.approx(expected)
