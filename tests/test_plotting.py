"""Plots: every label of every script has a glyph, and the figures show what they claim."""
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import qa_helpers as qa  # noqa: E402
from qa_helpers import plotting  # noqa: E402


@pytest.mark.slow
def test_registered_fonts_cover_every_token_of_all_11_languages(tiny):
    tokens = "".join(t for ex in qa.multilingual_examples() for t in qa.logits(ex.question, ex.context, model=tiny).tokens)
    assert plotting.missing_glyphs(tokens) == set()
    assert plotting.missing_glyphs("🙂") == {"🙂"}  # the check itself can fail


def test_drawing_labels_in_every_script_warns_of_no_missing_glyph(tiny):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font")
        for ex in [e for e in qa.multilingual_examples() if e.fact == "home"]:
            fig = plotting.plot_token_logits(qa.logits(ex.question, ex.context, model=tiny), title=ex.lang)
            fig.canvas.draw()
            plt.close(fig)


def test_token_plot_has_one_bar_pair_per_token_and_span_plot_boxes_the_best_span(tiny):
    ex = qa.model_card_examples()[0]
    tl = qa.logits(ex.question, ex.context, model=tiny)
    fig = plotting.plot_token_logits(tl)
    ax = fig.axes[0]
    assert len(ax.patches) >= 2 * len(tl.tokens)
    assert [t.get_text() for t in ax.get_xticklabels()] == [plotting.token_label(t) for t in tl.tokens]
    (i, j, _), = qa.top_spans(tl.start_logits, tl.end_logits, tl.context_mask)
    answer_colour = matplotlib.colors.to_rgba(plotting.REGION_COLOURS["answer"])
    bands = [p for p in ax.patches if p.get_facecolor() == answer_colour]
    assert len(bands) == j + 1 - i  # the decoded answer's tokens, and no others, are marked
    plt.close(fig)
    fig = plotting.plot_span_scores(tl, max_answer_len=3)
    assert isinstance(fig.axes[0].images[0].norm, matplotlib.colors.LogNorm)  # the runners-up must show
    image = fig.axes[0].images[0].get_array()
    n = int(tl.context_mask.sum())
    assert image.shape == (n, n) and image.mask[np.tril_indices(n, -1)].all() and image.mask[0, 3]
    best = plotting.top_span_table(tl, ex.context, top_k=1, max_answer_len=3).iloc[0]
    box = [p for p in fig.axes[0].patches if p.get_edgecolor()[:3] == (1.0, 0.0, 0.0)][0]
    first = int(np.flatnonzero(tl.context_mask)[0])
    assert (box.get_x() + 0.5, box.get_y() + 0.5) == (best["end token"] - first, best["start token"] - first)
    plt.close(fig)


def test_matplotlib_shapes_complex_scripts():
    """The docs promise joined Arabic and placed Devanagari vowel signs: that needs libraqm."""
    from matplotlib import ft2font

    assert getattr(ft2font, "__libraqm_version__", "")


def test_token_labels_give_combining_marks_a_base_and_keep_hashes_left_of_arabic():
    assert plotting.token_label("Berkeley") == "Berkeley" and plotting.token_label("##") == "##"
    assert plotting.token_label("##ley") == "\u200e##ley"
    assert plotting.token_label("##ँ") == "\u200e##\u25cc\u0901"  # Hindi candrabindu: a mark with no letter
    assert plotting.token_label("##ัน") == "\u200e##\u25ccัน"  # a Thai vowel sign
    assert plotting.token_label("##ن") == "\u200e##ن"  # a left-to-right mark first: the '##' stays on the left


def test_attribution_plot_has_one_bar_per_token_and_refuses_a_wrong_length(tiny):
    ex = qa.model_card_examples()[0]
    tl = qa.logits(ex.question, ex.context, model=tiny)
    shares = np.linspace(-1, 1, len(tl.tokens))
    fig = plotting.plot_token_attributions(tl, shares)
    bars = [p for p in fig.axes[0].patches if p.get_width() == pytest.approx(0.6)]
    assert [p.get_height() for p in bars] == pytest.approx(list(shares))
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()][:2] == ["raises the logit", "lowers it"]  # the colours are named
    up, down = (matplotlib.colors.to_hex(h.get_facecolor()) for h in legend.legend_handles[:2])
    assert {matplotlib.colors.to_hex(p.get_facecolor()) for p, s in zip(bars, shares) if s > 0} == {up}
    assert {matplotlib.colors.to_hex(p.get_facecolor()) for p, s in zip(bars, shares) if s < 0} == {down}
    plt.close(fig)
    with pytest.raises(ValueError, match="attributions for"):
        plotting.plot_token_attributions(tl, shares[:-1])
