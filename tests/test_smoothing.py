"""Smoothing before int8: the quantised nodes found and grouped, the fp32 function unchanged, the activation's outlier
channels brought down, and the scales as the formula says."""
from pathlib import Path

import numpy as np
import onnx
import pytest

from qa_helpers.engines import transformers_engine
from qa_helpers.models import precision, smoothing
from qa_helpers.xquad import load_xquad
from studies import int8_profile


def _windows(tiny, pairs):
    tokenizer = transformers_engine.load(tiny)[0]
    encoded = [transformers_engine.encode(tokenizer, q, c) for q, c in pairs]
    return [(ids, types) for w in encoded for ids, types in zip(w.input_ids, w.token_type_ids)]


def test_every_linear_layer_is_in_exactly_one_group(tiny, tiny_layers):
    layers = tiny_layers
    groups = smoothing.linear_groups(Path(tiny.onnx) / "model.onnx", layers)
    assert list(groups)[0] == "embeddings" and len(groups["embeddings"]) == 3  # words, positions, token types
    assert list(groups)[-1] == "QA head" and len(groups) == 2 * layers + 2
    assert [len(groups[f"layer {k} attention"]) for k in range(layers)] == [4] * layers
    assert [len(groups[f"layer {k} feed-forward"]) for k in range(layers)] == [2] * layers
    nodes = [node for name, group in groups.items() if name != "embeddings" for node in group]
    assert len(nodes) == len(set(nodes)) == 6 * layers + 1
    with pytest.raises(ValueError, match="linear MatMuls"):
        smoothing.linear_groups(Path(tiny.onnx) / "model.onnx", layers + 1)


def test_smoothing_keeps_the_fp32_answers_and_evens_out_the_channels(tiny, tmp_path, two_pairs, tiny_layers):
    fp32_file = Path(tiny.onnx) / "model.onnx"
    groups = smoothing.linear_groups(fp32_file, tiny_layers)
    linear = [node for name, group in groups.items() if name not in ("embeddings", "QA head") for node in group]
    windows = _windows(tiny, two_pairs)
    maxima = smoothing.channel_maxima(fp32_file, linear, windows)
    assert all(maxima[node].ndim == 1 and (maxima[node] >= 0).all() for node in linear)
    smoothing.smooth(fp32_file, tmp_path / "smoothed.onnx", maxima, alpha=0.5)
    answers, reference = int8_profile._answers_and_logits(fp32_file, "fp32", two_pairs, tiny)
    smoothed_answers, smoothed = int8_profile._answers_and_logits(tmp_path / "smoothed.onnx", "fp32", two_pairs, tiny)
    assert smoothed_answers == answers and np.abs(smoothed - reference).max() < 1e-4
    graph = onnx.load(str(tmp_path / "smoothed.onnx")).graph
    assert sum(node.op_type == "Mul" and node.name.endswith(".smooth") for node in graph.node) == len(linear)
    # what the quantiser now sees: each smoothed input's channels, divided by their scales
    after = smoothing.channel_maxima(tmp_path / "smoothed.onnx", linear, windows)
    spread = [maxima[node].max() / np.median(maxima[node]) for node in linear]
    spread_after = [after[node].max() / np.median(after[node]) for node in linear]
    assert np.mean(spread_after) < np.mean(spread)


def test_scales_follow_the_formula_and_never_enlarge_a_channel():
    activation_max = np.array([16.0, 1.0, 0.0, 0.01], dtype=np.float32)
    weight = np.array([[0.25, -1.0], [1.0, 0.5], [0.5, 0.5], [0.0, 0.0]], dtype=np.float32)  # inputs x outputs
    scales = smoothing.smoothing_scales(activation_max, weight, alpha=0.5)
    assert scales.tolist() == [4.0, 1.0, 1.0, 1.0]  # sqrt(16 / 1); sqrt(1 / 1); never seen; a zero weight row
    assert smoothing.smoothing_scales(np.array([0.01], np.float32), np.array([[4.0]], np.float32), 0.5).tolist() == [1.0]
    with pytest.raises(ValueError, match="alpha"):
        smoothing.smoothing_scales(activation_max, weight, alpha=1.5)


def test_smooth_refuses_what_it_cannot_smooth(tiny, tmp_path, two_pairs):
    fp32_file = Path(tiny.onnx) / "model.onnx"
    with pytest.raises(ValueError, match="no MatMul named"):
        smoothing.channel_maxima(fp32_file, ["no such node"], _windows(tiny, two_pairs[:1]))
    layer_norm = next(node.name for node in onnx.load(str(fp32_file)).graph.node if node.op_type == "LayerNormalization")
    with pytest.raises(ValueError, match="not a MatMul with a weight"):
        smoothing.smooth(fp32_file, tmp_path / "out.onnx", {layer_norm: np.ones(4, np.float32)}, 0.5)


def test_calibration_takes_training_questions_only_one_window_each_in_the_engines_tokens(tiny):
    from qa_helpers.examples import LANGUAGES

    windows = precision.calibration_windows(Path(tiny.onnx), per_lang=2)
    assert len(windows) == 2 * len(LANGUAGES)
    tokenizer = transformers_engine.load(tiny)[0]
    first = load_xquad("en", split="fit")[0]  # articles 1-36: never the held-out ones
    ids, types = windows[2 * LANGUAGES.index("en")]
    assert ids == transformers_engine.encode(tokenizer, first.question, first.context).input_ids[0]
    assert all(len(ids) == len(types) <= precision.CALIBRATION_WINDOW for ids, types in windows)
    assert not any(tokenizer.unk_token_id in ids for ids, _ in windows[2 * LANGUAGES.index("el"):][:2])  # Greek read


def test_the_shipped_int8_model_is_smoothed_in_its_feed_forward_layers_only(tiny):
    graph = onnx.load(str(precision.ensure_int8_onnx(tiny.onnx, tiny.transformers) / "model.onnx"), load_external_data=False).graph
    smoothed = {node.name.removesuffix(".smooth") for node in graph.node if node.name.endswith(".smooth")}
    groups = smoothing.linear_groups(Path(tiny.onnx) / "model.onnx")
    assert smoothed == {node for name, nodes in groups.items() if name.endswith("feed-forward") for node in nodes}
    assert all(node.op_type == "Mul" for node in graph.node if node.name.endswith(".smooth"))  # left in fp32
