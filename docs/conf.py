"""Sphinx configuration of the course's website (`python -m tools.site`, `make site`).

The source folder is a staged copy of the repository's ``docs/`` and ``notebooks/`` (tools/site.py), so
page paths are the repository's paths and each page's Colab, download and source buttons point at its
own file. Notebooks are rendered from their stored outputs; nothing is executed here.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tools.site

from tools.site import add_styles, repository_url  # noqa: E402

project = "Multilingual extractive question answering"
author = "The multilingual-qa-tutorial authors"
copyright = "2026, " + author
language = "en"
root_doc = "docs/index"

extensions = ["myst_nb"]
include_patterns = ["docs/*.md", "notebooks/*.ipynb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

nb_execution_mode = "off"  # the stored outputs, as committed
nb_ipywidgets_js = {}  # a widget needs a kernel; the page shows its text fallback instead of loading JavaScript from a CDN
nb_merge_streams = True
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

html_theme = "sphinx_book_theme"
html_title = "Multilingual extractive QA"
html_last_updated_fmt = ""
html_copy_source = True  # the download button offers each notebook as .ipynb
html_css_files = ["course.css"]  # written by tools.site.add_styles: the Noto fonts for all 11 languages, and a few fixes
html_theme_options = {
    "repository_url": repository_url(),
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": True,
    "use_source_button": True,
    "use_download_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "home_page_in_toc": True,
    "show_toc_level": 2,
}


def setup(app):
    app.connect("build-finished", add_styles)
