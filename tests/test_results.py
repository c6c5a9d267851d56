"""The committed results: each reads back as its study's typed summary, and none names another model than the committed one."""
import json

import pytest

import studies
from qa_helpers.models import repro
from studies import evaluation, stored
from studies.loader import STUDIES

COMMITTED = repro.adapter_sha256()


@pytest.mark.parametrize("study", list(STUDIES))
def test_every_committed_summary_reads_back_as_its_type(study):
    runs = {"evaluation": ["repro", evaluation.run_name("repro", "int8")]}.get(study, ["repro"])
    for run in runs:
        summary = studies.load(study, run)
        assert isinstance(summary, STUDIES[study][0]) and summary.model.startswith("repro: ")


def test_no_committed_result_names_another_adapter():
    """Every result names the adapter that made it, and that is the committed one: numbers from an older model can
    never sit beside a new one. A recipe candidate's record lives in results/recipes/ and names its own."""
    files = [path for path in stored.RESULTS.rglob("*.json") if "recipes" not in path.parts]
    assert len(files) > 200
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data.get("adapter_sha256") == COMMITTED, f"{path} was made by adapter {str(data.get('adapter_sha256'))[:12]}"
        run_model = data.get("run", {}).get("model")
        assert run_model is None or COMMITTED in run_model, f"{path}'s run names another model: {run_model}"
    for path in (stored.RESULTS / "recipes").rglob("record.json"):
        assert len(json.loads(path.read_text(encoding="utf-8"))["adapter_sha256"]) == 64


def test_the_recipe_table_puts_every_committed_run_on_the_split_it_was_scored_on():
    assert set(studies.training.RECIPE_RUNS) == {path.parent.name for path in (stored.RESULTS / "recipes").glob("*/record.json")}
    records = studies.training.recipe_records()
    assert list(records)[-1] == "committed" and len(records) >= 2
    table = studies.training.recipe_table(records)
    assert list(table.index) == list(records)
    for name, record in records.items():
        split = "dev" if record["config"].get("split") == "fit" else "heldout"
        assert table.loc[name, "scored on"] == split and table.loc[name, "F1 (squad)"] == record[split]["mean"]["squad_f1"]


def test_the_committed_adapter_is_compared_with_the_held_out_evaluation_of_todays_decoding():
    """A training record keeps the scores of its day's decoding; the recipe table and notebook 10 take the committed
    evaluation's instead, the per-language held-out F1 of the transformers rows and their mean."""
    heldout = studies.training.evaluated_heldout()
    summary = studies.load("evaluation", "repro")
    rows = {row.lang: row.heldout for row in summary.rows if row.engine == "transformers"}
    assert set(heldout) == set(rows) | {"mean"} and len(rows) == 11
    for lang, scores in rows.items():
        assert heldout[lang]["squad_f1"] == round(scores.f1_squad, 2)
        assert heldout[lang]["multilingual_em"] == round(scores.em_multilingual, 2)
    assert heldout["mean"]["squad_f1"] == pytest.approx(sum(s.f1_squad for s in rows.values()) / 11, abs=0.01)
    assert studies.training.recipe_records()["committed"]["heldout"] == heldout
