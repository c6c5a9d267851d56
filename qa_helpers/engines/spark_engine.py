"""The Spark NLP engine: the model card's pipeline, on DataFrames and on LightPipeline.

The pipeline is exactly the card's: ``MultiDocumentAssembler(question, context) ->
BertForQuestionAnswering``, with ``caseSensitive=True`` and ``maxSentenceLength=512`` set
explicitly (the Python defaults are False and 128). Spark NLP answers with joined word pieces
and token indices; :mod:`qa_helpers.engines.spark_rules` maps them back to a character span.

Spark NLP itself cuts a context at ``maxSentenceLength``. To find answers anywhere in a long
context, :func:`plan_windows` cuts it into overlapping windows of whole words that each fit;
every window is answered and the best answer wins (:func:`window_rank`).
"""
from __future__ import annotations

import contextlib
import io
import re
from functools import lru_cache
from pathlib import Path

from ..config import MAX_POSITIONS
from ..models.precision import batch_size, ensure_int8_onnx, int8_folder
from ..models.sources import OFFLINE_FIX, SPARK_NLP_LANG, SPARK_NLP_NAME, ModelLoadError, ModelSource
from ..results import Answer, RowResult
from ..validation import InputError, check_question_length, pair_error
from . import spark_rules
from .spark_session import SPARK_NLP_VERSION, discard_load_copies, get_spark

__all__ = [
    "BATCH_SIZE", "MAX_TOP_K", "NAME", "NLU_REFERENCE", "STRIDE", "WINDOW_LENGTH", "abstains", "answer_dataframe", "answer_rows",
    "build_pipeline", "encode", "import_onnx", "load", "nlu_pipeline", "pipeline_for", "plan_windows", "to_answer",
    "vocabulary", "window_rank",
]

NAME = "spark"
WINDOW_LENGTH = MAX_POSITIONS  # word pieces per model input (maxSentenceLength): Spark NLP cuts the rest
STRIDE = 128  # word pieces shared by consecutive windows of a long context
MAX_TOP_K = 1  # Spark NLP returns one answer per question
BATCH_SIZE = 8
NLU_REFERENCE = "xx.answer_question.xquad.bert.cased"  # the model card's NLU one-liner names the model so


@lru_cache(maxsize=3)
def load(source: ModelSource):
    """The ``BertForQuestionAnswering`` annotator for ``source`` (pretrained, folder or ONNX import; in int8,
    the int8 ONNX model imported the same way).

    Loaded once per model and process, and shared by every pipeline built on it (:func:`pipeline_for`):
    each load costs seconds and a copy of the model in the JVM's temporary folder that lives as long
    as the JVM. Parameters set on the returned annotator therefore reach those pipelines too.
    """
    from sparknlp.annotator import BertForQuestionAnswering

    if source.spark is None:
        raise ValueError(f"{source} has no Spark NLP model (only a transformers one).")
    if source.precision == "bf16":
        raise ValueError("Spark NLP has no bf16 path (its ONNX Runtime runs fp32 or int8): use precision fp32 or int8.")
    get_spark()  # pretrained() and load() use the active session
    try:
        if source.precision == "int8":
            folder = int8_folder(source.onnx or str(source.transformers)) / "spark"
            if not folder.exists():
                import_onnx(str(ensure_int8_onnx(source.onnx, source.transformers)), folder)
            model = BertForQuestionAnswering.load(str(folder))
        elif source.spark == SPARK_NLP_NAME:
            model = BertForQuestionAnswering.pretrained(SPARK_NLP_NAME, SPARK_NLP_LANG)
        else:
            folder = Path(source.spark)
            if not folder.exists():
                if source.onnx is None:
                    raise FileNotFoundError(f"Spark NLP model folder {folder} does not exist.")
                import_onnx(source.onnx, folder)
            model = BertForQuestionAnswering.load(str(folder))
    except FileNotFoundError:
        raise
    except Exception as err:  # py4j wraps every JVM failure in Py4JJavaError
        raise ModelLoadError(explain_load_error(source, err)) from err
    finally:
        discard_load_copies()
    return (
        model.setInputCols(["document_question", "document_context"])
        .setOutputCol("answer")
        .setCaseSensitive(True)
        .setMaxSentenceLength(WINDOW_LENGTH)
        .setBatchSize(batch_size(source.precision, BATCH_SIZE))
    )


def nlu_pipeline(source: ModelSource):
    """The model card's third way in, ``nlu.load(NLU_REFERENCE)``, on the active model.

    NLU resolves the reference to SPARK_NLP_NAME and downloads the real model; an offline model's
    folder goes in with ``path=``. :func:`load` runs first: it starts our session, which NLU then
    uses instead of starting its own with the full jar set, and imports an ONNX export if needed.
    """
    import nlu

    load(source)
    # nlu.load calls sparknlp.start(), which prints that a session exists already: ours, as intended.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            if source.spark == SPARK_NLP_NAME:
                return nlu.load(NLU_REFERENCE)
            return nlu.load(NLU_REFERENCE, path=source.spark)
        finally:
            discard_load_copies()


def java_cause(err: Exception) -> str:
    """The JVM's own exception line (``java.lang.X: message``) out of a py4j error, else its first line."""
    lines = [line.strip().lstrip(": ") for line in str(err).strip().splitlines()]
    causes = [line for line in lines if re.match(r"[\w.$]+(Exception|Error)(: |$)", line)]
    return causes[0] if causes else (lines[0] if lines and lines[0] else type(err).__name__)


def explain_load_error(source: ModelSource, err: Exception) -> str:
    """What went wrong loading a Spark NLP model, and the fix, for the failures readers meet."""
    cause = java_cause(err)
    text = str(err)
    if "jnitensorflow" in text or "org/tensorflow" in text or "org.tensorflow" in text:
        return (
            f"{source.spark} is a TensorFlow model, and this Spark NLP set-up has no TensorFlow natives ({cause}): "
            "its jars are the ONNX-only set, used where the registry lacks com.johnsnowlabs.nlp:tensorflow-cpu_2.12 "
            "(.cache/spark-jars.json says which). With Maven Central in reach, run `QA_SPARK_JARS=full python -m "
            "qa_helpers fetch-jars`; or use an ONNX model: QA_MODEL=repro, or a transformers model exported with "
            "qa.export_for_spark."
        )
    if re.search(r"Param \w+ does not exist|serialVersionUID|InvalidClassException", text):
        return (
            f"{source.spark} was saved by a Spark NLP version other than {SPARK_NLP_VERSION} ({cause}). Load it with "
            "the version that saved it (its metadata/part-00000 names the Spark version), or export the "
            "transformers model again with qa.export_for_spark."
        )
    if source.spark == SPARK_NLP_NAME:
        return f"Could not download {SPARK_NLP_NAME} ({SPARK_NLP_LANG}) from the Spark NLP models hub ({cause}). {OFFLINE_FIX}"
    return f"The Spark NLP model folder {source.spark} could not be loaded ({cause})."


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
    qa_model = load(source)
    return build_pipeline(qa_model), vocabulary(qa_model)


def vocabulary(qa_model) -> dict[str, int]:
    """The annotator's vocabulary, read from the JVM in one call."""
    scala_map = qa_model._java_obj.vocabulary().getOrDefault()
    entries = scala_map.mkString("\u0000").split("\u0000")
    return {token: int(index) for token, index in (e.rsplit(" -> ", 1) for e in entries)}


def encode(question: str, context: str, vocab: dict[str, int]) -> spark_rules.SparkEncoding:
    """The word pieces Spark NLP feeds the model for this pair, with the words they come from."""
    return spark_rules.encode(question, context, vocab, WINDOW_LENGTH)


def to_answer(
    question: str, window: str, annotation, vocab: dict[str, int], offset: int = 0,
    enc: spark_rules.SparkEncoding | None = None,
) -> Answer:
    """Spark NLP's chunk annotation for ``window`` as an :class:`Answer` on the full context.

    ``offset`` is where the window starts in the context; ``enc`` is the window's encoding when
    the caller already has it. An empty answer is ``(0, 0)``.
    """
    meta = annotation.metadata
    enc = enc or encode(question, window, vocab)
    _, start, end = spark_rules.span_from_indices(enc, int(meta["start"]), int(meta["end"]))
    text = window[start:end]
    if text:
        start, end = start + offset, end + offset
    return Answer(text=text, start=start, end=end, score=float(meta["score"]), engine_text=annotation.result)


def plan_windows(
    question: str, context: str, vocab: dict[str, int], max_length: int = WINDOW_LENGTH,
    stride: int = STRIDE, enc: spark_rules.SparkEncoding | None = None,
) -> list[tuple[int, int]]:
    """Character spans of context windows that each fit Spark NLP's input whole.

    Windows are made of whole words (Spark NLP's words) so that each one tokenises exactly as
    it does inside the full context; consecutive windows share about ``stride`` word pieces.
    Raises InputError when the question leaves too little room. ``enc`` is the pair's
    encoding when the caller already has it.
    """
    enc = enc or spark_rules.encode(question, context, vocab, max_length)
    q_pieces = sum(1 for p in enc.pieces if not p.in_context)
    check_question_length(q_pieces, max_length)
    budget = max_length - q_pieces - 3
    counts = [0] * len(enc.context_words)
    for piece in enc.pieces:
        if piece.in_context:
            counts[piece.word] += 1
    if sum(counts) <= budget:
        return [(0, len(context))]
    words, windows, first = enc.context_words, [], 0
    overlap = min(stride, budget // 2)
    while first < len(words):
        last, used = first, 0
        while last < len(words) and used + counts[last] <= budget:
            used += counts[last]
            last += 1
        last = max(last, first + 1)  # a single word longer than the budget is cut by Spark NLP itself
        windows.append((words[first].start, words[last - 1].end))
        if last >= len(words):
            break
        back, shared = last, 0
        while back - 1 > first and shared + counts[back - 1] <= overlap:
            back -= 1
            shared += counts[back]
        first = back
    return windows


def window_rank(answer: Answer) -> tuple[bool, float]:
    """How the windows of a long context compete: an answer beats no answer, then the higher score.

    An empty answer is usually the model's own "not in this window" (start and end on [CLS], as
    fine-tuning labels such windows), often with a high score; it wins only where every window is empty.
    """
    return bool(answer.text), answer.score


def answer_rows(
    pairs: list[tuple[str, str]], source: ModelSource, *, top_k: int = 1, max_answer_len: int = 30
) -> list[RowResult]:
    """One RowResult per pair, in order, through LightPipeline (no DataFrame, low latency).

    Spark NLP gives one answer (``top_k`` must be 1) and has no answer-length limit
    (``max_answer_len`` is accepted for the common interface and does not apply).
    """
    if top_k != MAX_TOP_K:
        raise ValueError("Spark NLP returns a single answer per question: use top_k=1 with engine='spark'.")
    from sparknlp.base import LightPipeline

    pipeline, vocab = pipeline_for(source)
    encodings = [encode(q, c, vocab) for q, c in pairs]  # once per pair
    plans: list[list[tuple[int, int]] | str] = []
    for (question, context), enc in zip(pairs, encodings):
        try:
            plans.append(plan_windows(question, context, vocab, enc=enc))
        except InputError as err:
            plans.append(str(err))
    jobs = [(i, a, b) for i, plan in enumerate(plans) if not isinstance(plan, str) for a, b in plan]
    if jobs:
        questions = [pairs[i][0] for i, _, _ in jobs]
        windows = [pairs[i][1][a:b] for i, a, b in jobs]
        annotated = LightPipeline(pipeline).fullAnnotate(questions, windows)
    else:
        annotated = []
    best: dict[int, Answer] = {}
    for (i, a, b), result in zip(jobs, annotated):
        whole = (a, b) == (0, len(pairs[i][1]))  # a single window reuses the pair's encoding
        candidate = to_answer(
            pairs[i][0], pairs[i][1][a:b], result["answer"][0], vocab, offset=a, enc=encodings[i] if whole else None
        )
        if i not in best or window_rank(candidate) > window_rank(best[i]):  # the first window wins a tie
            best[i] = candidate
    return [RowResult(error=plan) if isinstance(plan, str) else RowResult(answers=[best[i]]) for i, plan in enumerate(plans)]


def abstains(row: RowResult, threshold: float) -> bool:
    """"No answer" for this row. Spark NLP has no null score (its start and end are two separate argmaxes):
    its own empty answer counts, and so does a best answer scored below ``threshold``."""
    return row.scored_below(threshold)


def answer_dataframe(df, source: ModelSource):
    """Run the pipeline on a DataFrame with ``question`` and ``context`` columns.

    Returns the input columns plus ``text``, ``start``, ``end``, ``score``, ``engine_text`` (the
    :class:`Answer` fields) and ``error``, one row per input row, in input order. A bad row
    (null, empty, question too long) gets its ``error`` and null answer fields; long contexts
    are answered window by window like :func:`answer_rows`.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    pipeline, vocab = pipeline_for(source)
    shared_vocab = get_spark().sparkContext.broadcast(vocab)
    window_type = T.StructType([T.StructField("offset", T.IntegerType()), T.StructField("text", T.StringType())])
    plan_type = T.StructType(
        [T.StructField("error", T.StringType()), T.StructField("windows", T.ArrayType(window_type))]
    )
    answer_type = T.StructType(
        [
            T.StructField("text", T.StringType()),
            T.StructField("start", T.IntegerType()),
            T.StructField("end", T.IntegerType()),
            T.StructField("score", T.DoubleType()),
            T.StructField("engine_text", T.StringType()),
        ]
    )

    @F.udf(plan_type)
    def plan(question, context):
        error = pair_error(question, context)
        if error is None:
            try:
                spans = plan_windows(question, context, shared_vocab.value)
                return (None, [(a, context[a:b]) for a, b in spans])
            except InputError as err:
                error = str(err)
        return (error, [])

    @F.udf(answer_type)
    def mapped(question, window, annotations, offset):
        a = to_answer(question, window, annotations[0], shared_vocab.value, offset)
        return (a.text, a.start, a.end, a.score, a.engine_text)

    rows = df.withColumn("_row", F.monotonically_increasing_id()).withColumn("_plan", plan("question", "context")).cache()
    jobs = rows.select("_row", "question", F.explode("_plan.windows").alias("_w")).select(
        "_row", "question", F.col("_w.offset").alias("_offset"), F.col("_w.text").alias("context")
    )
    answers = (
        pipeline.transform(jobs)
        .withColumn("_a", mapped("question", "context", "answer", "_offset"))
        .groupBy("_row")
        .agg(F.max_by("_a", F.struct(F.col("_a.text") != "", F.col("_a.score"), -F.col("_offset"))).alias("_a"))  # window_rank
    )
    return (
        rows.join(answers, "_row", "left")
        .orderBy("_row")
        .select(*df.columns, "_a.text", "_a.start", "_a.end", "_a.score", "_a.engine_text", F.col("_plan.error").alias("error"))
    )
