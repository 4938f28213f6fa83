"""MiniLM's forward pass as an ONNX graph, run by onnxruntime on one CPU thread.

Why: a customer message is ~15 word pieces. At that size numpy paid for every intermediate array and
one BLAS call per product (~14 ms per message on the stop-15 host); onnxruntime runs the same weights
with fused LayerNorm/GELU kernels and no Python between ops (figures in docs/architecture.md). The
graph is built here, in memory, from the arrays MiniLMEncoder prepared (bot/minilm.py), so nothing is
downloaded or converted at install time; it is BERT's inference arithmetic and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from bot.minilm import MiniLMEncoder

OPSET = 17  # LayerNormalization is an ONNX op from opset 17


def build(encoder: MiniLMEncoder) -> bytes:
    """The serialised ONNX model: inputs input_ids (batch, length) int64 and attention_mask (batch,
    length) float32; output last_hidden_state (batch, length, hidden) float32."""
    from onnx import TensorProto, helper, numpy_helper

    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray | float | list[int]) -> str:
        array = np.asarray(value)
        array = array.astype(np.int64 if array.dtype.kind == "i" else np.float32, copy=False)
        inits.append(numpy_helper.from_array(array, name))
        return name

    def op(kind: str, inputs: list[str], name: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [name], name=name, **attrs))
        return name

    def layer_norm(x: str, gamma: np.ndarray, beta: np.ndarray, name: str) -> str:
        return op("LayerNormalization", [x, const(name + ".g", gamma), const(name + ".b", beta)], name,
                  axis=-1, epsilon=encoder.eps)

    def dense(x: str, w: np.ndarray, b: np.ndarray, name: str) -> str:
        return op("Add", [op("MatMul", [x, const(name + ".w", w)], name + ".mm"), const(name + ".bias", b)], name)

    heads, size = encoder.heads, encoder.hidden // encoder.heads
    # Embeddings: word + position (the first `length` rows) + token type 0, then LayerNorm.
    length = op("Slice", [op("Shape", ["input_ids"], "ids_shape"), const("one", [1]), const("two", [2])], "length")
    position = op("Slice", [const("position", encoder.position), const("zero", [0]), length, const("axis0", [0])],
                  "position_rows")
    x = op("Add", [op("Gather", [const("word", encoder.word), "input_ids"], "word_rows"), position], "emb_sum")
    x = op("Add", [x, const("token_type0", encoder.token_type0)], "emb")
    x = layer_norm(x, *encoder.emb_ln, "emb_ln")
    # Padding never receives attention: (1 - mask) * -1e9, broadcast over heads and query positions.
    keep = op("Sub", [const("f_one", 1.0), "attention_mask"], "pad")
    bias = op("Unsqueeze", [op("Mul", [keep, const("neg", -1e9)], "pad_neg"), const("axes12", [1, 2])], "attn_bias")
    split = const("qkv_shape", [0, 0, 3, heads, size])
    merged = const("ctx_shape", [0, 0, encoder.hidden])
    scale = const("scale", 1.0 / np.sqrt(size))
    inv_sqrt2, half = const("inv_sqrt2", 1.0 / np.sqrt(2.0)), const("half", 0.5)
    for i, layer in enumerate(encoder.layers):
        p = f"l{i}."
        qkv = op("Transpose", [op("Reshape", [dense(x, layer.qkv_w, layer.qkv_b, p + "qkv"), split], p + "qkv5")],
                 p + "qkvT", perm=[2, 0, 3, 1, 4])  # (3, batch, heads, length, size)
        q, k, v = (op("Gather", [qkv, const(f"{p}idx{j}", j)], f"{p}{n}", axis=0) for j, n in enumerate("qkv"))
        scores = op("MatMul", [op("Mul", [q, scale], p + "q_scaled"),
                               op("Transpose", [k], p + "kT", perm=[0, 1, 3, 2])], p + "scores")
        probs = op("Softmax", [op("Add", [scores, bias], p + "masked")], p + "probs", axis=-1)
        context = op("Transpose", [op("MatMul", [probs, v], p + "ctx")], p + "ctxT", perm=[0, 2, 1, 3])
        context = op("Reshape", [context, merged], p + "ctx3")
        attended = op("Add", [dense(context, layer.out_w, layer.out_b, p + "out"), x], p + "res1")
        x = layer_norm(attended, layer.ln1_g, layer.ln1_b, p + "ln1")
        up = dense(x, layer.up_w, layer.up_b, p + "up")
        # BERT's exact GELU: 0.5 x (1 + erf(x / sqrt 2)); onnxruntime fuses it into one kernel.
        erf = op("Erf", [op("Mul", [up, inv_sqrt2], p + "up_scaled")], p + "erf")
        gelu = op("Mul", [op("Mul", [up, half], p + "up_half"), op("Add", [erf, const(p + "one", 1.0)], p + "erf1")],
                  p + "gelu")
        x = layer_norm(op("Add", [dense(gelu, layer.down_w, layer.down_b, p + "down"), x], p + "res2"),
                       layer.ln2_g, layer.ln2_b, p + "ln2")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="last_hidden_state"))
    graph = helper.make_graph(
        nodes, "minilm",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", "length"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "length", encoder.hidden])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tandem")
    model.ir_version = 8  # what onnxruntime 1.23 and onnx 1.14 both read
    return model.SerializeToString()


def session(model: bytes, threads: int = 1) -> Any:
    """An onnxruntime session on `threads` threads that sleep between calls (a spinning pool would take
    a core from every other turn, as OpenBLAS's second thread did: bot/minilm.py limit_blas_threads)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
