"""XQuAD loading and the evaluation study (tiny model, a small sample, both engines)."""
from pathlib import Path

import pandas as pd
import pytest

import studies
from qa_helpers import xquad
from qa_helpers.downloads import download
from qa_helpers.examples import LANGUAGES
from qa_helpers.metrics import f1
from qa_helpers.xquad import load_xquad
from studies import evaluation, stored
from studies.job import Unit


def test_xquad_has_1190_parallel_questions_in_each_language():
    english = load_xquad("en")
    for lang in LANGUAGES:
        examples = load_xquad(lang)
        assert len(examples) == 1190
        assert [ex.id for ex in examples] == [ex.id for ex in english]  # parallel, same order
        assert all(gold in ex.context for ex in examples for gold in ex.answers)
    with pytest.raises(ValueError, match="no language 'xx'"):
        load_xquad("xx")


def test_long_documents_are_held_out_questions_asked_of_their_whole_article():
    docs = xquad.long_documents("en", past=2500)
    paragraphs = {ex.context for ex in load_xquad("en", split="heldout")}
    assert docs and [d.id for d in docs] == [ex.id for ex in load_xquad("en", split="heldout") if ex.id in {d.id for d in docs}]
    for doc in docs:
        start, gold = doc.answer_starts[0], doc.answers[0]
        assert doc.article in xquad.SPLITS["heldout"] and start > 2500 and doc.context[start : start + len(gold)] == gold
        assert all(p in paragraphs for p in doc.context.split("\n\n"))
    assert len(xquad.long_documents("en", past=4000)) < len(docs)


def answers_of(folder: Path, engine: str, lang: str) -> dict[str, str]:
    return evaluation.predictions(stored.read(Unit, folder / f"evaluation.{engine}.{lang}.json"))


def test_evaluation_writes_answers_and_a_consistent_summary(tiny, spark, tmp_path):
    summary = evaluation.evaluate(["en", "th"], ["transformers", "spark"], tiny, limit=4, out=tmp_path, progress=False)
    assert [(r.lang, r.engine) for r in summary.rows] == [
        ("en", "transformers"), ("en", "spark"), ("th", "transformers"), ("th", "spark")
    ]
    for row in summary.rows:
        predictions = answers_of(tmp_path, row.engine, row.lang)
        examples = load_xquad(row.lang, 4)
        assert list(predictions) == [ex.id for ex in examples]
        recomputed = 100 * sum(f1(predictions[ex.id], ex.answers, ex.lang, "multilingual") for ex in examples) / 4
        assert row.scores.f1_multilingual == pytest.approx(recomputed)
        assert 0 <= row.scores.em_squad <= row.scores.f1_squad <= 100
        assert 0 <= row.engines_agree_exact <= 100
    assert summary.seconds["transformers"] > 0 and summary.memory_mb["python"] > 0
    assert summary.memory_mb["jvm"] > 100  # the JVM that Spark NLP runs in
    assert summary.adapter_sha256 is None and summary.model == str(tiny)
    assert stored.read(evaluation.EvaluationSummary, tmp_path / "summary.json") == summary  # written and read by the same code
    assert "| lang | engine |" in (tmp_path / "summary.md").read_text()


def test_an_interrupted_run_keeps_its_summary_and_resume_runs_only_the_rest(tiny, tmp_path, monkeypatch):
    real = evaluation._answer_rows

    def stop_at_german(engine, examples, *args):
        if examples[0].lang == "de":
            raise KeyboardInterrupt
        return real(engine, examples, *args)

    monkeypatch.setattr(evaluation, "_answer_rows", stop_at_german)
    with pytest.raises(KeyboardInterrupt):
        evaluation.evaluate(["en", "de"], ["transformers"], tiny, limit=3, out=tmp_path, progress=False)
    interrupted = stored.read(evaluation.EvaluationSummary, tmp_path / "summary.json")
    assert interrupted.langs == ["en"]
    assert "1 language (en)" in (tmp_path / "summary.md").read_text()

    ran = []
    monkeypatch.setattr(evaluation, "_answer_rows", lambda engine, examples, *a: ran.append(examples[0].lang) or real(engine, examples, *a))
    both = evaluation.evaluate(["en", "de"], ["transformers"], tiny, limit=3, out=tmp_path, progress=False, resume=True)
    assert ran == ["de"]
    assert both.rows[0] == interrupted.rows[0]
    assert both.seconds["transformers"] == pytest.approx(sum(row.seconds for row in both.rows))
    # A different sample size, or other articles, is a different run: nothing is reused.
    evaluation.evaluate(["en"], ["transformers"], tiny, limit=2, out=tmp_path, progress=False, resume=True)
    assert ran == ["de", "en"]
    heldout = evaluation.evaluate(["en"], ["transformers"], tiny, limit=2, out=tmp_path, progress=False, resume=True, split="heldout")
    assert ran == ["de", "en", "en"] and heldout.split == "heldout"
    assert list(answers_of(tmp_path, "transformers", "en")) == [ex.id for ex in load_xquad("en", 2, "heldout")]
    assert heldout.rows[0].heldout.questions == 2  # every question of this run is held out
    assert "questions of articles 41-48 (heldout)" in (tmp_path / "summary.md").read_text()
    with pytest.raises(ValueError, match="no language to evaluate"):
        evaluation.evaluate([], ["transformers"], tiny, out=tmp_path)


def test_the_stored_held_out_run_is_whole_languages_and_scores_its_own_answers():
    """README's and notebook 7's tables come from the units `make results` wrote (README's through tools/readme.py,
    checked in test_architecture): every held-out question of every language, in both engines."""
    folder = stored.RESULTS / "evaluation" / "repro"
    summary = studies.load("evaluation", "repro")
    assert summary.split == "heldout" and summary.limit is None
    assert sorted((row.lang, row.engine) for row in summary.rows) == sorted((lang, e) for lang in LANGUAGES for e in ("transformers", "spark"))
    for row in summary.rows:
        answers = answers_of(folder, row.engine, row.lang)
        examples = load_xquad(row.lang, split="heldout")
        assert row.scores.questions == row.heldout.questions == len(answers) == len(examples) == 177
        assert evaluation.scores(examples, answers) == row.scores == row.heldout  # the summary is what its answers score


def test_held_out_articles_are_scored_on_their_own(tiny, tmp_path, monkeypatch):
    """Scores over the held-out articles alone: the honest number for a model trained on the others."""
    examples = load_xquad("en")
    picked = examples[:3] + [ex for ex in examples if ex.article == 47][:2]
    monkeypatch.setattr(evaluation, "load_xquad", lambda lang, limit=None, split="all": picked)
    row = evaluation.evaluate(["en"], ["transformers"], tiny, None, tmp_path, progress=False).rows[0]
    predictions = answers_of(tmp_path, "transformers", "en")
    expected = 100 * sum(f1(predictions[ex.id], ex.answers, "en", "squad") for ex in picked[3:]) / 2
    assert row.scores.questions == 5 and row.heldout.questions == 2
    assert row.heldout.f1_squad == pytest.approx(expected)


def summary_of(rows: list[evaluation.LanguageResult], split: str = "all") -> evaluation.EvaluationSummary:
    return evaluation.EvaluationSummary("m", None, split, None, {}, {}, [], rows)


def result(lang: str, engine: str, seconds: float, f: float, em: float) -> evaluation.LanguageResult:
    return evaluation.LanguageResult(lang, engine, seconds, evaluation.Scores(10, em, f, em, f),
                                     evaluation.Scores(2, em - 5, f - 5, em - 5, f - 5), None, None)


def test_score_and_time_tables_are_read_from_a_summary():
    rows = [
        result(lang, engine, 120 + shift, f + shift, em + shift)
        for lang, (f, em) in {"en": (80, 60), "de": (60, 40)}.items()
        for engine, shift in (("transformers", 0), ("spark", -10))
    ]
    scores = evaluation.score_table(summary_of(rows))
    assert list(scores.language) == ["en", "de", "mean of 2"]
    assert scores.loc[2, "held-out F1 / EM, transformers"] == "65.0 / 45.0"
    assert scores.loc[0, "all XQuAD F1 / EM, Spark NLP"] == "70.0 / 50.0"
    assert scores.loc[1, "published mBERT zero-shot F1 / EM"] == "70.6 / 54.0"
    times = evaluation.time_table(summary_of(rows))
    assert list(times.columns) == ["language", "transformers", "Spark NLP", "both"]
    assert times.iloc[-1].tolist() == ["all 2", 4.0, 3.7, 7.7]
    # an int8 run of English alone, twice as fast, 1.5 F1 lower: compared on the languages both runs have
    int8 = [result(row.lang, row.engine, row.seconds / 2, row.scores.f1_squad - 1.5, row.scores.em_squad) for row in rows if row.lang == "en"]
    change = evaluation.precision_table(summary_of(rows), summary_of(int8)).set_index("engine")
    assert change.loc["transformers", "languages"] == 1 and change.loc["transformers", "minutes"] == "2.0 -> 1.0"
    assert change.loc["Spark NLP", "F1, all XQuAD"] == "70.0 -> 68.5 (-1.5)"
    assert change.loc["Spark NLP", "F1, held-out"] == "65.0 -> 63.5 (-1.5)"
    # a run of the held-out articles alone has no all-XQuAD columns to show
    assert not any("all XQuAD" in c for c in evaluation.score_table(summary_of(rows, "heldout")).columns)
    assert "F1, all XQuAD" not in evaluation.precision_table(summary_of(rows), summary_of(int8, "heldout")).columns


def test_answer_kinds_sort_stored_predictions(tmp_path):
    examples = load_xquad("en", split="heldout")
    predictions = {ex.id: "" for ex in examples}
    first, second, third = examples[:3]
    predictions[first.id] = first.answers[0]
    predictions[second.id] = second.answers[0] + " and more words"
    predictions[third.id] = "zzz"
    answers = pd.DataFrame({"id": list(predictions), "text": list(predictions.values())}).assign(lang="en", engine="transformers")
    kinds = evaluation.answer_kinds(answers)
    assert kinds.to_dict("records") == [{
        "lang": "en", "engine": "transformers", "questions": 177,
        "exact": round(100 / 177, 1), "partial": round(100 / 177, 1), "no overlap": round(100 / 177, 1),
        "empty": round(100 * 174 / 177, 1),
    }]


def test_committed_results_come_from_the_checkout_else_from_the_repository(tmp_path, monkeypatch):
    """Outside a checkout (a pip install in Colab) the loader fetches results/ from the repository, once."""
    assert stored.result_path("evaluation/repro/summary.json") == stored.RESULTS / "evaluation" / "repro" / "summary.json"
    fetched = []

    def fake_urlretrieve(url, path):
        fetched.append(url)
        Path(path).write_text('{"rows": []}', encoding="utf-8")

    monkeypatch.setattr(stored, "RESULTS", tmp_path / "not-a-checkout")
    monkeypatch.setenv("QA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("urllib.request.urlretrieve", fake_urlretrieve)
    assert stored.read_json("evaluation/repro/summary.json") == {"rows": []}
    assert stored.read_json("evaluation/repro/summary.json") == {"rows": []}  # cached: no second download
    assert fetched == [
        "https://raw.githubusercontent.com/multilingual-qa/multilingual-qa-tutorial/main/results/evaluation/repro/summary.json"
    ]


def test_a_failed_download_leaves_nothing_behind_and_names_the_fix(tmp_path, monkeypatch):
    def half_then_fail(url, path):
        Path(path).write_bytes(b"half")
        raise OSError("connection reset")

    monkeypatch.setattr("urllib.request.urlretrieve", half_then_fail)
    with pytest.raises(FileNotFoundError, match="connection reset. Set QA_XQUAD_DIR"):
        download("https://example.org/xquad.en.json", tmp_path / "xquad.en.json", "Set QA_XQUAD_DIR to a folder.")
    assert list(tmp_path.iterdir()) == []
