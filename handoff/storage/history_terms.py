"""Words of a conversation as the history index keeps them, and a search query parsed into index terms.

Pure: the history store (history.py beside it) calls `document_terms` when a conversation closes and
`query_terms` on each search, so a word is normalised the same way on both sides. Personal data that has a
shape (card and account numbers, IBANs, e-mails, phones: handoff.reporting.redaction) is removed *before*
the text is split, so no card number ever becomes part of a Redis key name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from handoff.core import errors
from handoff.reporting.redaction import find

TERM_RE = re.compile(r"[a-z0-9]+(?:[-_'][a-z0-9]+)*")
MIN_TERM = 2
MAX_TERM = 40
MAX_DOC_TERMS = 400  # distinct words kept per conversation: a 10,000-word paste does not flood the index
MAX_QUERY_TERMS = 6  # each one is one more sorted set to intersect
MAX_DIGITS = 8  # a word with more digits is a number that identifies someone (card, account) and is skipped
STOP = frozenset(["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have", "i", "if", "in", "is", "it", "me", "my", "no", "not", "of", "on", "or", "our", "so", "that", "the", "their", "them", "then", "there", "they", "this", "to", "was", "we", "were", "what", "when", "where", "which", "who", "will", "with", "you", "your", "yes", "ok", "okay", "please", "thanks", "thank", "hi", "hello"])


def _without_personal_numbers(text: str) -> str:
    spans = [s for s in find(text) if s.label != "NAME"]
    out, pos = [], 0
    for s in spans:
        out.append(text[pos:s.start])
        out.append(" ")
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def terms(text: str) -> list[str]:
    """Index terms of `text` in order of appearance (repeats kept): lower-cased words, stop words, one-letter
    words and long numbers left out."""
    return list(_terms(text))


@lru_cache(maxsize=20_000)  # the same short texts recur (greetings, canned replies, the benchmark's questions)
def _terms(text: str) -> tuple[str, ...]:
    out = []
    for word in TERM_RE.findall(_without_personal_numbers(text).lower()):
        word = word.replace("'", "")
        if len(word) < MIN_TERM or len(word) > MAX_TERM or word in STOP:
            continue
        if sum(ch.isdigit() for ch in word) > MAX_DIGITS:
            continue
        out.append(word)
    return tuple(out)


def document_terms(texts: Iterable[str]) -> set[str]:
    """The distinct terms of a conversation's texts, at most MAX_DOC_TERMS (the first ones met)."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in terms(text):
            seen.setdefault(word, None)
            if len(seen) >= MAX_DOC_TERMS:
                return set(seen)
    return set(seen)


def query_terms(q: str) -> list[str]:
    """The distinct terms of a search box's text; InvalidFrame when it has too many to intersect."""
    found = list(dict.fromkeys(terms(q)))
    if len(found) > MAX_QUERY_TERMS:
        raise errors.InvalidFrame(f"search for at most {MAX_QUERY_TERMS} words at a time")
    return found
