"""The two engines side by side: reproduce Spark NLP from transformers logits, and say why they differ.

Every difference between the engines' answers should come from a documented rule:

- ``decoding rule``: Spark NLP's separate argmaxes versus the joint span search;
- ``tokenisation``: Spark NLP's own tokenizer (accent stripping, punctuation by Unicode name)
  gives other input ids than the transformers tokenizer;
- ``segment ids``: Spark NLP gives a TensorFlow model (the published one) segment 1 from the
  first [SEP] on, that [SEP] included; BERT gives that [SEP] segment 0. (Spark NLP feeds an ONNX
  model 0 everywhere; the graphs :mod:`qa_helpers.models.onnx_export` writes derive BERT's segments.)
- ``truncation``: Spark NLP cuts the context at ``maxSentenceLength``; transformers uses windows;
- ``whole words``: the span begins or ends inside a word, where transformers answers with the
  exact characters and Spark NLP with the words whose first piece is inside.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..api import answer_batch
from ..decoding import top_spans
from ..engines import spark_engine, spark_rules, transformers_engine
from ..models.sources import ModelSource
from ..results import Answer

__all__ = ["char_overlap", "compare_engines", "difference_reasons", "EngineRow", "spark_rule_answer"]


def spark_rule_answer(
    question: str, context: str, vocab: dict[str, int], source: ModelSource,
    *, engine: str = "onnx",
) -> spark_rules.SparkSpan:
    """Spark NLP's answer, computed in Python: its tokenizer, its segment ids for ``engine``
    (the Spark model's ``getEngine()``), torch logits, and its decoding rule."""
    _, qa_model = transformers_engine.load(source)
    enc = spark_rules.encode(question, context, vocab)
    return spark_rules.decode(*_logits_as_in_spark(qa_model, enc, vocab, engine), enc)


def _logits_as_in_spark(
    qa_model, enc: spark_rules.SparkEncoding, vocab: dict[str, int], engine: str
) -> tuple[np.ndarray, np.ndarray]:
    """Torch start/end logits for Spark NLP's ids with the segment ids the model sees there."""
    segments = spark_rules.segment_ids(enc.ids, vocab["[SEP]"], engine)
    return transformers_engine.forward(qa_model, [enc.ids], [segments])[0]


def difference_reasons(
    question: str, context: str, vocab: dict[str, int], source: ModelSource,
    *, engine: str = "onnx",
) -> set[str]:
    """Which documented differences separate the two engines on this pair (empty: none applies)."""
    tokenizer, qa_model = transformers_engine.load(source)
    hf = tokenizer(question, context)
    enc = spark_rules.encode(question, context, vocab)
    reasons = set()
    if hf["input_ids"] != enc.ids:
        reasons.add("tokenisation")
    if hf["token_type_ids"] != spark_rules.segment_ids(hf["input_ids"], tokenizer.sep_token_id, engine):
        reasons.add("segment ids")
    if len(hf["input_ids"]) > transformers_engine.WINDOW_LENGTH or len(enc.pieces) + 3 > len(enc.ids):
        reasons.add("truncation")
    start, end = _logits_as_in_spark(qa_model, enc, vocab, engine)
    context_mask = np.zeros(len(enc.ids), dtype=bool)
    context_mask[enc.tokens.index("[SEP]") + 1 : len(enc.ids) - 1] = True
    joint = top_spans(start, end, context_mask)[0][:2] if context_mask.any() else None
    rule = spark_rules.decode(start, end, enc)
    if joint != (rule.start_index, rule.end_index):
        reasons.add("decoding rule")
    if joint and spark_rules.cuts_a_word(enc, *joint):
        reasons.add("whole words")
    return reasons


def char_overlap(a: Answer, b: Answer) -> float:
    """Overlap of two character spans as intersection over union (1.0 for the same span)."""
    inter = max(0, min(a.end, b.end) - max(a.start, b.start))
    union = max(a.end, b.end) - min(a.start, b.start)
    return inter / union if union else float(a.start == b.start)


@dataclass(frozen=True)
class EngineRow:
    """One question answered by both engines."""

    transformers: Answer
    spark: Answer
    reproduced: bool  # Spark NLP's answer equals spark_rule_answer on torch logits
    reasons: frozenset[str]

    @property
    def same_text(self) -> bool:
        return self.transformers.text == self.spark.text

    @property
    def overlap(self) -> float:
        return char_overlap(self.transformers, self.spark)


def compare_engines(pairs: list[tuple[str, str]], source: ModelSource) -> list[EngineRow]:
    """Answer every pair with both engines and explain each difference."""
    pipeline, vocab = spark_engine.pipeline_for(source)
    engine = pipeline.stages[-1].getEngine()
    hf = answer_batch(pairs, model=source)
    sp = answer_batch(pairs, engine="spark", model=source)
    rows = []
    for (question, context), h, s in zip(pairs, hf, sp):
        spark_answer = s.answers[0]
        expected = spark_rule_answer(question, context, vocab, source, engine=engine)
        reproduced = (spark_answer.start, spark_answer.end, spark_answer.engine_text) == (
            expected.start, expected.end, expected.spark_text
        ) and abs(spark_answer.score - expected.score) < 1e-4
        reasons = difference_reasons(question, context, vocab, source, engine=engine)
        rows.append(EngineRow(h.answers[0], spark_answer, reproduced, frozenset(reasons)))
    return rows
