"""Build the course's website with Sphinx, myst-nb and the Sphinx Book Theme, from stored outputs.

    python -m tools.site build/site                          # the notebooks as committed (make site, about a minute)
    python -m tools.site build/site --notebooks build/executed   # notebooks executed elsewhere (make run)

Sphinx reads a staged copy of ``docs/`` and the notebooks laid out as in the repository, so every page's
Colab button, download and source link point at its own file. The staging drops the Colab badge from each
notebook's title (the theme's launch button replaces it, and renders without internet). Pages carry the
Noto fonts the figures use (``_static/fonts``), so every script shows on any machine; tools/browser_check.py
checks that in Chromium. The site opens at ``index.html``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat

from tools import ROOT
from tools.colab import repository_url

__all__ = ["add_styles", "build", "course_css", "repository_url", "stage", "write_styles"]

DOCS = ROOT / "docs"
REDIRECT = ('<!doctype html><meta charset="utf-8"><title>Multilingual extractive QA</title>'
            '<meta http-equiv="refresh" content="0; url=docs/index.html"><a href="docs/index.html">The course</a>\n')


def course_css(prefix: str = "fonts/") -> str:
    """The site's own CSS: the Noto fonts for text, code and outputs; long inline code that wraps on a phone;
    answer highlights in the browser's yellow (the theme recolours ``<mark>`` a pale cream)."""
    from qa_helpers.analysis.plotting import font_files

    families = font_files()
    stack = ", ".join(f'"{family}"' for family in families) + ", sans-serif"
    faces = [f'@font-face {{ font-family: "{family}"; src: url("{prefix}{quote(file.name)}"); }}'
             for family, files in families.items() for file in ([f for f in files if "Regular" in f.name] or files[:1])]
    return "\n".join([
        *faces,
        f":root {{ --pst-font-family-base: {stack}; --pst-font-family-heading: {stack};",
        f'  --pst-font-family-monospace: "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace, {stack}; }}',
        f"body, table {{ font-family: {stack}; }}",
        "code.literal .pre { white-space: pre-wrap; overflow-wrap: anywhere; }",
        ".qa-highlight mark { background-color: #ffe14d; color: inherit; }",
    ]) + "\n"


def write_styles(static: Path) -> None:
    """The font files and the course's CSS into ``static`` (``fonts/`` and ``course.css``)."""
    from qa_helpers.analysis.plotting import font_files

    (static / "fonts").mkdir(parents=True, exist_ok=True)
    for files in font_files().values():
        for file in [f for f in files if "Regular" in f.name] or files[:1]:
            shutil.copyfile(file, static / "fonts" / file.name)
    (static / "course.css").write_text(course_css(), encoding="utf-8")


def add_styles(app, exception) -> None:
    """Sphinx's build-finished hook: :func:`write_styles` into the site's ``_static`` (every page links course.css)."""
    if exception is None and app.builder.format == "html":
        write_styles(Path(app.outdir) / "_static")


def stage(notebooks: Path, staging: Path) -> list[Path]:
    """Copy ``docs/`` and the notebooks into ``staging`` as laid out in the repository; returns the notebooks."""
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(DOCS, staging / "docs", ignore=shutil.ignore_patterns("conf.py", "__pycache__"))
    (staging / "notebooks").mkdir(parents=True)
    staged = []
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        title = nb.cells[0]
        title.source = "\n".join(line for line in title.source.splitlines() if "colab-badge.svg" not in line).replace("\n\n\n", "\n\n")
        nbformat.write(nb, staging / "notebooks" / path.name)
        staged.append(staging / "notebooks" / path.name)
    if not staged:
        raise SystemExit(f"{notebooks} holds no notebooks")
    return staged


def build(out: Path, notebooks: Path = ROOT / "notebooks", quiet: bool = True) -> Path:
    """Stage, then run Sphinx into ``out`` (warnings are errors); returns the landing page."""
    from sphinx.cmd.build import build_main

    staging = out.parent / f"{out.name}-source"
    stage(notebooks, staging)
    if out.exists():
        shutil.rmtree(out)
    args = ["-b", "html", "-c", str(DOCS), "-W", "--keep-going", "-j", "1", *(["-q"] if quiet else []), str(staging), str(out)]
    if build_main(args) != 0:
        raise SystemExit("Sphinx could not build the site (see its messages above)")
    (out / "index.html").write_text(REDIRECT, encoding="utf-8")
    (out / ".nojekyll").touch()  # GitHub Pages would otherwise hide _static/
    return out / "docs" / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="the site's folder (replaced)")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks", help="the notebooks to publish (default: as committed)")
    args = parser.parse_args(argv)
    landing = build(args.out, args.notebooks)
    print(f"built the course's website in {args.out}/ (open {landing})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
