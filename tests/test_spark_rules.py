"""The Python replica of Spark NLP's tokenizer, on the cases where it differs from transformers."""
from qa_helpers.engines import spark_rules as sr

VOCAB = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "Fisica", "de", "##e", "d", "ab", "##c"])}


def words(text):
    return [(w.text, text[w.start : w.end]) for w in sr.basic_tokenize(text)]


def test_accents_are_stripped_but_spans_point_at_the_original_text():
    assert words("Física de Berkeley") == [("Fisica", "Física"), ("de", "de"), ("Berkeley", "Berkeley")]
    assert sr.normalize_word("λένε") == "λενε"
    assert sr.normalize_word("Việt") == "Viet"


def test_punctuation_is_decided_by_unicode_name():
    assert words("a,b") == [("a", "a"), (",", ","), ("b", "b")]
    assert words("«a»") == [("«a»", "«a»")]  # no "PUNCTUATION" in these names: part of the word
    assert words("¿Cómo?") == [("¿Como", "¿Cómo"), ("?", "?")]  # INVERTED QUESTION MARK: not "PUNCTUATION"
    assert words("“a”") == [("“a”", "“a”")]


def test_chinese_characters_split_and_non_breaking_space_is_not_whitespace():
    assert [w for w, _ in words("我叫Clara")] == ["我", "叫", "Clara"]
    assert words("a\u00a0b c") == [("a\u00a0b", "a\u00a0b"), ("c", "c")]


def test_controls_and_nul_are_dropped_and_emoji_stay_inside_words():
    assert words("a\u0000b\u0007c") == [("a", "a"), ("b", "b"), ("c", "c")]
    assert words("hi🙂 there") == [("hi🙂", "hi🙂"), ("there", "there")]


def test_wordpiece_greedy_and_unknown():
    assert sr.wordpiece("dee", VOCAB) == ["de", "##e"]  # longest match first
    assert sr.wordpiece("abc", VOCAB) == ["ab", "##c"]
    assert sr.wordpiece("xyz", VOCAB) == ["[UNK]"]
    assert sr.wordpiece("d" * 201, VOCAB) == ["[UNK]"]


def test_encode_and_span_mapping_follow_spark_indexing():
    enc = sr.encode("de", "Física de d", VOCAB)
    assert enc.tokens == ["[CLS]", "de", "[SEP]", "Fisica", "de", "d", "[SEP]"]
    text, start, end = sr.span_from_indices(enc, 3, 4)  # "Fisica de"
    assert (text, "Física de d"[start:end]) == ("Fisica de", "Física de")
    assert sr.span_from_indices(enc, 5, 3) == ("", 0, 0)  # end before start: empty answer
    text, start, end = sr.span_from_indices(enc, 1, 3)  # starts inside the question
    assert text == "de Fisica" and (start, end) == (0, 6)


def test_truncation_keeps_the_question_and_cuts_the_context():
    enc = sr.encode("de de", "de " * 50, VOCAB, max_length=10)
    assert len(enc.ids) == 10 and enc.tokens[:4] == ["[CLS]", "de", "de", "[SEP]"]


def test_segment_ids_follow_the_engine():
    ids = [2, 7, 3, 8, 9, 3]
    assert sr.segment_ids(ids, 3, "onnx") == [0, 0, 0, 1, 1, 1]  # BERT's own, derived inside our ONNX graph
    assert sr.segment_ids(ids, 3, "tensorflow") == [0, 0, 1, 1, 1, 1]  # the first [SEP] already gets 1


def test_cuts_a_word_sees_spans_that_begin_or_end_inside_a_word():
    enc = sr.encode("de", "dee abc d", VOCAB)
    assert enc.tokens == ["[CLS]", "de", "[SEP]", "de", "##e", "ab", "##c", "d", "[SEP]"]
    assert not sr.cuts_a_word(enc, 3, 4)  # "dee"
    assert not sr.cuts_a_word(enc, 3, 7)  # the whole context, up to the final [SEP]
    assert sr.cuts_a_word(enc, 4, 4)  # "##e": begins inside "dee"
    assert sr.cuts_a_word(enc, 5, 5)  # "ab": ends inside "abc"
    assert sr.span_from_indices(enc, 4, 4)[0] == ""  # where Spark NLP then answers with no word
