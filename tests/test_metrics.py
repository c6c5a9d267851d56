"""EM and F1 on hand-made cases in each of the 11 languages, under both normalisations."""
import pytest

from qa_helpers.metrics import exact_match, f1, tokens


def test_squad_rules_match_the_official_script_on_english():
    assert tokens("The  Panthers' defense!", mode="squad") == ["panthers", "defense"]
    assert exact_match("the Broncos", ["Broncos"]) == 1.0
    assert f1("Denver Broncos won", ["Broncos"]) == pytest.approx(0.5)
    assert f1("nothing", ["Broncos"]) == 0.0
    # both normalise to nothing: equal for EM, but F1 needs a token in common (the script's rule)
    assert exact_match("a", ["the"]) == 1.0 and f1("a", ["the"]) == 0.0 and f1("", [""]) == 0.0


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


# The MLQA script's rules, on cases of our own: (lang, text, tokens after normalisation).
MLQA_CASES = [
    ("en", "U.S.A. rock-n-roll", ["usa", "rocknroll"]),  # punctuation is deleted, not made a space
    ("en", "$100 + tax", ["100", "tax"]),  # ASCII symbols count as punctuation too
    ("en", "The Beatles", ["beatles"]),
    ("es", "«La Paz»", ["paz"]),  # Unicode punctuation (category P*) is deleted
    ("de", "Der Rhein, die Mosel", ["rhein", "mosel"]),
    ("vi", "của những con mèo củaa", ["con", "mèo", "củaa"]),  # whole words only
    ("ar", "الكتاب", ["كتاب"]),
    ("ar", "قالوا", ["ق", "وا"]),  # every ال goes, also inside a word, as the script does
    ("hi", "लंदन में।", ["लंदन", "में"]),  # no articles; the danda is punctuation
    ("zh", "2008年北京", ["2008", "年", "北", "京"]),  # each character of U+4E00..U+9FA5 is a token
    ("zh", "“伦敦”。", ["伦", "敦"]),
    ("zh", "\u9fa6\u9fa6", ["\u9fa6\u9fa6"]),  # just past the script's range: not split
]
EXTENSION_CASES = [
    ("el", "Η Αθήνα", ["αθήνα"]),
    ("tr", "Londra’da", ["londra", "da"]),
    ("ru", "В Москве.", ["в", "москве"]),
    ("th", "กรุงเทพ", list("กรุงเทพ")),
]


@pytest.mark.parametrize("lang, text, expected", MLQA_CASES + EXTENSION_CASES, ids=lambda c: c if isinstance(c, str) and len(c) == 2 else None)
def test_multilingual_normalisation_follows_mlqa_and_documented_extensions(lang, text, expected):
    assert tokens(text, lang, "multilingual") == expected


def test_f1_follows_the_scripts_when_nothing_is_left():
    for mode in ("squad", "multilingual"):
        assert exact_match("", [""], "en", mode) == 1.0 and f1("", [""], "en", mode) == 0.0
        assert f1("", ["London"], "en", mode) == 0.0
