"""What a score means: reliability tables, ECE, the threshold rule, and the committed held-out run."""
import pytest

import studies
from qa_helpers.examples import LANGUAGES
from qa_helpers.metrics import exact_match
from qa_helpers.xquad import load_xquad
from studies import calibration, stored
from studies.job import Unit


def test_a_calibrated_engine_has_no_gap_and_an_overconfident_one_has_its_gap():
    calibrated = calibration.reliability_table([0.95] * 20 + [0.25] * 4, [1.0] * 19 + [0.0] + [1.0] + [0.0] * 3)
    assert [(row.lo, row.count) for row in calibrated] == [(0.2, 4), (0.9, 20)]
    assert calibration.expected_calibration_error(calibrated) == pytest.approx(0.0)
    overconfident = calibration.reliability_table([0.9] * 10, [1.0] * 5 + [0.0] * 5)
    assert calibration.expected_calibration_error(overconfident) == pytest.approx(0.4)


def test_a_score_of_one_falls_in_the_last_bin_and_bad_input_is_named():
    assert calibration.reliability_table([1.0, 0.0], [1.0, 0.0])[-1].lo == 0.9
    with pytest.raises(ValueError, match="outside"):
        calibration.reliability_table([1.5], [1.0])
    with pytest.raises(ValueError, match="2 scores but 1"):
        calibration.reliability_table([0.5, 0.5], [1.0])


def test_the_threshold_is_the_lowest_edge_from_which_answers_are_right_often_enough():
    scores = [0.1, 0.2, 0.6, 0.7, 0.9, 0.95]
    correct = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert calibration.score_threshold(scores, correct, target=0.75) == 0.3  # from 0.3 on: 3 of 4 right
    assert calibration.score_threshold(scores, [0.0] * 6) is None


def test_calibrate_writes_one_file_per_language_and_engine_and_resumes(tmp_path, monkeypatch, spark):
    examples = load_xquad("en", split="heldout")[:4]
    monkeypatch.setattr(calibration, "load_xquad", lambda lang, split: examples)
    summary = calibration.calibrate(["en"], ["transformers", "spark"], "tiny", tmp_path, progress=False)
    for engine in ("transformers", "spark"):
        unit = stored.read(Unit, tmp_path / f"calibration.{engine}.en.json")
        assert [row["id"] for row in unit.rows] == [ex.id for ex in examples]
        assert summary.engines[engine].answers == 4 and 0 <= summary.engines[engine].ece <= 1
    assert stored.read(calibration.CalibrationSummary, tmp_path / "summary.json") == summary
    before = (tmp_path / "calibration.spark.en.json").stat().st_mtime_ns
    calibration.calibrate(["en"], ["transformers", "spark"], "tiny", tmp_path, progress=False, resume=True)
    assert (tmp_path / "calibration.spark.en.json").stat().st_mtime_ns == before
    assert not list(tmp_path.glob("*.partial"))


def test_the_committed_run_covers_the_held_out_articles_only_and_its_summary_follows_from_its_answers():
    summary = studies.load("calibration", "repro")
    assert summary.model.startswith("repro: ") and summary.split == "heldout"
    answers = studies.load_rows("calibration", "repro")
    for engine, result in summary.engines.items():
        assert list(result.ece_by_language) == list(LANGUAGES)
        mine = answers[answers.engine == engine]
        for lang in LANGUAGES:
            heldout = {ex.id: ex for ex in load_xquad(lang, split="heldout")}
            rows = mine[mine.lang == lang]
            assert sorted(rows.id) == sorted(heldout)
            assert all(row.em == exact_match(row.text, heldout[row.id].answers, lang, "squad") for row in rows.itertuples())
        table = calibration.reliability_table(list(mine.score), list(mine.em))
        assert calibration.expected_calibration_error(table) == pytest.approx(result.ece)
        assert calibration.score_threshold(list(mine.score), list(mine.em)) == result.threshold


def test_the_held_out_answers_agree_with_the_full_runs_predictions():
    """The same model, questions and engines as results/evaluation/repro: the same answers."""
    answers = studies.load_rows("calibration", "repro")
    full_run = studies.load_rows("evaluation", "repro").set_index(["engine", "lang", "id"]).text
    for (lang, engine), rows in answers.groupby(["lang", "engine"]):
        assert all(full_run[engine, lang, row.id] == row.text for row in rows.itertuples()), (lang, engine)
