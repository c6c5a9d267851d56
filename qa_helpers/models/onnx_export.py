"""Export a transformers BERT-QA model to the ONNX layout that Spark NLP imports.

``BertForQuestionAnswering.loadSavedModel(folder, spark)`` reads ``folder/model.onnx`` and
``folder/assets/vocab.txt``. Spark NLP feeds the graph ``input_ids``, ``attention_mask`` and
``token_type_ids`` and reads ``start_logits`` and ``end_logits``, so those are the names we
export. The same weights then run in both engines, which notebook 3 checks logit by logit.

Spark NLP 5.5 feeds an ONNX model ``token_type_ids`` of 0 everywhere, while BERT-QA models are
trained with the context in segment 1. So the graph derives the segments itself: a token after
the first ``[SEP]`` (and not padding) is in segment 1, whatever was fed. Given BERT's own
segments, as transformers gives them, that changes nothing.
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

from ..config import MAX_POSITIONS, quiet_transformers

__all__ = ["OPSET", "SPARK_ONNXRUNTIME_MAX_IR", "export_for_spark"]

OPSET = 18
SPARK_ONNXRUNTIME_MAX_IR = 10  # Spark NLP 5.5 bundles ONNX Runtime 1.19


def export_for_spark(transformers_model: str, out_dir: Path) -> Path:
    """Write ``out_dir/model.onnx`` and ``out_dir/assets/vocab.txt`` for a hub id or folder."""
    quiet_transformers()
    import onnx
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    model = AutoModelForQuestionAnswering.from_pretrained(
        transformers_model, attn_implementation="eager", use_safetensors=True
    )
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(transformers_model)

    class StartEndLogits(torch.nn.Module):
        def __init__(self, inner, sep_id: int):
            super().__init__()
            self.inner, self.sep_id = inner, sep_id

        def forward(self, input_ids, attention_mask, token_type_ids):
            is_sep = (input_ids == self.sep_id).to(token_type_ids.dtype)
            after_first_sep = ((torch.cumsum(is_sep, dim=1) - is_sep) > 0).to(token_type_ids.dtype)
            segments = torch.maximum(token_type_ids, after_first_sep * attention_mask.to(token_type_ids.dtype))
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=segments)
            return out.start_logits, out.end_logits

    # Three distinct example tensors: the exporter would merge inputs that share one tensor object.
    input_ids = torch.tensor([[2, 10, 11, 3, 12, 13, 14, 3]])
    attention_mask = torch.ones_like(input_ids)
    token_type_ids = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1]])
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", max=MAX_POSITIONS)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "model.onnx"
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # exporter chatter, not problems
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _export(StartEndLogits(model, tokenizer.sep_token_id).eval(), (input_ids, attention_mask, token_type_ids), onnx_path, batch, seq)
    graph = onnx.load(str(onnx_path))
    graph.ir_version = min(graph.ir_version, SPARK_ONNXRUNTIME_MAX_IR)
    onnx.checker.check_model(graph)
    onnx.save(graph, str(onnx_path))

    vocab = tokenizer.get_vocab()
    (out_dir / "assets").mkdir(exist_ok=True)
    (out_dir / "assets" / "vocab.txt").write_text(
        "".join(token + "\n" for token, _ in sorted(vocab.items(), key=lambda kv: kv[1])), encoding="utf-8"
    )
    return out_dir


def _export(module, example, onnx_path: Path, batch, seq) -> None:
    import torch

    torch.onnx.export(
        module,
        example,
        str(onnx_path),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["start_logits", "end_logits"],
        dynamic_shapes=({0: batch, 1: seq}, {0: batch, 1: seq}, {0: batch, 1: seq}),
        opset_version=OPSET,
        external_data=False,
        dynamo=True,
        verbose=False,
    )
