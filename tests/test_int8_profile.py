"""The int8 profile: groups kept in fp32 really are fp32, and a stopped
sensitivity run resumes."""
from pathlib import Path

import numpy as np

from qa_helpers.engines import transformers_engine
from qa_helpers.models.precision import quantize_onnx
from qa_helpers.models.smoothing import linear_groups
from studies import int8_profile

PAIRS = [("Who wrote the book?", "The book was written by Maria Lopez in 1990."),
         ("Wo liegt Berlin?", "Berlin liegt in Deutschland, an der Spree.")]


def _layers(tiny) -> int:
    return transformers_engine.load(tiny)[1].config.num_hidden_layers


def test_all_groups_kept_in_fp32_give_fp32_logits_and_none_kept_does_not(tiny, tmp_path):
    fp32_file = Path(tiny.onnx) / "model.onnx"
    every_node = tuple(n for group in linear_groups(fp32_file, _layers(tiny)).values() for n in group)
    _, reference = int8_profile._answers_and_logits(fp32_file, "fp32", PAIRS, tiny)
    quantize_onnx(fp32_file, tmp_path / "all.onnx", every_node)
    quantize_onnx(fp32_file, tmp_path / "none.onnx")
    _, kept = int8_profile._answers_and_logits(tmp_path / "all.onnx", "int8", PAIRS, tiny)
    _, quantised = int8_profile._answers_and_logits(tmp_path / "none.onnx", "int8", PAIRS, tiny)
    assert kept.shape == reference.shape and np.abs(kept - reference).max() < 1e-4
    assert np.abs(quantised - reference).max() > 1e-3


def test_sensitivity_measures_every_group_once_and_resumes(tiny, tmp_path, capsys):
    rows = int8_profile.sensitivity(tiny, int8_profile.model_groups(tiny), PAIRS[:1], tmp_path)
    assert [row.kept_in_fp32 for row in rows][0] == "none" and len(rows) == 2 * _layers(tiny) + 3
    assert all(row.logit_rms_error >= 0 and 0 <= row.answers_changed <= 1 for row in rows)
    capsys.readouterr()
    assert int8_profile.sensitivity(tiny, int8_profile.model_groups(tiny), PAIRS[:1], tmp_path) == rows
    assert "sensitivity:" not in capsys.readouterr().out  # nothing measured again
