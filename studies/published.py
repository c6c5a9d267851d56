"""Published scores the studies compare the model with."""
from __future__ import annotations

__all__ = ["PUBLISHED_MBERT_ZERO_SHOT", "published_mean"]

# mBERT fine-tuned on English SQuAD v1.1, evaluated zero-shot on XQuAD (F1, EM): the "mBERT" row
# of the Baselines tables in the XQuAD repository README (google-deepmind/xquad; Artetxe et al. 2020).
PUBLISHED_MBERT_ZERO_SHOT = {
    "en": (83.5, 72.2), "es": (75.5, 56.9), "de": (70.6, 54.0), "el": (62.6, 44.9), "ru": (71.3, 53.3),
    "tr": (55.4, 40.1), "ar": (61.5, 45.1), "vi": (69.5, 49.6), "th": (42.7, 33.5), "zh": (58.0, 48.3),
    "hi": (59.2, 46.0),
}


def published_mean(langs: list[str]) -> tuple[float, float]:
    """Published mBERT zero-shot F1 and EM, averaged over ``langs``."""
    f1 = sum(PUBLISHED_MBERT_ZERO_SHOT[lang][0] for lang in langs) / len(langs)
    em = sum(PUBLISHED_MBERT_ZERO_SHOT[lang][1] for lang in langs) / len(langs)
    return f1, em
