"""Smoothing before int8 (SmoothQuant's idea, on an ONNX graph): move activation outliers into the weights.

Dynamic int8 gives an activation tensor one scale, set by its largest value. In BERT a few input channels of
some linear layers carry values tens of times larger than the rest (outlier channels), so every other channel
is left with a few of the 256 steps. Smoothing divides each input channel ``j`` of a linear layer by
``s_j`` and multiplies row ``j`` of its weight by the same ``s_j``: ``(x / s) @ (diag(s) W) = x @ W``, so the
fp32 function is unchanged while the activation's range evens out and the weight (quantised per output
channel, where it has room to spare) takes the difference. ``s_j = max|x_j|^alpha / max|W_j|^(1 - alpha)``
(Xiao et al., 2023); ``alpha`` says how much of the range moves into the weights.

BERT puts LayerNorm after the residual sum, so a LayerNorm's output also feeds the residual stream and cannot
take the division (SmoothQuant folds it there in pre-LN models). The division is an explicit fp32 ``Mul``
on the linear layer's input edge only, which the quantiser leaves in fp32.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

__all__ = ["channel_maxima", "linear_groups", "smooth", "smoothing_scales"]


def linear_groups(onnx_file: Path, num_layers: int | None = None) -> dict[str, list[str]]:
    """Group name -> the nodes that dynamic quantisation turns int8 in that group, in the export's order.

    ``onnx_file`` is a BERT QA export. Quantisation touches the embedding tables (their
    ``Gather`` nodes) and every MatMul with a weight. The export holds, per encoder layer, the query, key, value
    and output projections of attention, then the feed-forward block's two layers; after the last layer, the QA
    head. The graph's nodes come in that order, so the weight MatMuls are cut into groups by position; a graph
    with another count of them than ``num_layers`` says (by default, any count but 6 per layer plus one) is refused
    rather than guessed at.
    """
    import onnx

    graph = onnx.load(str(onnx_file), load_external_data=False).graph
    weights = {tensor.name for tensor in graph.initializer}
    linear = [node.name for node in graph.node if node.op_type == "MatMul" and node.input[1] in weights]
    if num_layers is None:
        num_layers = max(1, (len(linear) - 1) // 6)
    if len(linear) != 6 * num_layers + 1:
        raise ValueError(f"{onnx_file} has {len(linear)} linear MatMuls; a {num_layers}-layer BERT QA export has "
                         f"{6 * num_layers + 1} (6 per layer and the QA head)")
    groups = {"embeddings": [node.name for node in graph.node if node.op_type == "Gather" and node.input[0] in weights]}
    for layer in range(num_layers):
        groups[f"layer {layer} attention"] = linear[6 * layer : 6 * layer + 4]
        groups[f"layer {layer} feed-forward"] = linear[6 * layer + 4 : 6 * layer + 6]
    groups["QA head"] = linear[-1:]
    return groups


def channel_maxima(onnx_file: Path, matmuls: list[str], windows: Iterable[tuple[list[int], list[int]]]) -> dict[str, np.ndarray]:
    """The largest ``|x_j|`` of each input channel ``j`` of each named MatMul, over ``windows`` run in fp32.

    ``windows``: (input ids, token type ids), one window per pass as int8 runs them. The MatMuls' inputs are
    made outputs of a copy of the graph, so ONNX Runtime hands them back beside the logits.
    """
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(onnx_file))
    nodes = {node.name: node for node in model.graph.node}
    missing = [name for name in matmuls if name not in nodes]
    if missing:
        raise ValueError(f"{onnx_file} has no MatMul named {missing[0]!r}")
    inputs = {name: nodes[name].input[0] for name in matmuls}
    for tensor in dict.fromkeys(inputs.values()):
        model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    del model
    wanted = list(dict.fromkeys(inputs.values()))
    maxima: dict[str, np.ndarray] = {}
    for ids, types in windows:
        feed = {"input_ids": np.array([ids], dtype=np.int64), "token_type_ids": np.array([types], dtype=np.int64),
                "attention_mask": np.ones((1, len(ids)), dtype=np.int64)}
        for tensor, value in zip(wanted, session.run(wanted, feed)):
            seen = np.abs(value).reshape(-1, value.shape[-1]).max(axis=0)
            maxima[tensor] = seen if tensor not in maxima else np.maximum(maxima[tensor], seen)
    if not maxima:
        raise ValueError("channel_maxima needs at least one window")
    return {name: maxima[tensor] for name, tensor in inputs.items()}


def smoothing_scales(activation_max: np.ndarray, weight: np.ndarray, alpha: float) -> np.ndarray:
    """``s_j = max|x_j|^alpha / max_k |W_jk|^(1 - alpha)`` for a MatMul weight ``W`` (inputs x outputs), at least 1.

    Never below 1: smoothing only shrinks channels. A channel that stayed near zero in calibration (a GELU output
    whose input was always negative) would otherwise get ``s_j`` near 0.001, and the one window where it wakes up
    would be multiplied by a thousand and take the whole tensor's int8 range (measured: the answers were lost).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], not {alpha}")
    weight_max = np.abs(weight).max(axis=1)
    usable = (activation_max > 0) & (weight_max > 0)
    scales = np.ones_like(activation_max, dtype=np.float32)
    scales[usable] = activation_max[usable] ** alpha / weight_max[usable] ** (1 - alpha)
    return np.maximum(scales, 1.0).astype(np.float32)


def smooth(onnx_file: Path, out_file: Path, activation_max: dict[str, np.ndarray], alpha: float) -> None:
    """Write ``onnx_file`` with each MatMul named in ``activation_max`` smoothed: its input divided by ``s`` in
    an fp32 ``Mul`` placed just before it, its weight's rows multiplied by ``s``. The fp32 function is unchanged."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_file))
    graph = model.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    kept = list(graph.node)
    uses = Counter(name for node in kept for name in node.input)
    del graph.node[:]
    for node in kept:
        if node.name in activation_max:
            if node.op_type != "MatMul" or node.input[1] not in weights:
                raise ValueError(f"{node.name} is not a MatMul with a weight; only those can be smoothed")
            if uses[node.input[1]] > 1:
                raise ValueError(f"{node.name}'s weight {node.input[1]} is shared; scaling it would change its other users")
            weight = numpy_helper.to_array(weights[node.input[1]])
            scales = smoothing_scales(activation_max[node.name], weight, alpha)
            weights[node.input[1]].CopyFrom(numpy_helper.from_array((weight * scales[:, None]).astype(weight.dtype),
                                                                    node.input[1]))
            divisor, smoothed = f"{node.name}.smoothing", f"{node.input[0]}.smoothed.{node.name}"
            graph.initializer.append(numpy_helper.from_array((1.0 / scales).astype(np.float32), divisor))
            graph.node.append(onnx.helper.make_node("Mul", [node.input[0], divisor], [smoothed], name=f"{node.name}.smooth"))
            node.input[0] = smoothed
        graph.node.append(node)
    onnx.save(model, str(out_file))
