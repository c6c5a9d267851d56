"""The HTML render: every stored figure becomes an image, and the index links every notebook."""

import nbformat
from nbconvert import HTMLExporter

from tools import ROOT, render

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


def test_index_lists_every_notebook_with_its_title(tmp_path):
    entries = [(p.stem + ".html", *render.title_and_summary(nbformat.read(p, as_version=4))) for p in NOTEBOOKS]
    render.write_index(entries, tmp_path / "index.html")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for href, title, _summary in entries:
        assert f'href="{href}"' in index and title in index and title != "(untitled)"
