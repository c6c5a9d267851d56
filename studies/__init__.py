"""The studies: the long jobs that measure the library and write ``results/`` (``python -m studies``).

They sit above ``qa_helpers`` and use it as any reader would; the library never imports them.

- ``evaluation``: XQuAD in both engines, EM and F1, time and memory;
- ``calibration``: what a score means; ``no_answer``: does the model know when the answer is not there;
- ``benchmark``: how fast every path answers, and what lower precision costs; ``int8_profile``: why int8 loses answers;
- ``cluster``: Spark NLP on a standalone cluster; ``decoding_reference``: our decoding against transformers' pipeline;
- ``training``: the run that trains the adapter behind ``repro``;
- ``job``: the one resumable job they all run; ``stored`` and ``loader``: their typed results, written and read back.

Notebooks read committed results with ``studies.load("calibration")`` and ``studies.load_rows(...)``.
"""
from . import benchmark, calibration, cluster, decoding_reference, evaluation, int8_profile, no_answer, training
from .loader import load, load_rows

__all__ = [
    "benchmark", "calibration", "cluster", "decoding_reference", "evaluation", "int8_profile", "load", "load_rows", "no_answer",
    "training",
]
