"""The stored notebook outputs hold on any CPU: `make test` re-computes them on another code path (tools/cpu_path.py).

These tests make sure that check means something: the other path really changes the arithmetic of the model the
notebooks run (so nbval passing there shows the printed digits do not depend on it), and the one output that depends on
the machine by nature (int8 and bf16 scores, kept out of nbval's exact comparison) holds within a stated tolerance.
"""
import json
import os
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest

import qa_helpers as qa
from tools import ROOT
from tools.cpu_path import OTHER_CPU_PATH

pytestmark = pytest.mark.slow

PROBE = """
import json, torch
import qa_helpers as qa
tl = qa.logits("Where do I live?", "My name is Clara and I live in Berkeley.", model=qa.resolve_model("repro"))
print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
                  "start": tl.start_logits.tolist(), "end": tl.end_logits.tolist()}))
"""


def probe(extra_env: dict[str, str]) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in OTHER_CPU_PATH}
    env.update(extra_env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_other_cpu_path_changes_the_models_last_digits_and_nothing_more():
    default, other = probe({}), probe(OTHER_CPU_PATH)
    assert other["capability"] == "AVX2" and other["threads"] == 1
    assert default["threads"] == min(2, os.cpu_count() or 1) or default["threads"] >= 2
    difference = np.abs(np.array(default["start"] + default["end"]) - np.array(other["start"] + other["end"]))
    if default["capability"] != "AVX2":  # a CPU with AVX-512: another kernel, so other rounding
        assert difference.max() > 0, "the other code path computed bit-identical logits: it is not another path"
    assert difference.max() < 1e-3  # ...in the last digits only: logits are printed to 2 decimals


PRECISION_CELL = "for engine, precision in"
TOLERANCE = {"fp32": 0.002, "bf16": 0.03, "int8": 0.03}  # int8 and bf16 kernels differ between CPUs more than fp32


def stored_precision_rows() -> list[tuple[str, str, str, float]]:
    nb = nbformat.read(ROOT / "notebooks" / "09_performance.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and PRECISION_CELL in c.source)
    assert "nbval-ignore-output" in cell.metadata.get("tags", [])  # machine-dependent: checked here instead
    table = next(o for o in cell.outputs if o.get("output_type") == "execute_result")["data"]["text/plain"]
    rows = [m.groups() for m in re.finditer(r"^\d+\s+(\w+)\s+(\w+)\s+(\S+)\s+([\d.]+)\s*$", table, re.M)]
    return [(engine, precision, text, float(score)) for engine, precision, text, score in rows]


def test_the_stored_scores_of_each_precision_hold_here_within_their_tolerance(spark):
    rows = stored_precision_rows()
    assert {(engine, precision) for engine, precision, _, _ in rows} == {
        ("transformers", "fp32"), ("transformers", "bf16"), ("transformers", "int8"), ("spark", "fp32"), ("spark", "int8")}
    example = qa.model_card_examples()[0]
    for engine, precision, text, score in rows:
        best = qa.answer(example.question, example.context, engine=engine, model=qa.resolve_model("repro", precision=precision))[0]
        assert best.text == text, (engine, precision)
        assert abs(best.score - score) <= TOLERANCE[precision], (engine, precision, best.score, score)


def test_the_int8_model_keeps_its_answers_on_this_cpu(spark):
    """Full-range int8 weights saturate ONNX Runtime's u8 x s8 kernel on a CPU without VNNI (AVX2 alone) and the
    model loses its answers there (measured on an AMD EPYC Zen 3: "What's my name?" -> "is"); 7-bit weights do not."""
    source = qa.resolve_model("repro")
    examples = qa.multilingual_examples()
    pairs = [(ex.question, ex.context) for ex in examples]
    for engine in ("transformers", "spark"):
        fp32 = [row.answers[0].text for row in qa.answer_batch(pairs, engine=engine, model=source)]
        int8 = [row.answers[0].text for row in qa.answer_batch(pairs, engine=engine, model=qa.resolve_model(source, "int8"))]
        same = sum(a == b for a, b in zip(fp32, int8))
        assert same >= 0.7 * len(pairs), (engine, same, len(pairs))  # saturated weights keep almost none
