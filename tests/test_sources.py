"""Model sources: one variable chooses, folders are recognised, the real path works offline."""
import shutil
import warnings

import pytest

import qa_helpers as qa
from qa_helpers.engines import transformers_engine
from qa_helpers.models import sources


def test_qa_model_variable_chooses_and_every_entry_point_can_name_it(monkeypatch, tiny):
    monkeypatch.setenv("QA_MODEL", "tiny")
    assert qa.resolve_model() == tiny
    assert qa.describe().startswith("Active model -> tiny")
    monkeypatch.delenv("QA_MODEL")
    assert qa.resolve_model().is_real and "mrm8488/bert-multi-cased-finetuned-xquadv1" in qa.describe()


def test_folders_of_each_kind_are_recognised(tiny, tmp_path):
    assert qa.resolve_model(tiny.transformers).transformers == tiny.transformers
    assert qa.resolve_model(tiny.transformers).spark is None
    onnx_only = qa.resolve_model(tiny.onnx)
    assert onnx_only.onnx == tiny.onnx and onnx_only.transformers is None
    both = qa.resolve_model(str(sources.Path(tiny.transformers).parent))
    assert both.transformers == tiny.transformers and both.onnx == tiny.onnx


def test_bad_folders_say_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither 'real', 'repro', 'tiny', 'auto' nor an existing folder"):
        qa.resolve_model(str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="holds no model"):
        qa.resolve_model(str(tmp_path))


def test_engine_without_its_model_says_so(tiny):
    only_hf = qa.resolve_model(tiny.transformers)
    from qa_helpers.engines import spark_engine
    with pytest.raises(ValueError, match="has no Spark NLP model"):
        spark_engine.load(only_hf)


def test_real_hub_id_loads_through_from_pretrained_from_a_local_hub_cache(tiny, tmp_path, monkeypatch):
    """The default path, `from_pretrained("mrm8488/...")`, served offline by a filled HF cache."""
    snapshot = tmp_path / "hub" / "models--mrm8488--bert-multi-cased-finetuned-xquadv1"
    commit = "0" * 40
    shutil.copytree(tiny.transformers, snapshot / "snapshots" / commit)
    (snapshot / "refs").mkdir()
    (snapshot / "refs" / "main").write_text(commit)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    transformers_engine.load.cache_clear()
    try:
        ex = qa.model_card_examples()[0]
        real = qa.answer(ex.question, ex.context, model="real", top_k=3)
        assert real == qa.answer(ex.question, ex.context, model=tiny, top_k=3)
        assert sources.hub_reachable()  # the config is in the local cache
    finally:
        transformers_engine.load.cache_clear()


def test_auto_takes_real_then_repro_then_tiny_and_says_which(monkeypatch, tiny, capsys):
    def no_repro():
        raise sources.ModelLoadError("no adapter here")

    monkeypatch.setattr(sources, "hub_reachable", lambda: False)
    stand_in = sources.ModelSource("repro", "stand-in for the reproduction", tiny.transformers, None)
    sources._resolve.cache_clear()
    try:
        monkeypatch.setattr(sources, "repro_source", lambda: stand_in)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # falling back to a trained model is one plain line, not a warning
            assert qa.resolve_model("auto") == stand_in
        assert capsys.readouterr().out == "QA_MODEL=auto: the Hugging Face hub is out of reach, so the offline reproduction (repro) answers.\n"
        sources._resolve.cache_clear()
        monkeypatch.setattr(sources, "repro_source", no_repro)
        with pytest.warns(UserWarning, match="(?s)could not be.*no adapter here.*TINY RANDOM"):
            assert qa.resolve_model("auto") == tiny
        sources._resolve.cache_clear()
        monkeypatch.setattr(sources, "hub_reachable", lambda: True)
        assert qa.resolve_model("auto").is_real
    finally:
        sources._resolve.cache_clear()


def test_the_hub_probe_is_one_short_silent_try_when_the_host_is_unknown(monkeypatch, tmp_path, capfd):
    import time

    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))  # nothing cached
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", "https://no-such-host.invalid")
    started = time.perf_counter()
    assert sources.hub_reachable(timeout_s=1.0) is False
    assert time.perf_counter() - started < 5  # a download attempt retries for about 23 s
    assert capfd.readouterr() == ("", "")


def test_spark_settings_come_from_the_environment_in_one_place(monkeypatch):
    from qa_helpers import config

    for name in ("QA_SPARK_MASTER", "QA_SPARK_EXECUTOR_MEMORY", "QA_ONNX_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert config.spark_settings() == config.SparkSettings()
    monkeypatch.setenv("QA_SPARK_MASTER", "spark://127.0.0.1:7077")
    monkeypatch.setenv("QA_ONNX_THREADS", "1")
    assert config.spark_settings() == config.SparkSettings(master="spark://127.0.0.1:7077", onnx_threads=1)
    monkeypatch.setenv("QA_SPARK_JARS", "some")
    with pytest.raises(ValueError, match="QA_SPARK_JARS must be 'full' or 'onnx-only'"):
        config.spark_jars_mode()


def test_a_trained_model_is_fingerprinted_by_its_adapter(tiny):
    repro_like = qa.ModelSource("repro", "trained", None, None, adapter_sha256="c" * 64)
    assert repro_like.fingerprint == f"repro, fp32, adapter {'c' * 64}"
    assert tiny.fingerprint == "tiny, fp32" and qa.resolve_model(tiny, "int8").fingerprint == "tiny, int8"
