"""The int8 profile: groups kept in fp32 really are fp32, and a stopped
sensitivity run resumes."""
from pathlib import Path

import numpy as np
import onnx
import pytest

from qa_helpers.models.precision import quantize_onnx
from qa_helpers.models.smoothing import linear_groups
from studies import int8_profile


def test_all_groups_kept_in_fp32_give_fp32_logits_and_none_kept_does_not(tiny, tmp_path, two_pairs, tiny_layers):
    fp32_file = Path(tiny.onnx) / "model.onnx"
    every_node = tuple(n for group in linear_groups(fp32_file, tiny_layers).values() for n in group)
    _, reference = int8_profile._answers_and_logits(fp32_file, "fp32", two_pairs, tiny)
    quantize_onnx(fp32_file, tmp_path / "all.onnx", every_node)
    quantize_onnx(fp32_file, tmp_path / "none.onnx")
    _, kept = int8_profile._answers_and_logits(tmp_path / "all.onnx", "int8", two_pairs, tiny)
    _, quantised = int8_profile._answers_and_logits(tmp_path / "none.onnx", "int8", two_pairs, tiny)
    assert kept.shape == reference.shape and np.abs(kept - reference).max() < 1e-4
    assert np.abs(quantised - reference).max() > 1e-3


def test_sensitivity_measures_every_group_once_and_resumes(tiny, tmp_path, capsys, two_pairs, tiny_layers):
    rows = int8_profile.sensitivity(tiny, int8_profile.model_groups(tiny), two_pairs[:1], tmp_path)
    assert [row.kept_in_fp32 for row in rows][0] == "none" and len(rows) == 2 * tiny_layers + 3
    assert all(row.logit_rms_error >= 0 and 0 <= row.answers_changed <= 1 for row in rows)
    capsys.readouterr()
    assert int8_profile.sensitivity(tiny, int8_profile.model_groups(tiny), two_pairs[:1], tmp_path) == rows
    assert "sensitivity:" not in capsys.readouterr().out  # nothing measured again


def test_the_quantiser_options_give_the_weights_they_name(tiny, tmp_path):
    from onnx import numpy_helper

    fp32_file = Path(tiny.onnx) / "model.onnx"

    def weight_type_and_scales(**options) -> tuple[np.dtype, int]:
        quantize_onnx(fp32_file, tmp_path / "m.onnx", **options)
        graph = onnx.load(str(tmp_path / "m.onnx")).graph
        tensors = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        weight = next(node for node in graph.node if node.op_type == "MatMulInteger").input[1]
        scale = weight.removesuffix("_quantized") + "_scale"
        return tensors[weight].dtype, tensors[scale].size

    assert weight_type_and_scales()[0] == np.int8
    per_tensor = weight_type_and_scales(per_channel=False)
    assert per_tensor == (np.int8, 1)
    assert weight_type_and_scales(weights="uint8")[0] == np.uint8 and weight_type_and_scales()[1] > 1
    with pytest.raises(ValueError, match="weights must be one of"):
        quantize_onnx(fp32_file, tmp_path / "m.onnx", weights="int4")


def test_smoothing_strengths_are_measured_once_each_and_resume(tiny, tmp_path, capsys, two_pairs):
    rows = int8_profile.strengths(tiny, two_pairs[:1], tmp_path)
    assert [row.alpha for row in rows] == list(int8_profile.ALPHAS)
    assert all(row.logit_rms_error > 0 and 0 <= row.answers_changed <= 1 for row in rows)
    capsys.readouterr()
    assert int8_profile.strengths(tiny, two_pairs[:1], tmp_path) == rows
    assert "smoothing strength" not in capsys.readouterr().out
