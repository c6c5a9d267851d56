"""Building `repro`: pretrained model + committed adapter, merged, exported, the same in both engines.

These tests merge an adapter trained here on the tiny model (the pretrained mBERT stands in as
the tiny model's folder), so they check the build itself in seconds; the real build runs in
`make prepare`, and the notebooks show its answers.
"""
import shutil

import numpy as np
import pytest

from qa_helpers import finetune as ft
from qa_helpers import mbert, repro, sources


@pytest.fixture(scope="module")
def tiny_adapter(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    config = ft.TrainConfig(base=tiny.transformers, languages=("en",), limit_per_language=4, batch_size=4, lora_r=4, lora_alpha=8)
    ft.finetune(config, out, progress=False, evaluate=False)
    return out / "adapter"


def test_missing_adapter_names_the_fix(tmp_path):
    with pytest.raises(repro.ReproError, match="missing adapter_config.json, adapter_model.safetensors.*git checkout"):
        repro.ensure_repro(tmp_path)


def test_merged_weights_give_the_adapted_models_logits_in_torch_and_onnx(tiny, tiny_adapter, tmp_path, monkeypatch):
    import onnxruntime as ort
    import torch
    from peft import PeftModel
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    monkeypatch.setattr(mbert, "ensure_mbert", lambda: tiny.transformers)
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


def test_the_committed_adapter_and_its_record_describe_the_model():
    assert "fine-tuned on XQuAD articles 1-40" in repro.describe_repro()
    assert repro.ADAPTER_DIR.parent == sources.Path(repro.__file__).parent / "data" / "repro"
