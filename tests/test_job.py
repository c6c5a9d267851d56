"""The one resumable job of the studies, and their typed results: written and read by the same code."""
from dataclasses import dataclass, replace

import pytest

from qa_helpers.models.sources import ModelSource
from studies import stored
from studies.job import Job, Unit, run_key

SOURCE = ModelSource("repro", "a trained model", None, None, adapter_sha256="a" * 64)


def job(tmp_path, source: ModelSource = SOURCE, **settings) -> Job:
    return Job("study", tmp_path, source, settings or {"split": "heldout"})


def test_a_unit_is_written_once_and_kept_for_the_same_run_only(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return [{"id": "q1", "text": "Paris"}]

    first = job(tmp_path).unit(("transformers", "en"), compute)
    assert (tmp_path / "study.transformers.en.json").exists() and not list(tmp_path.glob("*.partial"))
    assert first.run == run_key(SOURCE, split="heldout") and first.adapter_sha256 == "a" * 64 and first.model == str(SOURCE)
    assert job(tmp_path).unit(("transformers", "en"), compute, resume=True) == first and len(calls) == 1
    job(tmp_path).unit(("transformers", "en"), compute)  # without resume: computed again
    assert len(calls) == 2
    retrained = replace(SOURCE, adapter_sha256="b" * 64)  # same name, another adapter: another model
    assert job(tmp_path, retrained).finished("transformers", "en") is None
    assert job(tmp_path, replace(SOURCE, precision="int8")).finished("transformers", "en") is None
    assert job(tmp_path, split="all").finished("transformers", "en") is None
    job(tmp_path, retrained).unit(("transformers", "en"), compute, resume=True)
    assert len(calls) == 3


def test_per_language_keeps_the_order_of_languages_and_variants(tmp_path):
    seen = []

    def rows_for(variant, examples):
        seen.append((variant, examples))
        return [{"n": examples}]

    units = job(tmp_path).per_language(["en", "de"], ["transformers", "spark"], lambda lang: lang.upper(), rows_for)
    assert seen == [("transformers", "EN"), ("spark", "EN"), ("transformers", "DE"), ("spark", "DE")]
    assert list(units) == [("transformers", "en"), ("spark", "en"), ("transformers", "de"), ("spark", "de")]
    assert units["spark", "de"].rows == [{"n": "DE"}]


def test_a_stopped_unit_leaves_no_file_that_resume_would_trust(tmp_path):
    def stop():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        job(tmp_path).unit(("transformers", "en"), stop)
    assert list(tmp_path.iterdir()) == []


@dataclass(frozen=True)
class Inner:
    score: float
    note: str | None = None


@dataclass(frozen=True)
class Outer:
    name: str
    rows: list[Inner]
    by_lang: dict[str, Inner]
    pair: tuple[int, int]
    maybe: Inner | None = None


def test_typed_results_go_to_json_and_back_unchanged_and_other_fields_are_refused(tmp_path):
    result = Outer("x", [Inner(0.5), Inner(1.0, "n")], {"en": Inner(2.0)}, (1, 2), None)
    stored.write(tmp_path / "r.json", result)
    assert stored.read(Outer, tmp_path / "r.json") == result
    stored.write_json(tmp_path / "other.json", {"name": "x", "rows": [], "by_lang": {}, "pair": [1, 2], "prose key": 1})
    with pytest.raises(ValueError, match=r"Outer has no field \['prose key'\]"):
        stored.read(Outer, tmp_path / "other.json")


def test_units_are_typed_results_too(tmp_path):
    unit = Unit({"model": "m"}, "m: a model", None, "here", 1.5, {"python": 10.0}, [{"id": "q"}])
    stored.write(tmp_path / "u.json", unit)
    assert stored.read(Unit, tmp_path / "u.json") == unit
