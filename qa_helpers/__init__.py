"""Support package of the multilingual extractive QA tutorial.

Start here: ``answer(question, context, engine="transformers" | "spark")``.
"""
from .api import answer, answer_batch, answer_dataframe, logits
from .examples import Example, model_card_examples, multilingual_examples
from .highlight import highlight_html
from .sources import ModelSource, describe, resolve_model
from .types import Answer, RowResult, TokenLogits

__all__ = [
    "Answer",
    "Example",
    "ModelSource",
    "RowResult",
    "TokenLogits",
    "answer",
    "answer_batch",
    "answer_dataframe",
    "describe",
    "highlight_html",
    "logits",
    "model_card_examples",
    "multilingual_examples",
    "resolve_model",
]
