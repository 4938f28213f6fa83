"""A one-hidden-layer ReLU network in numpy, trained with Adam on soft targets.

Small enough (396 → 512 → 7) that a numpy loop trains it in seconds on two cores, which
keeps scikit-learn's pickles and TensorFlow's start-up out of the sentiment head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass
class MLP:
    """Standardise → Linear → ReLU → Linear; `logits` works on a (n, d) batch."""

    mean: np.ndarray
    scale: np.ndarray
    w0: np.ndarray
    b0: np.ndarray
    w1: np.ndarray
    b1: np.ndarray

    def logits(self, features: np.ndarray) -> np.ndarray:
        hidden = (np.asarray(features, np.float32) - self.mean) / self.scale
        hidden = np.maximum(hidden @ self.w0 + self.b0, 0.0)
        return hidden @ self.w1 + self.b1

    def arrays(self, prefix: str = "mlp_") -> dict[str, np.ndarray]:
        names = ("mean", "scale", "w0", "b0", "w1", "b1")
        return {f"{prefix}{name}": getattr(self, name) for name in names}

    @classmethod
    def from_arrays(cls, stored: object, prefix: str = "mlp_") -> MLP:
        names = ("mean", "scale", "w0", "b0", "w1", "b1")
        return cls(**{name: stored[f"{prefix}{name}"].astype(np.float32) for name in names})  # type: ignore[index]


def fit_mlp(
    features: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    hidden: int = 512,
    epochs: int = 17,
    dropout: float = 0.5,
    learning_rate: float = 1e-3,
    weight_decay: float = 1e-4,
    batch: int = 256,
    seed: int = 0,
    progress: object = None,
) -> MLP:
    """Minimises weighted cross-entropy against `targets` (rows are distributions).

    `progress`, if given, is a tqdm bar ticked once per epoch.
    """
    rng = np.random.default_rng(seed)
    features = np.asarray(features, np.float32)
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    x_all = (features - mean) / scale
    n, dim = x_all.shape
    classes = targets.shape[1]
    params = [
        rng.normal(0.0, np.sqrt(2.0 / dim), (dim, hidden)).astype(np.float32),
        np.zeros(hidden, np.float32),
        rng.normal(0.0, np.sqrt(2.0 / hidden), (hidden, classes)).astype(np.float32),
        np.zeros(classes, np.float32),
    ]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            x, y, w = x_all[idx], targets[idx], weights[idx][:, None].astype(np.float32)
            pre = x @ params[0] + params[1]
            mask = (rng.random(pre.shape) >= dropout).astype(np.float32) / (1.0 - dropout)
            hid = np.maximum(pre, 0.0) * mask
            grad_out = (softmax(hid @ params[2] + params[3]) - y) * w / w.sum()
            grad_hid = (grad_out @ params[2].T) * (pre > 0) * mask
            grads = [
                x.T @ grad_hid + weight_decay * params[0],
                grad_hid.sum(axis=0),
                hid.T @ grad_out + weight_decay * params[2],
                grad_out.sum(axis=0),
            ]
            step += 1
            for p, g, m, v in zip(params, grads, first, second):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                p -= learning_rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        if progress is not None:
            progress.update(1)  # type: ignore[attr-defined]
    return MLP(mean.astype(np.float32), scale.astype(np.float32), *params)
