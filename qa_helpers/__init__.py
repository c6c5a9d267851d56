"""Support package of the multilingual extractive QA tutorial: ``import qa_helpers as qa``.

Start here: ``qa.answer(question, context, engine="transformers" | "spark")``. Everything the
notebooks call is reachable from this one namespace; the subpackages show the design:

- ``models``: where models come from (resolution, offline builders, Maven, ONNX export, fine-tuning);
- ``engines``: transformers and Spark NLP behind one interface, and Spark NLP on a standalone cluster;
- ``analysis``: the engines compared, the languages toured, logits drawn, answers highlighted;
- ``evaluation``: XQuAD, metrics, the evaluation runner, calibration, no answer, the benchmark and its int8 profile,
  committed results.
"""
from .analysis import compare, multilingual, plotting
from .analysis.ask import answer_report, ask_widget
from .analysis.highlight import highlight_html
from .api import ENGINES, answer, answer_batch, answer_dataframe, logits
from .decoding import masked_softmax, softmax_positions, top_spans
from .engines import get_engine, spark_cluster, spark_engine, spark_rules, transformers_engine
from .engines.spark_session import get_spark
from .evaluation import benchmark, calibration, int8_profile, metrics, no_answer, runner
from .evaluation.xquad import SPLITS, load_xquad, long_documents, split_label
from .examples import LANGUAGES, Example, model_card_examples, multilingual_examples
from .models import finetune, mbert, precision, repro
from .models.onnx_export import export_for_spark
from .models.sources import ModelLoadError, ModelSource, describe, resolve_model
from .results import Answer, RowResult, TokenLogits, context_mask
from .validation import InputError

__all__ = [
    # answering, with either engine
    "ENGINES", "answer", "answer_batch", "answer_dataframe", "get_engine", "logits",
    "Answer", "RowResult", "TokenLogits", "InputError",
    # which model
    "ModelLoadError", "ModelSource", "describe", "resolve_model",
    # examples and data
    "LANGUAGES", "Example", "model_card_examples", "multilingual_examples",
    "SPLITS", "load_xquad", "long_documents", "split_label",
    # what the chapters build
    "answer_report", "ask_widget", "context_mask", "export_for_spark", "get_spark", "highlight_html", "masked_softmax",
    "softmax_positions", "top_spans",
    # the modules a chapter teaches, by name: qa.spark_rules.encode(...)
    "transformers_engine", "spark_engine", "spark_rules", "spark_cluster", "compare", "multilingual", "plotting",
    "metrics", "runner", "calibration", "no_answer", "benchmark", "int8_profile", "mbert", "finetune", "precision", "repro",
]
