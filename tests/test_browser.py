"""The rendered course in a real headless Chromium: figures load, no missing glyphs, highlights render.

The stored notebooks are rendered as they are (no execution) and every page is checked; pages made
to fail show that each check can fail.
"""
import base64

import pytest

import qa_helpers as qa
from tools import ROOT, browser_check, render

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def driver():
    chromium = browser_check.chromium()
    yield chromium
    chromium.quit()


def test_every_rendered_page_passes_and_the_index_links_them_all(tmp_path):
    assert render.main(["--stored", str(ROOT / "notebooks"), str(tmp_path)]) == 0
    report = browser_check.check_site(tmp_path)
    assert {name: result["problems"] for name, result in report.items() if result["problems"]} == {}
    assert len(report) == len(list((ROOT / "notebooks").glob("*.ipynb"))) + 1
    assert sum(r["characters checked"] for r in report.values()) > 300  # Arabic, Devanagari, Thai, Chinese, ...
    assert report["04_visualising_logits.html"]["highlights"] >= 4 and report["04_visualising_logits.html"]["images"] >= 4
    assert len(list((tmp_path / "screenshots").glob("04_visualising_logits.highlight*.png"))) >= 4


def _page(tmp_path, body: str, head: str = ""):
    page = tmp_path / "page.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>", encoding="utf-8")
    (tmp_path / "screenshots").mkdir(exist_ok=True)
    return page


def test_text_without_a_font_for_its_script_is_reported_and_the_pages_fonts_fix_it(tmp_path, driver):
    thai = "<p style='font-family: NoSuchFont'>ภาษาไทย 中文</p>"
    result = browser_check.check_page(driver, _page(tmp_path, thai), tmp_path / "screenshots")
    assert result["problems"] and "no glyph" in result["problems"][0]
    fonts = render.copy_fonts(tmp_path)
    result = browser_check.check_page(driver, _page(tmp_path, "<p>ภาษาไทย 中文</p>", fonts), tmp_path / "screenshots")
    assert result["problems"] == [] and result["characters checked"] == 8  # distinct letters


def test_a_broken_figure_is_reported(tmp_path, driver):
    broken = "<img src='data:image/png;base64," + base64.b64encode(b"not a png").decode() + "'>"
    result = browser_check.check_page(driver, _page(tmp_path, broken), tmp_path / "screenshots")
    assert result["problems"] == ["1 of 1 images did not load"]


def test_a_highlight_must_be_coloured_and_right_to_left_text_must_start_at_the_right(tmp_path, driver):
    context = "ولد ألبرت أينشتاين في ألمانيا عام 1879."
    start = context.index("1879")
    block = qa.highlight_html(context, qa.Answer(text="1879", start=start, end=start + 4, score=0.9))
    ok = browser_check.check_page(driver, _page(tmp_path, block), tmp_path / "screenshots")
    assert ok["problems"] == [] and ok["highlights"] == 1
    pale = browser_check.check_page(driver, _page(tmp_path, block, "<style>mark { background: none; }</style>"), tmp_path / "screenshots")
    assert pale["problems"] == ["highlight 0: its <mark> is not visibly coloured"]
    wrong_way = browser_check.check_page(driver, _page(tmp_path, block, "<style>.qa-highlight { direction: ltr; }</style>"),
                                         tmp_path / "screenshots")
    assert wrong_way["problems"] == ["highlight 0: right-to-left text does not start at the right"]
