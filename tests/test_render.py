"""The HTML render: every stored figure becomes an image, and the index links every notebook."""
import html

import nbformat
from nbconvert import HTMLExporter

from tools import ROOT, course, render

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def figures_in(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def inline_images(nb: nbformat.NotebookNode) -> int:
    body, _ = HTMLExporter().from_notebook_node(nb)
    return body.count("data:image/png;base64,")


def test_every_figure_of_every_notebook_is_in_its_html():
    template_images = inline_images(nbformat.v4.new_notebook())  # the page template has its own
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert inline_images(nb) - template_images == figures_in(nb), path.name
    assert figures_in(nbformat.read(ROOT / "notebooks" / "04_visualising_logits.ipynb", as_version=4)) >= 4


def test_the_index_is_a_table_of_contents_with_one_line_per_notebook(tmp_path):
    assert set(course.CHAPTERS) == {p.stem for p in NOTEBOOKS}  # every notebook has its line, and no line is stale
    render.write_index({p.stem for p in NOTEBOOKS}, tmp_path / "index.html", "repro: a model")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for stem, title, teaches in course.table_of_contents():
        assert f'<li><a href="{stem}.html">{html.escape(title)}</a>: {html.escape(teaches)}</li>' in index
    assert index.count("<li>") == len(NOTEBOOKS) and "repro: a model" in index


def test_every_notebook_starts_with_its_chapter_number():
    for stem in course.CHAPTERS:
        first = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4).cells[0].source
        assert first.startswith(f"# {int(stem[:2])}. "), stem
