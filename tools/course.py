"""The course's chapters: what each teaches, and its track.

The **core** track runs on transformers alone (no Java, no PySpark); the **engineering** track adds Spark NLP.
Notebook 1 belongs to the core track and ends with its Spark NLP half, where the engineering track begins.
README's notebook table, the landing page's table of contents, the teacher's guide and each notebook's Colab
set-up cell (what it installs) follow :data:`CHAPTERS`; tests check that they agree.
"""
from __future__ import annotations

from typing import NamedTuple

CORE, ENGINEERING = "core", "engineering"


class Chapter(NamedTuple):
    title: str
    teaches: str
    track: str


CHAPTERS = {
    "01_quickstart": Chapter("Quickstart", "ask the model a question with transformers; then the same question through Spark NLP, as its model "
                             "card writes the pipeline, and the two answers side by side", CORE),
    "02_inside_extractive_qa": Chapter("Inside extractive QA", "tokens, segment ids and offsets; start/end logits; masking, softmax, "
                                       "span search and stride windows, written in cells and checked against the library", CORE),
    "03_spark_nlp_pipeline": Chapter("The Spark NLP pipeline", "the annotators and their parameters, DataFrames, LightPipeline, offline "
                                     "saving, ONNX import with logit parity, Scala, the NLU one-liner", ENGINEERING),
    "04_visualising_logits": Chapter("Visualising logits", "per-token start/end logits, the span-score matrix on a log scale, questions "
                                     "compared, 7 scripts side by side, attributions by integrated gradients (Captum), the answer "
                                     "highlighted in its text, ask your own question", CORE),
    "05_multilingual_tour": Chapter("Multilingual tour", "four facts in 11 languages, tokenisation per script, a cross-lingual "
                                    "question x context grid", CORE),
    "06_two_engines": Chapter("Two engines", "agreement measured (by language, on held-out questions), logits on identical ids, every "
                              "difference explained (Spark NLP's tokenizer and decoding, answers past its 512 pieces), Spark NLP "
                              "reproduced from torch logits", ENGINEERING),
    "07_evaluation_xquad": Chapter("Evaluation on XQuAD", "EM and F1 with two normalisations, per language, on held-out "
                                   "articles with 95% intervals, next to published mBERT numbers; kinds of errors per language", CORE),
    "08_scores_and_no_answer": Chapter("Scores and no answer", "what a score means (reliability, ECE, a threshold measured "
                                       "on held-out data); the null score, unanswerable questions, and when to say no answer", CORE),
    "09_performance": Chapter("Performance", "speed and quality of every path in fp32, bf16 and int8, why the tutorial loop loses "
                              "answers, speed against F1, which engine and precision when, and Spark NLP on a real standalone cluster", ENGINEERING),
    "10_how_the_model_was_made": Chapter("How the model was made", "what pretrained mBERT knows, the split by article, windows and "
                                         "labels from offsets (written in cells), LoRA, the fine-tuning run and its held-out scores", CORE),
}


def table_of_contents() -> list[tuple[str, str, str]]:
    """``(notebook stem, "NN Short title", what it teaches)`` for every notebook, in course order."""
    return [(stem, f"{stem[:2]} {chapter.title}", chapter.teaches) for stem, chapter in CHAPTERS.items()]


def track(stem: str) -> list[str]:
    """The notebooks of ``stem``'s track, in course order."""
    return [s for s, chapter in CHAPTERS.items() if chapter.track == CHAPTERS[stem].track]


def needs_spark(stem: str) -> bool:
    """Does this notebook's set-up install Spark NLP (the engineering track)?"""
    return CHAPTERS[stem].track == ENGINEERING


SPARK_HALF = "## The same questions in Spark NLP"  # the heading where notebook 1's engineering half begins
