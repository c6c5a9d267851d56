"""Open every page of the course's website in headless Chromium and check what a reader would see.

    python -m tools.browser_check build/site    # after `python -m tools.site build/site`; exit 1 if a page fails

Per page (the landing page and every chapter):
- every image loaded (``complete`` with a width), and nothing (image, script, style sheet) fetched from the internet;
- no character drawn as a missing glyph: each non-Latin character is drawn on a canvas in the font its element
  uses and compared with the glyph drawn for a code point no font has;
- every answer highlight (``.qa-highlight``) rendered: its ``<mark>`` visibly coloured in a screenshot, and
  right-to-left text laid out from the right;
- no output shows a traceback, a retry or a warning;
- at phone width (390 px) the page does not scroll sideways (wide outputs scroll inside their own box);
- a chapter has the table of contents of every chapter, previous/next links, its Colab button, its
  ``.ipynb`` download and its source link.
For the site: every internal link and anchor resolves, and the search page finds words in Greek, Arabic and
Chinese from the multilingual chapter. Screenshots go to ``<folder>/screenshots/``. Needs Chromium and its
driver (Debian: ``apt-get install chromium chromium-driver``; ``make browser``).
"""
from __future__ import annotations

import argparse
import html.parser
import io
import json
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["GLYPH_SCRIPT", "SEARCH_WORDS", "broken_links", "check_page", "check_site", "chromium", "main", "search"]

PHONE_WIDTH = 390
# Words a reader may look for, in three scripts, each in notebook 5's stored outputs or prose.
SEARCH_WORDS = {"el": "Μπέρκλεϊ", "ar": "لندن", "zh": "伯克利"}
BAD_OUTPUT = re.compile(r"Traceback \(most recent call last\)|Retrying in \d|\bRetry \d+/\d+|\w*Warning: |!{20}")

GLYPH_SCRIPT = r"""
const done = arguments[arguments.length - 1];
(async () => {
  await document.fonts.ready;
  const byFamily = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    if (!element || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(element.tagName) || element.offsetParent === null) continue;
    const family = getComputedStyle(element).fontFamily;
    if (!byFamily.has(family)) byFamily.set(family, new Set());
    for (const ch of walker.currentNode.data) {
      if (ch.codePointAt(0) > 0x24F && /\p{L}|\p{N}/u.test(ch)) byFamily.get(family).add(ch);
    }
  }
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const draw = (ch, family) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.font = `40px ${family}`;
    ctx.fillText(ch, 8, 48);
    return ctx.getImageData(0, 0, 64, 64).data.join("");
  };
  const missing = [];
  let checked = 0;
  for (const [family, chars] of byFamily) {
    if (!chars.size) continue;
    await document.fonts.load(`40px ${family}`, [...chars].join(""));
    const tofu = draw("\u{10FFFD}", family);  // a private-use code point: no font draws it
    for (const ch of chars) {
      checked += 1;
      if (draw(ch, family) === tofu) missing.push([ch, family]);
    }
  }
  return {checked, missing};
})().then(done, (error) => done({error: String(error)}));
"""


def chromium():
    """A headless Chromium driven by Selenium, with the driver Debian installs (no download)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver")
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if driver_path is None or browser is None:
        raise RuntimeError("Chromium and its driver are needed: `apt-get install chromium chromium-driver` (or `make browser`).")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1600", "--allow-file-access-from-files"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_script_timeout(120)
    return driver


def _coloured_share(png: bytes) -> float:
    """Share of a screenshot's pixels that are saturated colour (a mark's background), not text or paper."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16).reshape(-1, 3)
    return float(((pixels.max(axis=1) - pixels.min(axis=1)) > 60).mean()) if len(pixels) else 0.0


def check_page(driver, page: Path, screenshots: Path, name: str | None = None) -> dict:
    """What one page shows: images, glyphs, highlights, outputs and phone width; ``problems`` lists what is wrong."""
    from selenium.webdriver.common.by import By

    name = name or page.stem
    driver.set_window_size(1280, 1600)
    driver.get(page.resolve().as_uri())
    images = driver.execute_script("return [...document.images].map(i => i.complete && i.naturalWidth > 0)")
    remote = driver.execute_script(
        "return [...document.querySelectorAll('img[src], script[src], link[rel=stylesheet][href]')]"
        ".map(e => e.getAttribute('src') || e.getAttribute('href')).filter(u => /^(https?:)?\\/\\//.test(u))"
    )
    glyphs = driver.execute_async_script(GLYPH_SCRIPT)
    problems = [f"{images.count(False)} of {len(images)} images did not load"] if not all(images) else []
    problems += [f"fetches {url} from the internet" for url in remote]
    if "error" in glyphs:
        problems.append(f"glyph check failed: {glyphs['error']}")
    elif glyphs["missing"]:
        fonts = sorted({family for _, family in glyphs["missing"]})
        chars = "".join(sorted({ch for ch, _ in glyphs["missing"]}))
        problems.append(f"{len(chars)} characters have no glyph in the fonts {fonts}: {chars[:80]}")
    outputs = driver.execute_script("return [...document.querySelectorAll('.cell_output, .output')].map(e => e.textContent)")
    problems += [f"an output shows {match.group(0)!r}" for text in outputs if (match := BAD_OUTPUT.search(text))]
    highlights = driver.find_elements(By.CSS_SELECTOR, ".qa-highlight")
    for k, block in enumerate(highlights):
        driver.execute_script("arguments[0].scrollIntoView()", block)
        png = block.screenshot_as_png
        (screenshots / f"{name}.highlight{k}.png").write_bytes(png)
        marks = block.find_elements(By.TAG_NAME, "mark")
        if marks and _coloured_share(marks[0].screenshot_as_png) < 0.2:
            problems.append(f"highlight {k}: its <mark> is not visibly coloured")
        if block.get_attribute("dir") == "rtl":
            starts_right = driver.execute_script(
                "const b = arguments[0], r = document.createRange(), t = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);"
                "t.nextNode(); r.setStart(t.currentNode, 0); r.setEnd(t.currentNode, 1);"
                "return getComputedStyle(b).direction === 'rtl' && b.getBoundingClientRect().right - r.getBoundingClientRect().right < 40;",
                block,
            )
            if not starts_right:
                problems.append(f"highlight {k}: right-to-left text does not start at the right")
    driver.set_window_size(PHONE_WIDTH, 844)
    driver.get(page.resolve().as_uri())
    widths = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    driver.save_screenshot(str(screenshots / f"{name}.phone.png"))
    if widths[0] > widths[1]:
        problems.append(f"at {PHONE_WIDTH} px the page scrolls sideways ({widths[0]} px wide)")
    return {"images": len(images), "characters checked": glyphs.get("checked", 0), "highlights": len(highlights),
            "problems": problems}


def chapter_problems(page: Path, site: Path, chapters: list[str]) -> list[str]:
    """A chapter page's navigation: every chapter in its table of contents, previous/next, Colab, download, source."""
    text = page.read_text(encoding="utf-8")
    name = page.stem + ".ipynb"
    problems = [f"its table of contents lacks {chapter}" for chapter in chapters
                if chapter != page.stem and f'href="{chapter}.html"' not in text]  # its own entry links to "#"
    if not re.search(r'class="(left-prev|right-next)"', text):
        problems.append("no previous/next link")
    if "colab.research.google.com/github/" not in text or f"/blob/main/notebooks/{name}" not in text:
        problems.append("no Colab button for its own notebook")
    if f'href="../_sources/notebooks/{name}"' not in text or not (site / "_sources" / "notebooks" / name).exists():
        problems.append("no download of its .ipynb")
    if f"/blob/main/notebooks/{name}?plain=1" not in text:
        problems.append("no link to its source")
    return problems


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for key in ("href", "src"):
            if attributes.get(key) and not (tag == "link" and attributes.get("rel") in ("canonical",)):
                self.targets.append(attributes[key])


def broken_links(site: Path) -> list[str]:
    """Every internal link (href, src) of every page that points at no file, or at no anchor in its file."""
    parsed = {}
    for page in sorted(p for p in site.rglob("*.html") if "_static" not in p.parts):  # the theme keeps templates there
        links = _Links()
        links.feed(page.read_text(encoding="utf-8"))
        parsed[page.resolve()] = links
    broken = []
    for page, links in parsed.items():
        for target in links.targets:
            parts = urlsplit(target)
            if parts.scheme or target.startswith("//"):
                continue
            path = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not path.exists():
                broken.append(f"{page.relative_to(site.resolve())}: {target} (no such file)")
            elif parts.fragment and path in parsed and unquote(parts.fragment) not in parsed[path].ids:
                broken.append(f"{page.relative_to(site.resolve())}: {target} (no such anchor)")
    return broken


def search(driver, site: Path, word: str) -> list[str]:
    """The pages the site's search lists for ``word``, as a reader would see them (relative hrefs)."""
    driver.set_window_size(1280, 1600)
    driver.get((site / "search.html").resolve().as_uri() + "?q=" + word)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = driver.execute_script("const s = document.querySelector('#search-results'); return s ? s.innerText : ''")
        if "Search finished" in status or "did not match" in status:
            break
        time.sleep(0.2)
    return driver.execute_script("return [...document.querySelectorAll('#search-results a')].map(a => a.getAttribute('href'))")


def check_site(folder: Path) -> dict[str, dict]:
    """Every page of the website, its links, and its search."""
    screenshots = folder / "screenshots"
    screenshots.mkdir(exist_ok=True)
    chapters = sorted(p.stem for p in (folder / "notebooks").glob("*.html"))
    pages = [folder / "docs" / "index.html", *(folder / "notebooks" / f"{c}.html" for c in chapters)]
    report: dict[str, dict] = {"site": {"problems": broken_links(folder)}}
    if not chapters:
        report["site"]["problems"].append("no chapter pages")
    driver = chromium()
    try:
        for page in pages:
            name = str(page.relative_to(folder))
            result = check_page(driver, page, screenshots, name.replace("/", "_").removesuffix(".html"))
            if page.parent.name == "notebooks":
                result["problems"] = chapter_problems(page, folder, chapters) + result["problems"]
            report[name] = result
        for language, word in SEARCH_WORDS.items():
            found = search(driver, folder, word)
            report["site"][f"search {language}"] = found
            if not any("05_multilingual_tour" in href for href in found):
                report["site"]["problems"].append(f"the search for {word} ({language}) does not find notebook 5")
    finally:
        driver.quit()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.browser_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a site built by `python -m tools.site`")
    args = parser.parse_args(argv)
    report = check_site(args.folder)
    (args.folder / "browser-check.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, result in report.items():
        status = "ok" if not result["problems"] else "; ".join(result["problems"])
        print(f"{name}: {result.get('images', 0)} images, {result.get('characters checked', 0)} non-Latin characters, "
              f"{result.get('highlights', 0)} highlights: {status}")
    return 1 if any(result["problems"] for result in report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
