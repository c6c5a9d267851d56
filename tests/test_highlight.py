"""The answer-in-context HTML: the marked text is the answer span, in every script and direction."""
from html.parser import HTMLParser

import pytest

import qa_helpers as qa
from qa_helpers.analysis.highlight import highlight_html, text_direction


class Reader(HTMLParser):
    """All text, the text inside <mark>, the div's attributes, and how many token spans."""

    def __init__(self):
        super().__init__()
        self.text, self.marked, self.attrs, self.spans, self.depth = [], [], {}, 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            self.attrs = dict(attrs)
        self.depth += tag == "mark"
        self.spans += tag == "span"

    def handle_endtag(self, tag):
        self.depth -= tag == "mark"

    def handle_data(self, data):
        self.text.append(data)
        if self.depth:
            self.marked.append(data)


def read(html: str) -> Reader:
    reader = Reader()
    reader.feed(html)
    return reader


@pytest.mark.parametrize("lang", sorted({ex.lang for ex in qa.multilingual_examples()}))
def test_marked_text_is_the_answer_and_the_whole_context_survives(tiny, lang):
    for ex in [e for e in qa.multilingual_examples() if e.lang == lang]:
        answer = qa.answer(ex.question, ex.context, model=tiny)[0]
        page = read(highlight_html(ex.context, answer, qa.logits(ex.question, ex.context, model=tiny)))
        assert "".join(page.marked) == answer.text == ex.context[answer.start : answer.end]
        assert "".join(page.text) == ex.context
        assert page.spans > 0
        assert page.attrs["dir"] == ("rtl" if lang == "ar" else "ltr")


def test_markup_in_the_context_is_escaped_and_an_empty_answer_marks_nothing():
    context = "a <b>bold</b> & \"quoted\" claim"
    page = read(highlight_html(context, qa.Answer("bold", 5, 9, 0.5)))
    assert "".join(page.text) == context and "".join(page.marked) == "bold"
    assert read(highlight_html(context, qa.Answer("", 0, 0, 0.1))).marked == []
    with pytest.raises(ValueError, match="outside the context"):
        highlight_html(context, qa.Answer("x", 5, 99, 0.1))


def test_direction_follows_the_first_strong_character():
    assert text_direction("اسمي كلارا") == "rtl"
    assert text_direction("2024: اسمي") == "rtl"  # digits are weak
    assert text_direction("Clara اسمي") == "ltr"


class ReportReader(Reader):
    """Reader, plus the cells of the n-best table."""

    def __init__(self):
        super().__init__()
        self.cells, self.in_cell, self.in_table = [], False, False

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        self.in_cell |= tag == "td"
        self.in_table |= tag == "table"

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        self.in_cell &= tag != "td"

    def handle_data(self, data):
        if self.in_cell:
            self.cells.append(data)  # one piece of text per cell: rank, answer, score
        elif not self.in_table:  # the context comes before the table
            super().handle_data(data)


def read_report(html: str) -> ReportReader:
    reader = ReportReader()
    reader.feed(html)
    return reader


@pytest.mark.parametrize("engine", ["transformers", "spark"])
def test_the_report_marks_the_best_answer_and_lists_the_n_best(tiny, engine):
    ex = next(e for e in qa.multilingual_examples() if e.lang == "ar")
    answers = qa.answer(ex.question, ex.context, engine=engine, model=tiny, top_k=5 if engine == "transformers" else 1)
    page = read_report(qa.answer_report(ex.question, ex.context, engine=engine, model=tiny))
    assert "".join(page.text) == ex.context and page.attrs["dir"] == "rtl"
    assert "".join(page.marked) == answers[0].text
    assert page.cells[1::3] == [a.text or "no answer" for a in answers]  # rank, answer, score per row


def test_the_widget_answers_what_the_reader_types_and_names_bad_input(tiny):
    widget = qa.ask_widget("Where do I live?", "My name is Clara and I live in Berkeley.", model=tiny)
    question, context, (engine, button), report = widget.children[0], widget.children[1], widget.children[2].children, widget.children[3]
    assert list(engine.options) == ["transformers", "spark"] and report.value == ""
    button.click()
    best = qa.answer(question.value, context.value, model=tiny)[0]
    assert "".join(read_report(report.value).marked) == best.text
    question.value = "   "
    button.click()
    assert "question is empty" in report.value and "<mark>" not in report.value
