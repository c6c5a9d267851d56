"""Pictures of what the model says: per-token start/end logits and the span-score matrix.

Token labels come in 11 scripts. Matplotlib's default font (DejaVu Sans) lacks Devanagari,
Thai and Chinese, so :func:`use_multilingual_fonts` registers Noto fonts that ship as Python
packages and makes them a fallback chain. Matplotlib 3.11 shapes text with libraqm, so Arabic
letters join and run right to left and Devanagari vowel signs sit where they belong.
"""
from __future__ import annotations

import importlib
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..decoding import span_score_matrix, top_spans
from ..results import TokenLogits

__all__ = [
    "FONT_PACKAGES", "REGION_COLOURS", "font_files", "missing_glyphs", "plot_span_scores", "plot_token_attributions",
    "plot_token_logits", "token_label", "top_span_table", "use_multilingual_fonts",
]

# Python packages that carry the fonts, and the family each provides.
FONT_PACKAGES = {
    "fontpkg_noto_sans": "Noto Sans",  # Latin (incl. Vietnamese), Greek, Cyrillic
    "fontpkg_noto_sans_arabic": "Noto Sans Arabic",
    "fontpkg_noto_sans_devanagari": "Noto Sans Devanagari",
    "fontpkg_noto_sans_thai": "Noto Sans Thai",
    "cvttf_NotoSansCJK_Regular": "Noto Sans CJK TC",  # all CJK ideographs, simplified ones too
}
REGION_COLOURS = {"question": "#fde9c9", "context": "#dcefdc", "special": "#e6e6e6", "answer": "#8fce8f"}
UP, DOWN = "#2b6cb0", "#c05621"  # an attribution that raises the logit, one that lowers it
LOWEST_SHOWN_SCORE = 1e-6  # the span matrix's log colour scale starts here; lower scores share its darkest colour
LEFT_TO_RIGHT_MARK = "\u200e"
DOTTED_CIRCLE = "\u25cc"  # the usual stand-in for the letter a combining mark would sit on


def font_files() -> dict[str, list[Path]]:
    """Family -> its font files, from the Python packages of :data:`FONT_PACKAGES` (the rendered pages embed them too)."""
    return {family: _font_files(package) for package, family in FONT_PACKAGES.items()}


def _font_files(package: str) -> list[Path]:
    module = importlib.import_module(package)
    if hasattr(module, "ROOT"):
        return sorted(p for p in (module.ROOT / "files").glob("*.ttf") if "Italic" not in p.name)
    return [Path(module.get_TTF_path())]


@lru_cache(maxsize=1)
def use_multilingual_fonts() -> tuple[str, ...]:
    """Register the Noto fonts with matplotlib and use them as a fallback chain; returns the chain."""
    import matplotlib as mpl
    from matplotlib import font_manager

    for package in FONT_PACKAGES:
        for path in _font_files(package):
            font_manager.fontManager.addfont(str(path))
    chain = (*FONT_PACKAGES.values(), "DejaVu Sans")
    mpl.rcParams["font.family"] = list(chain)
    return chain


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` that no font of the chain can draw (whitespace aside)."""
    from matplotlib.ft2font import FT2Font

    covered: set[int] = set()
    for package in FONT_PACKAGES:
        for path in _font_files(package):
            covered |= set(FT2Font(str(path)).get_charmap())
    return {c for c in text if not c.isspace() and ord(c) not in covered}


def token_label(token: str) -> str:
    """A word piece as a plot label that draws it as the tokenizer wrote it, in every script.

    A continuation piece that starts with a combining mark (a Hindi vowel sign, a Thai tone mark) gets a dotted
    circle for the mark to sit on, instead of the last '#'; a left-to-right mark keeps '##' on the left of an
    Arabic piece, where the bidirectional algorithm would otherwise move it.
    """
    if not token.startswith("##") or len(token) == 2:
        return token
    rest = token[2:]
    if unicodedata.category(rest[0]) in ("Mn", "Mc"):
        rest = DOTTED_CIRCLE + rest
    return f"{LEFT_TO_RIGHT_MARK}##{rest}"


def _regions(tl: TokenLogits, max_answer_len: int) -> list[str]:
    regions = ["special" if s is None else "question" if s == 0 else "context" for s in tl.sequence_ids]
    best = top_spans(tl.start_logits, tl.end_logits, tl.context_mask, max_answer_len=max_answer_len)
    for i, j, _ in best:
        regions[i:j + 1] = ["answer"] * (j + 1 - i)
    return regions


def _token_axes(tl: TokenLogits, ax, max_answer_len: int):
    """The axes every per-token plot shares: the regions shaded, a zero line, one script-safe label per token."""
    import matplotlib.pyplot as plt

    use_multilingual_fonts()
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.38 * len(tl.tokens)), 3.2))
    for i, region in enumerate(_regions(tl, max_answer_len)):
        ax.axvspan(i - 0.5, i + 0.5, color=REGION_COLOURS[region], zorder=0)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(np.arange(len(tl.tokens)), [token_label(t) for t in tl.tokens], rotation=90, fontsize=9)
    ax.set_xlim(-0.5, len(tl.tokens) - 0.5)
    ax.set_xlabel("input token, in order", fontsize=9)
    return ax


def _legend_above(ax, handles: list) -> None:
    """One legend row above a per-token plot: the plot's own entries, then the shaded regions."""
    from matplotlib.patches import Patch

    regions = [Patch(color=c, label=name) for name, c in REGION_COLOURS.items()]
    ax.legend(handles=handles + regions, ncol=6, fontsize=9, loc="upper left", bbox_to_anchor=(0, 1.24), frameon=False)


def plot_token_logits(tl: TokenLogits, title: str = "", ax=None, legend: bool = True, max_answer_len: int = 30):
    """Start and end logit of every token, with the question, context, special tokens and the decoded answer shaded."""
    ax = _token_axes(tl, ax, max_answer_len)
    x = np.arange(len(tl.tokens))
    ax.bar(x - 0.2, tl.start_logits, width=0.4, label="start logit", color="#1f77b4", zorder=2)
    ax.bar(x + 0.2, tl.end_logits, width=0.4, label="end logit", color="#d62728", zorder=2)
    ax.set_ylabel("logit")
    if legend:
        _legend_above(ax, ax.get_legend_handles_labels()[0])
    if title:
        ax.set_title(title, loc="right", fontsize=10)
    return ax.figure


def plot_token_attributions(tl: TokenLogits, attributions: np.ndarray, title: str = "", ax=None):
    """Each token's share of one logit (integrated gradients, notebook 4), over the regions of :func:`plot_token_logits`."""
    from matplotlib.patches import Patch

    if len(attributions) != len(tl.tokens):
        raise ValueError(f"{len(attributions)} attributions for {len(tl.tokens)} tokens")
    ax = _token_axes(tl, ax, max_answer_len=30)
    shares = np.asarray(attributions)
    ax.bar(np.arange(len(tl.tokens)), shares, width=0.6, color=np.where(shares >= 0, UP, DOWN), zorder=2)
    ax.set_ylabel("share of the logit")
    _legend_above(ax, [Patch(color=UP, label="raises the logit"), Patch(color=DOWN, label="lowers it")])
    if title:
        ax.set_title(title, loc="right", fontsize=10)
    return ax.figure


def plot_span_scores(tl: TokenLogits, max_answer_len: int = 30, title: str = "", ax=None):
    """The start x end score matrix over context tokens, on a log colour scale so that the runner-up spans show
    beside the winner: invalid spans grey, the best span boxed."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Rectangle

    use_multilingual_fonts()
    mask = tl.context_mask
    idx = np.flatnonzero(mask)
    scores = span_score_matrix(tl.start_logits, tl.end_logits, mask, max_answer_len)[np.ix_(idx, idx)]
    valid = np.triu(np.ones_like(scores, dtype=bool)) & (np.subtract.outer(idx, idx) > -max_answer_len)
    if ax is None:
        side = max(4.0, 0.32 * len(idx) + 1.5)
        _, ax = plt.subplots(figsize=(side + 1, side))
    shown = np.ma.masked_where(~valid, scores)
    cmap = plt.get_cmap("viridis").with_extremes(bad="#d9d9d9")
    image = ax.imshow(shown, cmap=cmap, norm=LogNorm(vmin=LOWEST_SHOWN_SCORE, vmax=1.0, clip=True), origin="upper")
    labels = [token_label(tl.tokens[i]) for i in idx]
    ax.set_xticks(range(len(idx)), labels, rotation=90, fontsize=9)
    ax.set_yticks(range(len(idx)), labels, fontsize=9)
    ax.set_xlabel("end token")
    ax.set_ylabel("start token")
    best = top_spans(tl.start_logits, tl.end_logits, mask, max_answer_len=max_answer_len)
    if best:
        i, j, _ = best[0]
        r, c = int(np.searchsorted(idx, i)), int(np.searchsorted(idx, j))
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="p_start × p_end (log scale)")
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure


def top_span_table(tl: TokenLogits, context: str, top_k: int = 5, max_answer_len: int = 30):
    """The n-best spans as a table: token positions, score and the text they cover."""
    import pandas as pd

    rows = []
    for i, j, score in top_spans(tl.start_logits, tl.end_logits, tl.context_mask, top_k=top_k, max_answer_len=max_answer_len):
        start, end = tl.offsets[i][0], tl.offsets[j][1]
        rows.append({"start token": i, "end token": j, "score": round(score, 3), "text": context[start:end]})
    return pd.DataFrame(rows)
