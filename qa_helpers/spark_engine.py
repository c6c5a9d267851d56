"""The Spark NLP engine: the model card's pipeline, on DataFrames and on LightPipeline.

The pipeline is exactly the card's: ``MultiDocumentAssembler(question, context) ->
BertForQuestionAnswering``, with ``caseSensitive=True`` and ``maxSentenceLength=512`` set
explicitly (the Python defaults are False and 128). Spark NLP answers with joined word pieces
and token indices; :mod:`qa_helpers.spark_rules` maps them back to a character span.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import spark_rules
from .sources import SPARK_NLP_LANG, SPARK_NLP_NAME, ModelSource, resolve_model
from .spark_session import get_spark
from .types import Answer

MAX_SENTENCE_LENGTH = 512
BATCH_SIZE = 8


def load_qa_model(source: ModelSource):
    """The ``BertForQuestionAnswering`` annotator for ``source`` (pretrained, folder or ONNX import)."""
    from sparknlp.annotator import BertForQuestionAnswering

    get_spark()  # pretrained() and load() use the active session
    if source.spark == SPARK_NLP_NAME:
        model = BertForQuestionAnswering.pretrained(SPARK_NLP_NAME, SPARK_NLP_LANG)
    elif source.spark is None:
        raise ValueError(f"{source} has no Spark NLP model (only a transformers one).")
    else:
        folder = Path(source.spark)
        if not folder.exists():
            if source.onnx is None:
                raise FileNotFoundError(f"Spark NLP model folder {folder} does not exist.")
            import_onnx(source.onnx, folder)
        model = BertForQuestionAnswering.load(str(folder))
    return (
        model.setInputCols(["document_question", "document_context"])
        .setOutputCol("answer")
        .setCaseSensitive(True)
        .setMaxSentenceLength(MAX_SENTENCE_LENGTH)
        .setBatchSize(BATCH_SIZE)
    )


def import_onnx(onnx_folder: str, spark_folder: Path) -> None:
    """``loadSavedModel`` an ONNX export (model.onnx + assets/vocab.txt) and save it for Spark NLP."""
    from sparknlp.annotator import BertForQuestionAnswering

    imported = BertForQuestionAnswering.loadSavedModel(onnx_folder, get_spark())
    staging = spark_folder.with_name(spark_folder.name + ".partial")
    imported.write().overwrite().save(str(staging))
    staging.rename(spark_folder)


def build_pipeline(qa_model):
    """The model card's two-stage pipeline, fitted (nothing to learn) so it can transform."""
    from pyspark.ml import Pipeline
    from sparknlp.base import MultiDocumentAssembler

    assembler = MultiDocumentAssembler().setInputCols(["question", "context"]).setOutputCols(
        ["document_question", "document_context"]
    )
    empty = get_spark().createDataFrame([], "question string, context string")
    return Pipeline(stages=[assembler, qa_model]).fit(empty)


@lru_cache(maxsize=2)
def pipeline_for(source: ModelSource):
    """Fitted pipeline and the model's WordPiece vocabulary (needed to map answers back)."""
    qa_model = load_qa_model(source)
    return build_pipeline(qa_model), vocabulary(qa_model)


def vocabulary(qa_model) -> dict[str, int]:
    """The annotator's vocabulary, read from the JVM in one call."""
    scala_map = qa_model._java_obj.vocabulary().getOrDefault()
    entries = scala_map.mkString("\u0000").split("\u0000")
    return {token: int(index) for token, index in (e.rsplit(" -> ", 1) for e in entries)}


def to_answer(question: str, context: str, annotation, vocab: dict[str, int]) -> Answer:
    """Spark NLP's chunk annotation as an :class:`Answer` with an exact character span."""
    meta = annotation.metadata
    enc = spark_rules.encode(question, context, vocab, MAX_SENTENCE_LENGTH)
    _, start, end = spark_rules.span_from_indices(enc, int(meta["start"]), int(meta["end"]))
    return Answer(
        text=context[start:end],
        start=start,
        end=end,
        score=float(meta["score"]),
        engine_text=annotation.result,
    )


def answer_pairs(pairs: list[tuple[str, str]], model: str | ModelSource | None = None) -> list[Answer]:
    """One answer per pair, in order, through LightPipeline (no DataFrame, low latency)."""
    from sparknlp.base import LightPipeline

    pipeline, vocab = pipeline_for(resolve_model(model))
    if not pairs:
        return []
    questions, contexts = [q for q, _ in pairs], [c for _, c in pairs]
    results = LightPipeline(pipeline).fullAnnotate(questions, contexts)
    return [to_answer(q, c, r["answer"][0], vocab) for q, c, r in zip(questions, contexts, results)]


def answer_dataframe(df, model: str | ModelSource | None = None):
    """Run the pipeline on a DataFrame with ``question`` and ``context`` columns.

    Adds the columns ``answer`` (Spark NLP's annotations), plus ``text``, ``start``, ``end``,
    ``score`` and ``engine_text`` of the mapped :class:`Answer`, row order kept.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    pipeline, vocab = pipeline_for(resolve_model(model))
    schema = T.StructType(
        [
            T.StructField("text", T.StringType()),
            T.StructField("start", T.IntegerType()),
            T.StructField("end", T.IntegerType()),
            T.StructField("score", T.DoubleType()),
            T.StructField("engine_text", T.StringType()),
        ]
    )
    broadcast_vocab = get_spark().sparkContext.broadcast(vocab)

    @F.udf(schema)
    def mapped(question, context, answers):
        a = to_answer(question, context, answers[0], broadcast_vocab.value)
        return (a.text, a.start, a.end, a.score, a.engine_text)

    out = pipeline.transform(df).withColumn("_mapped", mapped("question", "context", "answer"))
    return out.select("*", "_mapped.*").drop("_mapped", "document_question", "document_context")
