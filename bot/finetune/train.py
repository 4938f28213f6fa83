"""The fine-tune: MiniLM's upper layers trained on intents, emotions and upset writing at once.

Why this shape (measured, docs/sentiment.md "Fine-tuning MiniLM"): on two cores the cost is the
backward pass, so the lower `frozen` layers are not trained; their outputs are computed once per text and
reused every epoch, and batches are bucketed by length (most texts are under 24 word pieces), so a step
costs what its texts need. Each batch belongs to one task; the tasks' batches are shuffled together, and
each task has its own linear head on the mean-pooled, unit-length sentence vector — the vector the live
intent classifier reads (bot/minilm_featurizer.py). The heads are thrown away: the pipeline's own heads are
retrained on the fine-tuned encoder, so an admin's retrain (/admin) reuses it and stays fast.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.finetune import tasks as task_data
from bot.finetune.tokens import PieceTokenizer

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
STOCK = ROOT / "models" / "encoders" / "minilm"
SPACY = ROOT / "models" / "encoders" / "spacy_en_md"
SCALE = 20.0  # logits = SCALE · cos-like product: the sentence vector has unit length


@dataclass(frozen=True)
class Plan:
    """How much of what the fine-tune sees; FULL for `make train`, TINY for the test of the code path."""

    name: str
    frozen: int = 2  # lower layers left as they are (their outputs cached)
    intent_epochs: float = 2.0
    emotion_per_class: int = 7000  # capped per class, so neutral and joy do not drown the rest
    emotion_epochs: float = 1.5
    upset_epochs: float = 3.0
    batch: int = 32
    lr: float = 1e-4  # encoder, peak; linear warm-up then linear decay to 0
    head_lr: float = 3e-3
    warmup: float = 0.06
    mixed: bool = True  # bfloat16 products in the trained layers (bot/finetune/tf_encoder.py dense)
    seed: int = 0
    max_per_intent: int | None = None
    max_steps: int | None = None


FULL = Plan("full")
TINY = Plan("tiny", frozen=4, intent_epochs=1, emotion_per_class=3, emotion_epochs=1, upset_epochs=1,
            max_per_intent=2, max_steps=4, batch=8)
PLANS = {p.name: p for p in (FULL, TINY)}


def bf16_is_fast() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX); elsewhere TF emulates it, slower
    than float32, so the fine-tune keeps float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _tf() -> Any:
    import tensorflow as tf

    return tf


def length_batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Indexes cut into batches of similar length: sorted by (length, random), chunked, order shuffled."""
    order = np.lexsort((rng.random(len(lengths)), lengths))
    chunks = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(chunks)  # type: ignore[arg-type]
    return chunks


def pad(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(batch, max length, width) and its 0/1 mask from per-text arrays of shape (length, width)."""
    longest = max(r.shape[0] for r in rows)
    out = np.zeros((len(rows), longest, rows[0].shape[1]), np.float32)
    mask = np.zeros((len(rows), longest), np.float32)
    for i, r in enumerate(rows):
        out[i, : r.shape[0]] = r
        mask[i, : r.shape[0]] = 1.0
    return out, mask


def pad_ids(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    longest = max(len(r) for r in rows)
    ids = np.zeros((len(rows), longest), np.int64)
    mask = np.zeros((len(rows), longest), np.float32)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1.0
    return ids, mask


def length_chunks(ids: list[np.ndarray], size: int = 64) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(indexes, padded ids, mask) for `size` texts of similar length at a time: a forward pass without
    gradients over many texts (the frozen layers once, or an evaluation)."""
    order = np.argsort([len(r) for r in ids], kind="stable")
    for start in range(0, len(order), size):
        chunk = order[start:start + size]
        yield (chunk, *pad_ids([ids[i] for i in chunk]))


class FineTune:
    """The TF model, its heads and the cached lower-layer outputs of every training text."""

    def __init__(self, plan: Plan, stock: Path = STOCK, spacy_model: Path = SPACY) -> None:
        tf = _tf()
        from bot.finetune.tf_encoder import TFMiniLM
        from bot.minilm import MiniLMEncoder

        self.plan, self.stock = plan, stock
        tf.random.set_seed(plan.seed)
        self.tokenizer = PieceTokenizer(spacy_model, stock)
        self.model = TFMiniLM(MiniLMEncoder.from_pretrained(stock), plan.frozen)
        spec = [tf.TensorSpec([None, None], tf.int64), tf.TensorSpec([None, None], tf.float32)]
        self._lower = tf.function(self.model.lower, input_signature=spec)
        self._encode = tf.function(self._pooled_from_ids, input_signature=spec)

    def _pooled(self, hidden: Any, mask: Any) -> Any:
        tf = _tf()
        summed = tf.reduce_sum(hidden * mask[:, :, None], axis=1) / tf.reduce_sum(mask, axis=1, keepdims=True)
        return tf.math.l2_normalize(summed, axis=-1)

    def _pooled_from_ids(self, ids: Any, mask: Any) -> Any:
        return self._pooled(self.model.upper(self.model.lower(ids, mask), mask), mask)

    def lower_outputs(self, ids: list[np.ndarray], progress: Any = None) -> list[np.ndarray]:
        """The frozen part's output per text (computed once, 64 texts of similar length per call)."""
        out: list[np.ndarray] = [np.empty(0)] * len(ids)
        for chunk, batch, mask in length_chunks(ids):
            hidden = self._lower(batch, mask).numpy()
            for row, i in enumerate(chunk):
                out[i] = hidden[row, : len(ids[i])].astype(np.float32)
            if progress is not None:
                progress.update(len(chunk))
        return out

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length sentence vectors from the current weights (evaluation)."""
        ids = self.tokenizer.batch(texts)
        vectors = np.zeros((len(texts), self.model.encoder.hidden), np.float32)
        for chunk, batch, mask in length_chunks(ids):
            vectors[chunk] = self._encode(batch, mask).numpy()
        return vectors

    def fit(self, training: list[task_data.Task], show_progress: bool = True) -> dict[str, Any]:
        """Trains the upper layers and one head per task; returns timings and the heads' arrays."""
        tf = _tf()
        from tqdm import tqdm

        plan = self.plan
        rng = np.random.default_rng(plan.seed)
        started = time.perf_counter()
        ids = [self.tokenizer.batch(t.texts) for t in training]
        total = sum(len(x) for x in ids)
        with tqdm(total=total, desc="reading the frozen layers", unit="text", disable=not show_progress) as bar:
            cached = [self.lower_outputs(x, bar) for x in ids]
        prepared = time.perf_counter() - started
        epochs = {"intents": plan.intent_epochs, "emotions": plan.emotion_epochs, "upset": plan.upset_epochs}
        schedule: list[tuple[int, np.ndarray]] = []
        for t, task in enumerate(training):
            lengths = np.asarray([len(r) for r in ids[t]])
            whole, part = divmod(epochs[task.name], 1.0)
            for _ in range(int(whole)):
                schedule += [(t, b) for b in length_batches(lengths, plan.batch, rng)]
            if part:
                extra = length_batches(lengths, plan.batch, rng)
                schedule += [(t, b) for b in extra[: round(part * len(extra))]]
        rng.shuffle(schedule)  # type: ignore[arg-type]
        if plan.max_steps is not None:
            schedule = schedule[: plan.max_steps]
        steps = len(schedule)

        warm = max(1, int(plan.warmup * steps))

        class WarmLinear(tf.keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc,name-defined]
            def __call__(self, step: Any) -> Any:
                step = tf.cast(step, tf.float32)
                return plan.lr * tf.minimum(step / warm, tf.maximum(0.0, (steps - step) / max(1, steps - warm)))

            def get_config(self) -> dict:
                return {}

        encoder_opt = tf.keras.optimizers.Adam(WarmLinear(), global_clipnorm=1.0)
        encoder_opt.build(self.model.trainable)
        heads, steps_fn = [], []
        width = self.model.encoder.hidden
        for t, task in enumerate(training):
            w = tf.Variable(tf.random.normal([width, len(task.classes)], stddev=0.02, seed=plan.seed + t))
            b = tf.Variable(tf.zeros([len(task.classes)]))
            opt = tf.keras.optimizers.Adam(plan.head_lr)
            opt.build([w, b])
            heads.append((w, b))
            steps_fn.append(self._step_fn(w, b, opt, encoder_opt))
        losses: dict[str, list[float]] = {t.name: [] for t in training}
        with tqdm(total=steps, desc="fine-tuning MiniLM", unit="step", disable=not show_progress) as bar:
            for t, index in schedule:
                x, mask = pad([cached[t][i] for i in index])
                loss = steps_fn[t](x, mask, training[t].labels[index].astype(np.int64))
                losses[training[t].name].append(float(loss))
                bar.update(1)
        return {
            "steps": steps,
            "texts": {t.name: len(t.texts) for t in training},
            "prepare_seconds": round(prepared, 1),
            "train_seconds": round(time.perf_counter() - started - prepared, 1),
            "last_losses": {k: round(float(np.mean(v[-50:])), 4) for k, v in losses.items() if v},
            "heads": {t.name: (w.numpy(), b.numpy()) for t, (w, b) in zip(training, heads)},
            "plan": asdict(plan),
        }

    def _step_fn(self, w: Any, b: Any, head_opt: Any, encoder_opt: Any) -> Any:
        tf = _tf()
        variables = self.model.trainable

        @tf.function(input_signature=[tf.TensorSpec([None, None, self.model.encoder.hidden], tf.float32),
                                      tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None], tf.int64)])
        def step(x: Any, mask: Any, labels: Any) -> Any:
            self.model.mixed = self.plan.mixed and bf16_is_fast()  # read when the graph is traced: training graphs only
            with tf.GradientTape() as tape:
                pooled = self._pooled(self.model.upper(x, mask), mask)
                logits = SCALE * tf.matmul(pooled, w) + b
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
            self.model.mixed = False
            grads = tape.gradient(loss, variables + [w, b])
            encoder_opt.apply_gradients(zip(grads[: len(variables)], variables))
            head_opt.apply_gradients(zip(grads[len(variables):], [w, b]))
            return loss

        return step


def training_tasks(plan: Plan, shipped_only: bool = False) -> list[task_data.Task]:
    return [
        task_data.intents(shipped_only, plan.max_per_intent, plan.seed),
        task_data.emotions(plan.emotion_per_class, plan.seed),
        task_data.upset(limit=None if plan.max_steps is None else 8),
    ]


def run(out: Path, plan: Plan = FULL, shipped_only: bool = False, show_progress: bool = True,
        evaluate: bool = False) -> dict[str, Any]:
    """Fine-tunes, exports the encoder folder to `out` (+ finetune.json) and returns the record."""
    import shutil

    from bot.finetune.tf_encoder import write_meta

    tune = FineTune(plan)
    training = training_tasks(plan, shipped_only)
    record = tune.fit(training, show_progress)
    heads = record.pop("heads")
    partial = out.with_name(out.name + ".partial")  # a stopped run never leaves a half-written encoder
    shutil.rmtree(partial, ignore_errors=True)
    tune.model.export(tune.stock, partial)
    np.savez(partial / "heads.npz", **{f"{k}_w": v[0] for k, v in heads.items()},
             **{f"{k}_b": v[1] for k, v in heads.items()},
             **{f"{t.name}_classes": np.asarray(t.classes) for t in training})
    if evaluate:
        from bot.finetune.quick_eval import direct_figures

        record["figures"] = direct_figures(tune, training, heads)
    write_meta(partial, record)
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return record


def with_overrides(plan: Plan, **changes: Any) -> Plan:
    return replace(plan, **{k: v for k, v in changes.items() if v is not None})
