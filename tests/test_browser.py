"""The course's website in a real headless Chromium: built from the stored outputs with Sphinx, every page shows
its figures, glyphs and highlights, has its navigation, fits a phone, and the search finds words in three scripts.

Pages made to fail show that each check can fail.
"""
import base64
import re

import nbformat
import pytest

import qa_helpers as qa
from tools import ROOT, browser_check, course, site

pytestmark = pytest.mark.slow
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    site.build(out)
    return out


@pytest.fixture(scope="module")
def driver():
    chromium = browser_check.chromium()
    yield chromium
    chromium.quit()


def figures_in(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_every_page_of_the_site_passes_in_chromium(built):
    report = browser_check.check_site(built)
    assert {name: result["problems"] for name, result in report.items() if result["problems"]} == {}
    assert len(report) == len(NOTEBOOKS) + 2  # the landing page, every chapter, and the site's own checks
    assert sum(r.get("characters checked", 0) for r in report.values()) > 300  # Arabic, Devanagari, Thai, Chinese, ...
    nb4 = report["notebooks/04_visualising_logits.html"]
    assert nb4["highlights"] >= 4 and nb4["images"] >= 4
    assert len(list((built / "screenshots").glob("notebooks_04_visualising_logits.highlight*.png"))) >= 4
    assert len(list((built / "screenshots").glob("*.phone.png"))) == len(NOTEBOOKS) + 1
    for language in browser_check.SEARCH_WORDS:
        assert "notebooks/05_multilingual_tour.html" in report["site"][f"search {language}"], language


def test_every_stored_figure_is_on_its_page_and_the_set_up_cell_is_folded(built):
    for path in NOTEBOOKS:
        page = (built / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        assert len(re.findall(r'<img[^>]+src="\.\./_images/', page)) == figures_in(nbformat.read(path, as_version=4)), path.name
        assert "tag_hide-cell" in page and "colab-badge.svg" not in page  # the theme's Colab button replaces the badge


def test_the_landing_page_lists_every_chapter_in_its_track_in_course_order():
    landing = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    toctrees = {m.group(1): m.group(2) for m in re.finditer(r"```\{toctree\}\n:caption: (.*?)\n(.*?)```", landing, re.S)}
    for caption, track in (("Core track", course.CORE), ("Engineering track", course.ENGINEERING)):
        entries = [line.removeprefix("/notebooks/") for line in toctrees[caption].splitlines() if line.startswith("/")]
        assert entries == [stem for stem, chapter in course.CHAPTERS.items() if chapter.track == track]
    assert list(course.CHAPTERS) == [p.stem for p in NOTEBOOKS] and "teaching" in toctrees["For teachers"]


def test_every_notebook_starts_with_its_chapter_number():
    for stem in course.CHAPTERS:
        first = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4).cells[0].source
        assert first.startswith(f"# {int(stem[:2])}. "), stem


def _page(tmp_path, body: str, head: str = ""):
    page = tmp_path / "page.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>", encoding="utf-8")
    (tmp_path / "screenshots").mkdir(exist_ok=True)
    return page


def _problems(driver, tmp_path, body, head=""):
    return browser_check.check_page(driver, _page(tmp_path, body, head), tmp_path / "screenshots")["problems"]


def test_text_without_a_font_for_its_script_is_reported_and_the_sites_fonts_fix_it(tmp_path, driver):
    assert "no glyph" in _problems(driver, tmp_path, "<p style='font-family: NoSuchFont'>ภาษาไทย 中文</p>")[0]
    site.write_styles(tmp_path)
    result = browser_check.check_page(driver, _page(tmp_path, "<p>ภาษาไทย 中文</p>", "<link rel=stylesheet href=course.css>"),
                                      tmp_path / "screenshots")
    assert result["problems"] == [] and result["characters checked"] == 8  # distinct letters


def test_a_broken_figure_a_remote_asset_an_error_output_and_a_wide_page_are_reported(tmp_path, driver):
    broken = "<img src='data:image/png;base64," + base64.b64encode(b"not a png").decode() + "'>"
    assert _problems(driver, tmp_path, broken) == ["1 of 1 images did not load"]
    assert _problems(driver, tmp_path, "<p>x</p>", "<script src='https://cdn.example.org/x.js'></script>") == [
        "fetches https://cdn.example.org/x.js from the internet"]
    retry = "<div class='cell_output'><pre>Name or service not known\nRetrying in 8s [Retry 5/5].</pre></div>"
    assert _problems(driver, tmp_path, retry) == ["an output shows 'Retrying in 8'"]
    warning = "<div class='cell_output'><pre>sources.py:160: UserWarning: \n!!!!</pre></div>"
    assert _problems(driver, tmp_path, warning) == ["an output shows 'UserWarning: '"]
    assert _problems(driver, tmp_path, "<p style='width: 700px'>wide</p>") == ["at 390 px the page scrolls sideways (708 px wide)"]


def test_a_highlight_must_be_coloured_and_right_to_left_text_must_start_at_the_right(tmp_path, driver):
    context = "ولد ألبرت أينشتاين في ألمانيا عام 1879."
    start = context.index("1879")
    block = qa.highlight_html(context, qa.Answer(text="1879", start=start, end=start + 4, score=0.9))
    ok = browser_check.check_page(driver, _page(tmp_path, block), tmp_path / "screenshots")
    assert ok["problems"] == [] and ok["highlights"] == 1
    pale = _problems(driver, tmp_path, block, "<style>mark { background: #fff3cd; }</style>")  # the theme's own <mark>
    assert pale == ["highlight 0: its <mark> is not visibly coloured"]
    wrong_way = _problems(driver, tmp_path, block, "<style>.qa-highlight { direction: ltr; }</style>")
    assert wrong_way == ["highlight 0: right-to-left text does not start at the right"]


def test_broken_links_and_anchors_are_reported(tmp_path):
    (tmp_path / "a.html").write_text('<a href="b.html#there">b</a> <a href="c.html">c</a> <a href="https://x.org/">x</a>', encoding="utf-8")
    (tmp_path / "b.html").write_text('<h1 id="here">b</h1> <a href="a.html">a</a>', encoding="utf-8")
    assert browser_check.broken_links(tmp_path) == ["a.html: b.html#there (no such anchor)", "a.html: c.html (no such file)"]
