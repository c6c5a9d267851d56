"""Ask your own question: the answer marked in its context, the n-best list, and a widget around them.

:func:`answer_report` returns HTML, so its picture shows in Jupyter, in Colab and in the rendered
pages alike; :func:`ask_widget` wraps it in text boxes and an engine switch (ipywidgets, which
Jupyter and Colab both run).
"""
from __future__ import annotations

import html

from ..api import ENGINES, answer, logits
from ..models.sources import ModelSource, resolve_model
from ..validation import InputError
from .highlight import highlight_html

__all__ = ["N_BEST", "answer_report", "ask_widget"]

N_BEST = 5  # answers listed by the transformers engine (Spark NLP gives one)


def answer_report(
    question: str, context: str, *, engine: str = "transformers", model: str | ModelSource | None = None, top_k: int = N_BEST
) -> str:
    """The best answer marked in ``context`` and the n-best list, as HTML.

    The shading is the transformers model's start (green) and end (blue) probability of each token of
    the first window, whichever engine answers: Spark NLP shows no per-token probabilities.
    """
    source = resolve_model(model)
    answers = answer(question, context, engine=engine, model=source, top_k=top_k if engine == "transformers" else 1)
    best = answers[0] if answers and answers[0].text else None
    rows = "".join(
        f"<tr><td>{rank}</td><td>{html.escape(a.text) if a.text else '<i>no answer</i>'}</td><td>{a.score:.3f}</td></tr>"
        for rank, a in enumerate(answers, 1)
    )
    listing = (
        f'<table class="qa-nbest"><tr><th>#</th><th>answer ({html.escape(engine)})</th><th>score</th></tr>{rows}</table>'
        if answers else "<p><i>No answer: the context has no readable text.</i></p>"
    )
    return highlight_html(context, best, logits(question, context, source)) + listing


def ask_widget(question: str = "", context: str = "", model: str | ModelSource | None = None):
    """Text boxes for a question and a context in any language, an engine switch, and the report."""
    import ipywidgets as widgets

    source = resolve_model(model)  # once: every question asked in the widget uses the same model
    question_box = widgets.Text(value=question, description="Question", layout=widgets.Layout(width="100%"))
    context_box = widgets.Textarea(value=context, description="Context", layout=widgets.Layout(width="100%", height="7em"))
    engine = widgets.ToggleButtons(options=list(ENGINES), description="Engine")
    button = widgets.Button(description="Answer", button_style="primary")
    report = widgets.HTML()

    def show(_: object = None) -> None:
        try:
            report.value = answer_report(question_box.value, context_box.value, engine=engine.value, model=source)
        except (InputError, TypeError) as err:
            report.value = f'<p style="color: #b00020">{html.escape(str(err))}</p>'

    button.on_click(show)
    return widgets.VBox([question_box, context_box, widgets.HBox([engine, button]), report])
