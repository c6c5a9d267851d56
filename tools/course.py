"""The course's table of contents: one line per notebook saying what it teaches.

README's notebook table and the rendered index page are both written from :data:`CHAPTERS`,
so the two never disagree; a test checks that every notebook has its line.
"""
from __future__ import annotations

CHAPTERS = {  # notebook -> (short title, what it teaches)
    "01_quickstart": ("Quickstart", "the model card's two examples through Spark NLP (the card's pipeline) and transformers, side by side"),
    "02_inside_extractive_qa": ("Inside extractive QA", "tokens, segment ids and offsets; start/end logits; masking, softmax, "
                                "span search, n-best; stride windows"),
    "03_spark_nlp_pipeline": ("The Spark NLP pipeline", "the annotators and their parameters, DataFrames, LightPipeline, offline "
                              "saving, ONNX import with logit parity, Scala, the NLU one-liner"),
    "04_visualising_logits": ("Visualising logits", "per-token start/end logits, the span-score matrix, questions compared, 7 scripts side by side, font "
    "coverage, the answer highlighted in its text, ask your own question (widget)"),
    "05_multilingual_tour": ("Multilingual tour", "four facts in 11 languages, tokenisation per script, accent stripping, "
                             "a cross-lingual question x context grid"),
    "06_two_engines": ("Two engines", "agreement measured, logits on identical ids, every difference explained (answers past Spark NLP's 512 pieces "
    "found by windows), Spark NLP reproduced from torch logits"),
    "07_evaluation_xquad": ("Evaluation on XQuAD", "EM and F1 with two normalisations, per language and engine, held-out and all of XQuAD, next to published "
    "mBERT numbers; kinds of errors, disagreements; what a score means (reliability, ECE, a threshold); no answer "
    "(the null score, unanswerable pairs, a held-out threshold)"),
    "08_performance": ("Performance", "speed and quality of every path in fp32, bf16 and int8 against the hardware bound, which engine and "
    "precision when, and Spark NLP on a real standalone cluster"),
    "09_how_the_model_was_made": ("How the model was made", "what pretrained mBERT knows, the split by article, windows and labels, LoRA, the fine-tuning run "
    "and its held-out scores"),
}


def table_of_contents() -> list[tuple[str, str, str]]:
    """``(notebook stem, "NN Short title", what it teaches)`` for every notebook, in course order."""
    return [(stem, f"{stem[:2]} {title}", teaches) for stem, (title, teaches) in CHAPTERS.items()]
