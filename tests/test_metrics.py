"""EM and F1 on hand-made cases in each of the 11 languages, under both normalisations."""
import pytest

from qa_helpers.metrics import exact_match, f1, tokens


def test_squad_rules_match_the_official_script_on_english():
    assert tokens("The  Panthers' defense!", mode="squad") == ["panthers", "defense"]
    assert exact_match("the Broncos", ["Broncos"]) == 1.0
    assert f1("Denver Broncos won", ["Broncos"]) == pytest.approx(0.5)
    assert f1("nothing", ["Broncos"]) == 0.0
    assert f1("", [""]) == 1.0 and f1("a", ["the"]) == 1.0  # both normalise to nothing


CASES = [
    # lang, prediction, gold, squad (EM, F1), multilingual (EM, F1)
    ("en", "the city of London.", "London", (0.0, 0.5), (0.0, 0.5)),
    ("es", "el Premio Nobel", "Premio Nobel", (0.0, 0.8), (1.0, 1.0)),
    ("de", "den Nobelpreis", "Nobelpreis", (0.0, 2 / 3), (1.0, 1.0)),
    ("el", "το Λονδίνο", "Λονδίνο", (0.0, 2 / 3), (1.0, 1.0)),
    ("ru", "в Лондоне", "Лондоне", (0.0, 2 / 3), (0.0, 2 / 3)),
    ("tr", "Londra'da", "Londra", (0.0, 0.0), (0.0, 2 / 3)),  # the apostrophe splits off the suffix
    ("ar", "القاهرة", "قاهرة", (0.0, 0.0), (1.0, 1.0)),
    ("vi", "những con mèo", "con mèo", (0.0, 0.8), (1.0, 1.0)),
    ("th", "ที่ลอนดอน", "ลอนดอน", (0.0, 0.0), (0.0, 0.8)),  # 9 character tokens against 6
    ("zh", "在伦敦", "伦敦", (0.0, 0.0), (0.0, 0.8)),
    ("hi", "लंदन में", "लंदन", (0.0, 2 / 3), (0.0, 2 / 3)),
    ("zh", "“伦敦”。", "伦敦", (0.0, 0.0), (1.0, 1.0)),  # Unicode punctuation is dropped
]


@pytest.mark.parametrize("lang, prediction, gold, squad, multilingual", CASES, ids=[c[0] for c in CASES])
def test_both_normalisations_in_every_language(lang, prediction, gold, squad, multilingual):
    for mode, (em, score) in (("squad", squad), ("multilingual", multilingual)):
        assert exact_match(prediction, [gold], lang, mode) == em, mode
        assert f1(prediction, [gold], lang, mode) == pytest.approx(score), mode


def test_best_gold_counts_and_bad_mode_is_named():
    assert f1("London", ["Paris", "London"]) == 1.0
    with pytest.raises(ValueError, match="mode must be one of"):
        tokens("x", mode="bleu")
