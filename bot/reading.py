"""How upset customers write, turned into words the encoder has read before.

MiniLM's uncased WordPiece vocabulary has no emoji (they become [UNK]) and splits a masked swear word
such as "f**k" into "f", "*", "*", "k", which it never saw used in anger. Each token of a message is
read here before it is cut into word pieces, on the live path (bot/minilm_featurizer.py) and in the
fine-tune (bot/finetune/tokens.py) alike, so the encoder sees the same thing at training and at serving:
- emoji become their CLDR names from the maintained `emoji` package ("😡" -> "enraged face"), never a
  hand-written table;
- a masked swear word becomes the word it hides, when the mask fits exactly one of a short list
  ("sh*t" -> "shit", "f***ing" -> "fucking"); a masked word that fits none is left alone.
Capitals, "!!!" and quotes stay as they are: the sentiment head's surface cues read them from the raw
text (bot/sentiment/features.py), and the fine-tuned encoder learns quotes in context.
"""
from __future__ import annotations

import re
from functools import lru_cache

import emoji

MASK_CHARS = "*#@$%!_."
SWEARS = (
    "fuck", "fucking", "fucked", "fucker", "fucks", "motherfucker", "shit", "shitty", "bullshit", "shite",
    "crap", "crappy", "damn", "bloody", "bollocks", "bastard", "bastards", "arse", "arsehole", "ass",
    "asshole", "piss", "pissed", "wanker", "dick", "prick", "hell", "twat", "cunt", "sucks",
)
_HAS_LETTER = re.compile(r"[a-z]", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _mask_pattern(token: str) -> re.Pattern[str] | None:
    """"f**k" -> ^f..k$ : each mask character stands for one hidden letter."""
    lower = token.lower()
    if not any(c in MASK_CHARS for c in lower) or not _HAS_LETTER.search(lower):
        return None
    if not all(c.isalpha() or c in MASK_CHARS for c in lower):
        return None
    core = lower.rstrip(MASK_CHARS)
    if not any(c in MASK_CHARS for c in core) and set(lower[len(core):]) <= set(".!_"):
        return None  # trailing punctuation only ("what!", "now."): nothing is hidden
    return re.compile("^" + "".join("." if c in MASK_CHARS else re.escape(c) for c in lower.strip(".!")) + "$")


def unmask(token: str) -> str:
    """The swear word a masked token hides, if exactly one fits; else the token unchanged."""
    pattern = _mask_pattern(token)
    if pattern is None:
        return token
    fits = {word for word in SWEARS if pattern.match(word)}
    return fits.pop() if len(fits) == 1 else token


def emoji_words(token: str) -> str:
    """Every emoji in the token replaced by its name in words ("👍" -> " thumbs up ")."""
    if not emoji.emoji_count(token):
        return token
    spoken = emoji.demojize(token, delimiters=(" ", " "))
    return " ".join(spoken.replace("_", " ").split())


def read_token(token: str) -> str:
    """What the encoder should read for one token of a customer's message."""
    return unmask(emoji_words(token))


def read_text(text: str) -> str:
    """A whole message read token by token on whitespace (for callers without spaCy's tokens)."""
    return " ".join(read_token(part) for part in text.split())
