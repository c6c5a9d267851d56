"""fp32, bf16 and int8: how a precision is chosen, what each engine runs, and the int8 ONNX model built once."""
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

import qa_helpers as qa
from qa_helpers.engines import spark_engine, transformers_engine
from qa_helpers.models import precision
from studies import benchmark

QUESTION, CONTEXT = "Who wrote the book?", "The book was written by Maria Lopez in 1990."


def test_precision_comes_from_the_argument_then_the_environment_then_fp32(monkeypatch, tiny):
    monkeypatch.delenv("QA_PRECISION", raising=False)
    assert qa.resolve_model("tiny").precision == "fp32"
    monkeypatch.setenv("QA_PRECISION", "int8")
    assert qa.resolve_model("tiny").precision == "int8" and "[run in int8]" in str(qa.resolve_model("tiny"))
    assert qa.resolve_model("tiny", precision="bf16").precision == "bf16"
    assert qa.resolve_model(tiny).precision == "fp32"  # a source passed in keeps its own
    monkeypatch.setenv("QA_PRECISION", "fp16")
    with pytest.raises(ValueError, match="fp16"):
        qa.resolve_model("tiny")


def test_int8_runs_the_int8_onnx_model_and_bf16_stays_close_to_fp32(tiny):
    _, int8_model = transformers_engine.load(qa.resolve_model(tiny, precision="int8"))
    assert isinstance(int8_model, transformers_engine.OnnxRuntimeQA)  # the same int8 model as Spark NLP's
    ids = transformers_engine.encode(transformers_engine.load(tiny)[0], QUESTION, CONTEXT)
    int8_file = precision.ensure_int8_onnx(tiny.onnx, tiny.transformers) / "model.onnx"
    ort_int8 = benchmark.onnx_forward(str(int8_file), "int8")(ids.input_ids, ids.token_type_ids)[0]
    ours = transformers_engine.forward(int8_model, ids.input_ids, ids.token_type_ids, "int8")[0]
    assert np.array_equal(ours[0], ort_int8[0]) and np.array_equal(ours[1], ort_int8[1])
    fp32 = transformers_engine.forward(transformers_engine.load(tiny)[1], ids.input_ids, ids.token_type_ids)[0][0]
    bf16 = transformers_engine.forward(transformers_engine.load(tiny)[1], ids.input_ids, ids.token_type_ids, "bf16")[0][0]
    assert bf16.dtype == np.float32 and not np.array_equal(bf16, fp32)  # it ran in bf16 ...
    assert np.corrcoef(bf16, fp32)[0, 1] > 0.99  # ... and says nearly the same thing
    for name in precision.PRECISIONS:
        answer = qa.answer(QUESTION, CONTEXT, model=qa.resolve_model(tiny, precision=name))[0]
        assert CONTEXT[answer.start : answer.end] == answer.text


def test_in_int8_an_answer_does_not_depend_on_the_other_questions_in_its_batch(tiny, spark):
    tokenizer, model = transformers_engine.load(qa.resolve_model(tiny, precision="int8"))
    ours = transformers_engine.encode(tokenizer, QUESTION, CONTEXT)
    other = transformers_engine.encode(tokenizer, "What else happened?", "Entirely different words, repeated. " * 12)
    ort_int8 = benchmark.onnx_forward(str(precision.ensure_int8_onnx(tiny.onnx, tiny.transformers) / "model.onnx"), "int8")
    for forward in (lambda ids, types: transformers_engine.forward(model, ids, types, "int8"), ort_int8):
        alone = forward(ours.input_ids, ours.token_type_ids)[0]
        in_company = forward(other.input_ids + ours.input_ids, other.token_type_ids + ours.token_type_ids)[-1]
        assert np.array_equal(alone[0], in_company[0]) and np.array_equal(alone[1], in_company[1])
    assert spark_engine.load(qa.resolve_model(tiny, precision="int8")).getBatchSize() == 1
    assert spark_engine.load(tiny).getBatchSize() == spark_engine.BATCH_SIZE


def test_the_int8_onnx_model_is_built_once_with_integer_matmuls(tiny):
    folder = precision.ensure_int8_onnx(tiny.onnx, tiny.transformers)
    graph = onnx.load(str(folder / "model.onnx"))
    ops = {node.op_type for node in graph.graph.node}
    assert {"MatMulInteger", "DynamicQuantizeLinear"} <= ops and graph.ir_version <= 10
    assert (folder / "assets" / "vocab.txt").read_bytes() == (Path(tiny.onnx) / "assets" / "vocab.txt").read_bytes()
    built = (folder / "model.onnx").stat().st_mtime_ns
    assert precision.ensure_int8_onnx(tiny.onnx, tiny.transformers) == folder
    assert (folder / "model.onnx").stat().st_mtime_ns == built and not list(folder.parent.glob("*.partial"))


def test_a_rebuilt_model_gets_a_new_int8_model_and_the_build_prints_no_warning(tiny, tmp_path, capfd):
    own = tmp_path / "own-onnx"
    shutil.copytree(tiny.onnx, own)
    handlers = list(logging.getLogger().handlers)
    first = precision.ensure_int8_onnx(str(own), None)
    assert capfd.readouterr().err == ""  # a notebook cell that builds it shows no stderr (nbval compares them)
    assert logging.getLogger().handlers == handlers and not logging.getLogger().filters
    os.utime(own / "model.onnx", ns=(1, 1))  # the fp32 model rebuilt in the same folder
    assert precision.int8_folder(str(own)) != first.parent
    assert precision.ensure_int8_onnx(str(own), None) != first


def test_spark_nlp_runs_the_int8_model_and_refuses_bf16_by_name(tiny, spark):
    answer = qa.answer(QUESTION, CONTEXT, engine="spark", model=qa.resolve_model(tiny, precision="int8"))[0]
    assert CONTEXT[answer.start : answer.end] == answer.text
    with pytest.raises(ValueError, match="bf16"):
        qa.answer(QUESTION, CONTEXT, engine="spark", model=qa.resolve_model(tiny, precision="bf16"))
