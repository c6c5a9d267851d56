"""Open every rendered page in headless Chromium and check what a reader would see.

    python -m tools.browser_check build    # after `python -m tools.render`; exit 1 if a page fails

Per page: every image loaded (``complete`` with a width), no character drawn as a missing glyph
(each non-Latin character is drawn on a canvas in the font its element uses and compared with the
glyph drawn for a code point no font has), and every answer highlight (``.qa-highlight``) rendered:
its ``<mark>`` visible and coloured in a screenshot, and right-to-left text laid out from the right.
The index must link every page. Screenshots of the highlights go to ``<folder>/screenshots/``.
Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``; ``make browser``).
"""
from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import sys
from pathlib import Path

__all__ = ["GLYPH_SCRIPT", "check_page", "check_site", "chromium", "main"]

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


def check_page(driver, page: Path, screenshots: Path) -> dict:
    """What one page shows: images, glyphs and highlights; ``problems`` lists what is wrong."""
    from selenium.webdriver.common.by import By

    driver.get(page.resolve().as_uri())
    # Images on the web (the Colab badge) need internet; the figures are inline and must always load.
    images = driver.execute_script(
        "return [...document.images].filter(i => !/^https?:/.test(i.getAttribute('src'))).map(i => i.complete && i.naturalWidth > 0)"
    )
    glyphs = driver.execute_async_script(GLYPH_SCRIPT)
    problems = [f"{images.count(False)} of {len(images)} images did not load"] if not all(images) else []
    if "error" in glyphs:
        problems.append(f"glyph check failed: {glyphs['error']}")
    elif glyphs["missing"]:
        fonts = sorted({family for _, family in glyphs["missing"]})
        chars = "".join(sorted({ch for ch, _ in glyphs["missing"]}))
        problems.append(f"{len(chars)} characters have no glyph in the fonts {fonts}: {chars[:80]}")
    highlights = driver.find_elements(By.CSS_SELECTOR, ".qa-highlight")
    for k, block in enumerate(highlights):
        driver.execute_script("arguments[0].scrollIntoView()", block)
        png = block.screenshot_as_png
        (screenshots / f"{page.stem}.highlight{k}.png").write_bytes(png)
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
    return {"images": len(images), "characters checked": glyphs.get("checked", 0), "highlights": len(highlights),
            "problems": problems}


def check_site(folder: Path) -> dict[str, dict]:
    """Every page of a rendered course, and its index's links."""
    screenshots = folder / "screenshots"
    screenshots.mkdir(exist_ok=True)
    pages = sorted(p for p in folder.glob("*.html") if p.name != "index.html")
    index = (folder / "index.html").read_text(encoding="utf-8")
    linked = set(re.findall(r'href="([^"]+\.html)"', index))
    report = {"index.html": {"problems": [f"the index does not link {p.name}" for p in pages if p.name not in linked]
                             + [f"the index links {name}, which is missing" for name in linked if not (folder / name).exists()]}}
    driver = chromium()
    try:
        for page in [folder / "index.html", *pages]:
            report.setdefault(page.name, {"problems": []})
            result = check_page(driver, page, screenshots)
            result["problems"] = report[page.name]["problems"] + result["problems"]
            report[page.name] = result
    finally:
        driver.quit()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.browser_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a folder written by `python -m tools.render`")
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
