"""An answer shown in its context, as HTML: the span marked, each token shaded by probability.

A plain function that returns HTML, so the same picture appears in Jupyter, in Colab and in the
rendered pages (which show stored HTML outputs but run no widgets). Right-to-left contexts
(Arabic) get ``dir="rtl"``, so the browser lays them out correctly; the marked text is always
exactly ``context[answer.start:answer.end]``.
"""
from __future__ import annotations

import html
import unicodedata

from ..decoding import masked_softmax, softmax_positions
from ..results import Answer, TokenLogits

__all__ = ["highlight_html", "text_direction"]

START_RGB, END_RGB = "46, 160, 67", "31, 111, 235"  # green background: start; blue underline: end


def text_direction(text: str) -> str:
    """'rtl' when the first strongly directional character is right-to-left, else 'ltr'
    (the first-strong rule of the Unicode bidirectional algorithm, as ``dir="auto"`` uses)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _token_styles(context: str, logits: TokenLogits) -> dict[tuple[int, int], str]:
    """Character span of each context token -> its CSS: start and end probability (the decoder's softmax) as opacity."""
    mask, positions = logits.context_mask, softmax_positions(logits.context_mask)
    p_start, p_end = masked_softmax(logits.start_logits, positions), masked_softmax(logits.end_logits, positions)
    styles = {}
    for i, (start, end) in enumerate(logits.offsets):
        if mask[i] and end > start and end <= len(context):
            styles[(start, end)] = (
                f"background: rgba({START_RGB}, {p_start[i]:.2f}); "
                f"border-bottom: 3px solid rgba({END_RGB}, {p_end[i]:.2f})"
            )
    return styles


def highlight_html(context: str, answer: Answer | None = None, logits: TokenLogits | None = None) -> str:
    """``context`` as an HTML block: ``answer`` inside ``<mark>``; with ``logits`` (from
    ``qa.logits``), every context token shaded green by its start probability and underlined
    blue by its end probability."""
    if answer is not None and not (0 <= answer.start <= answer.end <= len(context)):
        raise ValueError(f"answer span [{answer.start}:{answer.end}] lies outside the context ({len(context)} characters)")
    styles = _token_styles(context, logits) if logits is not None else {}
    cuts = {0, len(context)} | {edge for span in styles for edge in span}
    if answer is not None and answer.end > answer.start:
        cuts |= {answer.start, answer.end}
    edges = sorted(cuts)
    token_at = {}
    for (start, end), style in styles.items():
        for edge in edges:
            if start <= edge < end:
                token_at[edge] = style
    parts, marked = [], False
    for lo, hi in zip(edges, edges[1:]):
        inside = answer is not None and answer.start <= lo and hi <= answer.end and answer.end > answer.start
        if inside != marked:
            parts.append("<mark>" if inside else "</mark>")
            marked = inside
        piece = html.escape(context[lo:hi])
        parts.append(f'<span style="{token_at[lo]}">{piece}</span>' if lo in token_at else piece)
    if marked:
        parts.append("</mark>")
    direction = text_direction(context)
    return f'<div class="qa-highlight" dir="{direction}" style="line-height: 1.9">{"".join(parts)}</div>'
