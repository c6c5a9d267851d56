"""Building `repro`: pretrained model + committed adapter, merged, exported, the same in both engines.

The first tests merge an adapter trained here on the tiny model (the tiny model's folder stands in
for the pretrained mBERT), so they check the build itself in seconds. The last ones use the real
build of the committed adapter, which `make prepare` makes.
"""
import hashlib
import shutil

import numpy as np
import pytest

import qa_helpers as qa
from qa_helpers import finetune as ft
from qa_helpers.analysis import compare
from qa_helpers.engines import spark_engine
from qa_helpers.examples import LANGUAGES
from qa_helpers.models import repro
from studies.report import markdown_table
from studies.training import heldout_table
from tools import ROOT


@pytest.fixture(scope="module")
def tiny_adapter(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    config = ft.TrainConfig(base=tiny.transformers, languages=("en",), limit_per_language=4, batch_size=4, lora_r=4, lora_alpha=8)
    ft.finetune(config, out, progress=False)
    return out / "adapter"


def test_missing_adapter_names_the_fix(tmp_path):
    with pytest.raises(repro.ReproError, match="missing adapter_config.json, adapter_model.safetensors.*git checkout"):
        repro.ensure_repro(tmp_path)


@pytest.mark.slow
def test_merged_weights_give_the_adapted_models_logits_in_torch_and_onnx(tiny, tiny_adapter, tmp_path, monkeypatch):
    import onnxruntime as ort
    import torch
    from peft import PeftModel
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    monkeypatch.setattr(repro, "ensure_mbert", lambda: tiny.transformers)
    folder = repro.ensure_repro(tiny_adapter)
    assert folder.name.startswith("repro-v") and (folder / "onnx" / "model.onnx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # no staging left behind
    adapted = PeftModel.from_pretrained(AutoModelForQuestionAnswering.from_pretrained(tiny.transformers), str(tiny_adapter)).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder / "transformers")
    enc = tokenizer("Where do I live?", "My name is Clara and I live in Berkeley.", return_tensors="pt")
    with torch.no_grad():
        expected = adapted(**enc).start_logits[0].numpy()
        merged = AutoModelForQuestionAnswering.from_pretrained(folder / "transformers").eval()(**enc).start_logits[0].numpy()
    base = AutoModelForQuestionAnswering.from_pretrained(tiny.transformers).eval()
    with torch.no_grad():
        assert np.abs(base(**enc).start_logits[0].numpy() - expected).max() > 1e-3  # the adapter changes the model
    np.testing.assert_allclose(merged, expected, atol=1e-4)
    session = ort.InferenceSession(str(folder / "onnx" / "model.onnx"))
    feed = {k: v.numpy() for k, v in enc.items()}
    np.testing.assert_allclose(session.run(["start_logits"], feed)[0][0], expected, atol=1e-4)


def test_a_new_adapter_builds_a_new_folder(tiny_adapter, tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    other = tmp_path / "other"
    shutil.copytree(tiny_adapter, other)
    assert repro.repro_dir(other) == repro.repro_dir(tiny_adapter)
    (other / "adapter_model.safetensors").write_bytes((other / "adapter_model.safetensors").read_bytes() + b" ")
    assert repro.repro_dir(other) != repro.repro_dir(tiny_adapter)


def test_the_committed_record_describes_the_model_and_readme_quotes_its_scores():
    record = repro.committed_record()
    assert f"adapter {repro.adapter_sha256()[:12]}" in repro.describe_repro() and "41-48 held out" in repro.describe_repro()
    assert record["split"] == {"all": [0, 48], "train": [0, 40], "heldout": [40, 48], "unit": "articles of XQuAD in file order"}
    assert set(record["heldout"]) == set(LANGUAGES) | {"mean"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table(heldout_table(repro.committed_record()["heldout"])) in readme


def test_the_committed_model_answers_in_both_engines_and_spark_nlp_follows_its_documented_rule(spark):
    source = qa.resolve_model("repro")
    weights = (repro.ADAPTER_DIR / "adapter_model.safetensors").read_bytes()
    assert source.adapter_sha256 == hashlib.sha256(weights).hexdigest()  # the model names its adapter
    assert source.adapter_sha256[:12] in str(repro.repro_dir()) and source.adapter_sha256 in source.fingerprint
    for example in qa.model_card_examples():
        assert qa.answer(example.question, example.context, model=source)[0].text == example.answer
    examples = qa.multilingual_examples()
    pairs = [(ex.question, ex.context) for ex in examples]
    found = {
        engine: sum(ex.answer in row.answers[0].text for ex, row in zip(examples, qa.answer_batch(pairs, engine=engine, model=source)))
        for engine in ("transformers", "spark")
    }
    assert found["transformers"] >= 40 and found["spark"] >= 34  # of 44; README has the counts
    # Spark NLP's answers are its documented rule applied to the same weights, with the segment ids the
    # exported graph derives (README, "repro in Spark NLP").
    vocab = spark_engine.pipeline_for(source)[1]
    for example in qa.model_card_examples():
        answer = qa.answer(example.question, example.context, engine="spark", model=source)[0]
        rule = compare.spark_rule_answer(example.question, example.context, vocab, source)
        assert (answer.start, answer.end, answer.text) == (rule.start, rule.end, example.answer)
