"""How the 11 languages look to the model: tokenisation statistics and cross-lingual grids."""
from __future__ import annotations

from ..api import answer_batch
from ..engines import transformers_engine
from ..examples import Example
from ..models.sources import ModelSource

__all__ = ["cross_lingual_grid", "tokenization_stats", "words_and_pieces"]


def words_and_pieces(text: str, source: ModelSource) -> list[tuple[str, list[str]]]:
    """The tokenizer's pre-tokens ("words") of ``text``, each with its word pieces."""
    tokenizer, _ = transformers_engine.load(source)
    backend = tokenizer.backend_tokenizer
    normalized = backend.normalizer.normalize_str(text) if backend.normalizer else text
    return [(word, tokenizer.tokenize(word)) for word, _ in backend.pre_tokenizer.pre_tokenize_str(normalized)]


def tokenization_stats(examples: list[Example], source: ModelSource):
    """Per language: words, pieces, pieces per word and the share of [UNK] pieces, in the model's tokenizer."""
    import pandas as pd

    rows = []
    for lang in dict.fromkeys(ex.lang for ex in examples):
        texts = list(dict.fromkeys(t for ex in examples if ex.lang == lang for t in (ex.question, ex.context)))
        pairs = [wp for text in texts for wp in words_and_pieces(text, source)]
        pieces = [p for _, ps in pairs for p in ps]
        rows.append(
            {
                "lang": lang,
                "words": len(pairs),
                "pieces": len(pieces),
                "pieces per word": round(len(pieces) / len(pairs), 2),
                "[UNK] share": round(pieces.count("[UNK]") / len(pieces), 3),
            }
        )
    return pd.DataFrame(rows).set_index("lang")


def cross_lingual_grid(by_lang: dict[str, Example], source: ModelSource, engine: str = "transformers"):
    """Answer the question of every language against the context of every language.

    ``by_lang`` maps a language to the same fact in that language. Rows are question
    languages, columns context languages; each cell is the answer text.
    """
    import pandas as pd

    langs = list(by_lang)
    pairs = [(by_lang[q].question, by_lang[c].context) for q in langs for c in langs]
    results = answer_batch(pairs, engine=engine, model=source)
    cells = [r.answers[0].text if r.answers else "" for r in results]
    grid = [cells[i * len(langs) : (i + 1) * len(langs)] for i in range(len(langs))]
    return pd.DataFrame(grid, index=pd.Index(langs, name="question ↓ / context →"), columns=langs)
