"""The tutorial's library: ``import qa_helpers as qa``.

Start here: ``qa.answer(question, context, engine="transformers" | "spark")``. The names below are what the
chapters call; the subpackages show the design, each floor importing only the floors below it:

- ``config``, ``results``, ``validation``, ``examples``, ``xquad``, ``metrics``: settings, result types, data and scores;
  ``installing``: Spark NLP on demand (the engineering track);
- ``models``: where models come from (resolution, offline builders, Maven, ONNX export, precision);
- ``engines``: transformers and Spark NLP behind one interface; ``decoding``: spans from logits;
- ``api``: the door (one call, either engine); ``analysis``: the engines compared, the languages toured, logits drawn;
- ``finetune``: the recipe that trains the adapter behind ``repro``.

The studies that measure all this and write ``results/`` live above the library, in ``studies``.
"""
from . import finetune, metrics  # noqa: I001  (after the engines: finetune builds on them)
from .analysis import compare, multilingual, plotting
from .analysis.ask import answer_report, ask_widget
from .analysis.highlight import highlight_html
from .api import answer, answer_batch, answer_dataframe, logits
from .decoding import masked_softmax, softmax_positions, top_spans
from .engines import spark_engine, spark_rules, transformers_engine
from .engines.spark_session import get_spark
from .installing import install_spark, say_if_restart_needed
from .examples import LANGUAGES, Example, model_card_examples, multilingual_examples
from .models import mbert, precision, repro, smoothing
from .models.onnx_export import export_for_spark
from .models.sources import ModelLoadError, ModelSource, describe, resolve_model
from .results import Answer, RowResult, TokenLogits, context_mask
from .validation import InputError
from .xquad import SPLITS, load_xquad, long_documents, split_label

__all__ = [
    # answering, with either engine
    "answer", "answer_batch", "answer_dataframe", "logits", "Answer", "RowResult", "TokenLogits", "InputError",
    # which model
    "ModelLoadError", "ModelSource", "describe", "resolve_model", "export_for_spark", "get_spark", "install_spark",
    # examples and data
    "LANGUAGES", "Example", "model_card_examples", "multilingual_examples", "SPLITS", "load_xquad", "long_documents",
    "split_label",
    # what the chapters build
    "answer_report", "ask_widget", "context_mask", "highlight_html", "masked_softmax", "softmax_positions", "top_spans",
    # the modules a chapter teaches, by name: qa.spark_rules.encode(...)
    "transformers_engine", "spark_engine", "spark_rules", "compare", "multilingual", "plotting", "metrics", "mbert",
    "repro", "finetune", "precision", "smoothing",
]

say_if_restart_needed()  # after a Colab set-up cell that replaced a module this session had imported
