"""Bad, long and odd input in both engines: a correct answer or an error that names the problem."""
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qa_helpers as qa
from qa_helpers.engines import spark_engine, transformers_engine
from qa_helpers.engines.spark_session import resolve_jars
from qa_helpers.models.sources import ModelLoadError
from qa_helpers.results import Answer
from qa_helpers.validation import InputError

ENGINES = ["transformers", "spark"]
CARD = qa.model_card_examples()[0]


@pytest.fixture(params=ENGINES)
def engine(request, tiny):
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


def exact(context, answers):
    return all(context[a.start : a.end] == a.text for a in answers)


@pytest.mark.parametrize("question, context, message", [
    ("", CARD.context, "question is empty"),
    (" \t\n\u00a0\u3000", CARD.context, "question is empty"),
    (CARD.question, "", "context is empty"),
    (CARD.question, "\r\n  ", "context is empty"),
])
def test_empty_or_whitespace_text_is_refused_by_name(engine, tiny, question, context, message):
    with pytest.raises(InputError, match=message):
        qa.answer(question, context, engine=engine, model=tiny)


def test_a_question_longer_than_half_the_window_is_refused(engine, tiny):
    question = "Where " * 300 + "do I live?"
    with pytest.raises(InputError, match=r"question is \d+ word pieces long; at most \d+ fit"):
        qa.answer(question, CARD.context, engine=engine, model=tiny)


ODD_TEXT = {
    "emoji outside the BMP": "I live in 🏠 Berkeley 🙂 with 👩‍👩‍👧 my family.",
    "combining marks": "Cafe\u0301 and nai\u0308ve Clara live in Berkeley.",
    "right-to-left marks": "\u200fاسمي كلارا\u200e and I live in Berkeley.",
    "zero-width joiners": "Clara\u200d lives in Ber\u200bkeley.",
    "control characters and NUL": "My name\u0000 is Clara\u0007 and I live in\u001b Berkeley.",
    "CRLF and tabs": "My name is Clara.\r\n\tI live in Berkeley.\r\n",
    "non-breaking and full-width spaces": "My\u00a0name is\u3000Clara and I live in\u2007Berkeley.",
    "mixed scripts": "Clara (克拉拉, Клара, كلارا, क्लारा) lives in Berkeley, ที่เบิร์กลีย์.",
}


@pytest.mark.parametrize("kind", ODD_TEXT)
def test_odd_unicode_gives_exact_spans_in_both_engines(engine, tiny, kind):
    context = ODD_TEXT[kind]
    answers = qa.answer("Where does Clara live?", context, engine=engine, model=tiny)
    assert answers and exact(context, answers)


def test_long_context_is_windowed_for_spark_and_the_best_window_wins(tiny, spark):
    _, vocab = spark_engine.pipeline_for(tiny)
    facts = " ".join(ex.context for ex in qa.multilingual_examples())
    context = " ".join([facts] * 4)
    question = "Where was John Lenon born?"
    windows = spark_engine.plan_windows(question, context, vocab)
    assert len(windows) > 2 and windows[0][0] == 0 and windows[-1][1] == len(context.rstrip())
    assert all(a2 < b1 for (_, b1), (a2, _) in zip(windows, windows[1:]))  # consecutive windows overlap
    got = qa.answer(question, context, engine="spark", model=tiny)[0]
    per_window = [qa.answer(question, context[a:b], engine="spark", model=tiny)[0] for a, b in windows]
    best = max(range(len(windows)), key=lambda k: (*spark_engine.window_rank(per_window[k]), -k))
    assert got.score == per_window[best].score and exact(context, [got])
    if per_window[best].text:
        assert (got.start, got.end) == (per_window[best].start + windows[best][0], per_window[best].end + windows[best][0])
    df = spark.createDataFrame([(question, context)], "question string, context string")
    row = qa.answer_dataframe(df, model=tiny).first()  # the DataFrame path windows the same way
    assert (row.text, row.start, row.end, row.score) == (got.text, got.start, got.end, pytest.approx(got.score))


def test_an_answer_beats_a_higher_scoring_empty_window():
    """An empty answer is the model's "not in this window"; it wins only where every window is empty."""
    empty, low, high = Answer("", 0, 0, 0.99), Answer("Berkeley", 31, 39, 0.4), Answer("Clara", 11, 16, 0.6)
    ranked = sorted([empty, low, high], key=spark_engine.window_rank, reverse=True)
    assert ranked == [high, low, empty]
    assert max([empty, Answer("", 0, 0, 0.5)], key=spark_engine.window_rank).score == 0.99


texts = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs", "Cc", "Cf")), max_size=60
)
words = st.sampled_from([w for ex in qa.multilingual_examples() for w in ex.context.split()])
contexts = st.lists(st.one_of(words, texts), min_size=1, max_size=12).map(" ".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.one_of(words, texts), contexts), min_size=1, max_size=6))
def test_generated_unicode_never_breaks_offsets_or_rows(engine, tiny, rows):
    results = qa.answer_batch(rows, engine=engine, model=tiny)
    assert len(results) == len(rows)
    for (question, context), result in zip(rows, results):
        if result.error:
            assert "is empty or only whitespace" in result.error
            assert not question.strip() or not context.strip()
        else:
            assert exact(context, result.answers)


def test_dataframe_with_bad_rows_keeps_every_row_in_order(tiny, spark):
    long_question = "Where " * 300 + "?"
    rows = [
        (0, CARD.question, CARD.context),
        (1, None, CARD.context),
        (2, CARD.question, "   "),
        (3, long_question, CARD.context),
        (4, CARD.question, None),
        (5, CARD.question, CARD.context),
    ]
    df = spark.createDataFrame(rows, "id int, question string, context string").repartition(3)
    out = qa.answer_dataframe(df.orderBy("id"), model=tiny).collect()
    assert [r.id for r in out] == list(range(6))
    errors = [r.error for r in out]
    assert errors[0] is None and errors[5] is None
    assert "question must be a str" in errors[1] and "context is empty" in errors[2]
    assert "word pieces long" in errors[3] and "context must be a str" in errors[4]
    assert out[0].score == out[5].score and out[1].text is None
    assert CARD.context[out[0].start : out[0].end] == out[0].text


def test_corrupt_or_missing_model_folders_say_so(tiny, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny.transformers, broken)
    (broken / "model.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(ModelLoadError, match="missing files or is corrupt"):
        transformers_engine.load(qa.resolve_model(str(broken)))


def test_pickle_only_weights_are_refused_unless_opted_in(tiny, tiny_torch, tmp_path, monkeypatch):
    import torch

    tokenizer, model = tiny_torch
    folder = tmp_path / "pickle"
    model.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")  # the pickle format of older checkpoints
    with pytest.raises(ModelLoadError, match="only pickle weights"):
        transformers_engine.load(qa.resolve_model(str(folder)))
    monkeypatch.setenv("QA_ALLOW_PICKLE", "1")
    transformers_engine.load.cache_clear()
    assert qa.answer(CARD.question, CARD.context, model=str(folder)) == qa.answer(CARD.question, CARD.context, model=tiny)


def test_real_model_without_network_points_to_the_offline_options(tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    transformers_engine.load.cache_clear()
    with pytest.raises(ModelLoadError, match="QA_MODEL=tiny"):
        transformers_engine.load(qa.resolve_model("real"))


def test_corrupt_spark_model_folder_says_so(tiny, spark, tmp_path):
    broken = tmp_path / "spark"
    shutil.copytree(tiny.spark, broken)
    shutil.rmtree(broken / "metadata")
    (broken / "metadata").mkdir()
    source = qa.ModelSource("broken", "broken copy", None, str(broken))
    with pytest.raises(ModelLoadError, match="could not be loaded"):
        spark_engine.load(source)


def test_context_without_readable_characters_gives_the_documented_empty_results(tiny, spark):
    context = "\u0007\u0000\u001b"
    assert qa.answer(CARD.question, context, model=tiny) == []
    (spark_answer,) = qa.answer(CARD.question, context, engine="spark", model=tiny)
    assert (spark_answer.text, spark_answer.start, spark_answer.end) == ("", 0, 0)


def test_models_that_need_remote_code_are_refused_unless_opted_in(tiny, tmp_path):
    import json

    folder = tmp_path / "remote"
    shutil.copytree(tiny.transformers, folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(model_type="x-custom", auto_map={"AutoConfig": "configuration_x.XConfig",
                                                   "AutoModelForQuestionAnswering": "modeling_x.XModel"})
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="QA_TRUST_REMOTE_CODE=1"):
        transformers_engine.load(qa.resolve_model(str(folder)))


def _saved_copy(tiny, tmp_path: Path, edit_metadata) -> str:
    """A copy of the tiny Spark NLP model with its metadata edited (Hadoop's .crc checksums dropped)."""
    folder = tmp_path / "spark"
    shutil.copytree(tiny.spark, folder)
    for crc in folder.rglob("*.crc"):
        crc.unlink()
    meta_file = folder / "metadata" / "part-00000"
    meta = json.loads(meta_file.read_text())
    edit_metadata(meta, folder)
    meta_file.write_text(json.dumps(meta))
    return str(folder)


def test_a_tensorflow_model_without_tensorflow_natives_names_the_jar_set_and_the_fix(tiny, spark, tmp_path):
    """The real Spark NLP model is TensorFlow; this machine's registry serves only the ONNX-only jar set."""
    if resolve_jars()["mode"] != "onnx-only":
        pytest.skip("the full jar set has TensorFlow natives: there is no missing-natives failure to see")

    def as_tensorflow(meta, folder):
        meta["paramMap"]["engine"] = "tensorflow"
        (folder / "bert_classification_onnx").unlink()
        with zipfile.ZipFile(folder / "bert_classification_tensorflow", "w") as saved_model:
            saved_model.writestr("saved_model.pb", b"the natives fail before this is read")

    source = qa.ModelSource("tf", "TensorFlow-engine copy", None, _saved_copy(tiny, tmp_path, as_tensorflow))
    with pytest.raises(ModelLoadError, match=r"is a TensorFlow model.*jnitensorflow.*QA_SPARK_JARS=full.*QA_MODEL=repro"):
        spark_engine.load(source)


def test_a_model_saved_by_another_spark_nlp_version_says_so(tiny, spark, tmp_path):
    def from_another_version(meta, folder):
        meta["paramMap"]["useContrib"] = True  # a parameter that Spark NLP 2.x models carry and 5.5 does not know

    source = qa.ModelSource("old", "older copy", None, _saved_copy(tiny, tmp_path, from_another_version))
    with pytest.raises(ModelLoadError, match=r"saved by a Spark NLP version other than 5\.5\.3 .*Param useContrib does not exist"):
        spark_engine.load(source)


def test_the_pretrained_model_out_of_reach_points_to_the_offline_options():
    """What pretrained() raised on this machine, whose network reaches no model hub (py4j's text, kept short)."""
    offline = RuntimeError(
        "An error occurred while calling z:com.johnsnowlabs.nlp.pretrained.PythonResourceDownloader.downloadModel.\n"
        ": com.amazonaws.SdkClientException: Unable to execute HTTP request: auxdata.johnsnowlabs.com.s3.amazonaws.com\n"
        "\tat com.amazonaws.http.AmazonHttpClient$RequestExecutor.handleRetryableException(AmazonHttpClient.java:1219)"
    )
    message = spark_engine.explain_load_error(qa.resolve_model("real"), offline)
    assert message.startswith("Could not download bert_qa_bert_multi_cased_finetuned_xquadv1 (xx)")
    assert "(com.amazonaws.SdkClientException: Unable to execute HTTP request" in message and "QA_MODEL=repro" in message
