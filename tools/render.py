"""Execute the tutorial notebooks headless, and render them to HTML with an index page.

    python -m tools.render notebooks build            # execute copies, write build/*.html + index.html
    python -m tools.render --stored notebooks build   # render the stored outputs as they are (no execution)
    python -m tools.render --in-place notebooks       # execute and save the notebooks themselves

The active model comes from QA_MODEL like everywhere else; `make notebooks` uses `repro`, the
trained offline model, so that the stored outputs are the ones nbval checks in CI. The pages carry
the Noto fonts the figures use (copied into ``fonts/``), so Arabic, Devanagari, Thai and Chinese
text shows on any machine, whatever fonts it has; ``tools.browser_check`` verifies that in Chromium.
"""
from __future__ import annotations

import argparse
import html
import shutil
import sys
from datetime import date
from pathlib import Path
from urllib.parse import quote

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from qa_helpers.analysis.plotting import font_files
from tools.course import table_of_contents

TIMEOUT_S = 1200
FONT_STACK = ", ".join(f'"{family}"' for family in font_files()) + ", sans-serif"


def execute(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=TIMEOUT_S, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return nb


def copy_fonts(out: Path) -> str:
    """Copy the regular font files to ``out/fonts`` once; returns the CSS that makes every page use them."""
    (out / "fonts").mkdir(parents=True, exist_ok=True)
    faces = []
    for family, files in font_files().items():
        regular = [f for f in files if "Regular" in f.name] or files[:1]
        for file in regular:
            shutil.copyfile(file, out / "fonts" / file.name)
            faces.append(f'@font-face {{ font-family: "{family}"; src: url("fonts/{quote(file.name)}"); }}')
    fonts = [
        f"body, .jp-RenderedHTMLCommon, table {{ font-family: {FONT_STACK}; }}",
        # Code and printed output keep a monospace font for Latin and fall back to Noto for the other scripts.
        f':root {{ --jp-code-font-family: menlo, consolas, "DejaVu Sans Mono", {FONT_STACK}; }}',
        'pre, code, .jp-RenderedHTMLCommon code, .jp-RenderedHTMLCommon pre { font-family: var(--jp-code-font-family); }',
    ]
    return "<style>\n" + "\n".join([*faces, *fonts]) + "\n</style>"


def render_page(nb: nbformat.NotebookNode, font_css: str) -> str:
    body, _ = HTMLExporter().from_notebook_node(nb)
    return body.replace("</head>", font_css + "\n</head>", 1)


def write_index(rendered: set[str], out: Path, model: str, font_css: str = "") -> None:
    """The course's table of contents: one line per notebook, what it teaches, linked to its page."""
    items = "\n".join(
        f'<li><a href="{html.escape(stem)}.html">{html.escape(title)}</a>: {html.escape(teaches)}</li>'
        for stem, title, teaches in table_of_contents() if stem in rendered
    )
    out.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Multilingual extractive QA</title>"
        f"{font_css}<style>body {{ max-width: 52em; margin: 2em auto; line-height: 1.5; }} li {{ margin: 0.6em 0; }}</style>"
        "</head><body>"
        "<h1>Multilingual extractive question answering</h1>"
        "<p>One model, <code>bert-multi-cased-finetuned-xquadv1</code> (multilingual BERT fine-tuned for extractive QA in "
        "11 languages), run through Spark NLP and transformers, in nine chapters:</p>"
        f"<ul class='toc' style='list-style: none; padding-left: 0'>{items}</ul>"
        f"<p><small>Outputs made with {html.escape(model)}; rendered {date.today().isoformat()}.</small></p>"
        "</body></html>\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--in-place", action="store_true")
    parser.add_argument("--stored", action="store_true", help="render the stored outputs without executing")
    args = parser.parse_args(argv)
    if not args.in_place and args.out is None:
        parser.error("give an output folder, or --in-place")

    from qa_helpers import describe

    font_css = "" if args.in_place else copy_fonts(args.out)
    rendered = set()
    for path in sorted(args.notebooks.glob("*.ipynb")):
        print(f"{'rendering' if args.stored else 'executing'} {path}", flush=True)
        nb = nbformat.read(path, as_version=4) if args.stored else execute(path)
        if args.in_place:
            nbformat.write(nb, path)
            continue
        (args.out / (path.stem + ".html")).write_text(render_page(nb, font_css), encoding="utf-8")
        rendered.add(path.stem)
    if not args.in_place:
        model = "the stored outputs' model (see each page's first cells)" if args.stored else describe().removeprefix("Active model -> ")
        write_index(rendered, args.out / "index.html", model, font_css)
        print(f"rendered {len(rendered)} notebooks to {args.out}/ (open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
