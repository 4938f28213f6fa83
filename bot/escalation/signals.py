"""Whether to hand a conversation to a person, decided from the customer's turns alone.

Pure functions over a list of `Turn`s (text, intent, confidence, sentiment, dialogue acts) so the
decision can be tested and replayed without Rasa; `bot.escalation.policy` is the thin adapter that
builds the turns from a tracker. Four reasons, checked in this order on the newest turn:

1. explicit   - the customer asked for a person, in any words. Honoured on that very turn, always.
2. sensitive  - fraud that happened, bereavement, hardship or vulnerability disclosed; distress or
                vulnerability as the act head reads it; fear about money gone or a stolen card.
3. negativity - anger or frustration as the act head reads it, a threat to leave, or the word and
                emotion spike / rolling score (skipped when the message is plainly routine or its
                strong words are about someone else).
4. failure    - the bot keeps missing: the second message that says an answer missed (the guide's
                third asking), "we're going in circles", three consecutive fallbacks (acknowledgements
                and follow-ups ask nothing new and do not count), the same intent a third time.

The definition of a right handover is docs/escalation-guide.md; every threshold was chosen on the
tuning part of the blind-written conversations (docs/escalation.md), never on the test part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from bot.escalation import cues, tone
from bot.escalation.kinds import Kind

# The four reasons, spelled once in bot/escalation/kinds.py (plain str values: Decision.reason is JSON).
EXPLICIT, SENSITIVE, NEGATIVITY, FAILURE = (k.value for k in (Kind.EXPLICIT, Kind.SENSITIVE, Kind.NEGATIVITY,
                                                               Kind.FAILURE))
CHARGED_EMOTIONS = ("anger", "disgust", "fear", "sadness")
CHITCHAT = frozenset({"greet", "goodbye", "thank_you", "affirm", "deny", "bot_challenge"})


@dataclass(frozen=True)
class Turn:
    """One customer message as the NLU pipeline saw it. Sentiment may be missing (None)."""

    text: str
    intent: str | None = None
    confidence: float = 0.0
    emotions: Mapping[str, float] | None = None
    negativity: float | None = None
    acts: Mapping[str, float] | None = None

    @classmethod
    def from_parse_data(cls, parse_data: Mapping[str, Any]) -> Turn:
        """Build from a Rasa parse result; tolerates a pipeline without the sentiment component."""
        intent = parse_data.get("intent") or {}
        sentiment = parse_data.get("sentiment") or {}
        emotions = sentiment.get("emotions") if isinstance(sentiment, Mapping) else None
        negativity = sentiment.get("negativity") if isinstance(sentiment, Mapping) else None
        acts = parse_data.get("acts")
        return cls(
            text=str(parse_data.get("text") or ""),
            intent=intent.get("name"),
            confidence=float(intent.get("confidence") or 0.0),
            emotions=dict(emotions) if isinstance(emotions, Mapping) else None,
            negativity=float(negativity) if isinstance(negativity, (int, float)) else None,
            acts={str(k): float(v) for k, v in acts.items() if isinstance(v, (int, float))}
            if isinstance(acts, Mapping) else None,
        )

    def act(self, *names: str) -> float:
        """Summed probability of the named dialogue acts (0 without the act head)."""
        return sum(float(self.acts.get(n, 0.0)) for n in names) if self.acts else 0.0


@dataclass(frozen=True)
class Thresholds:
    """Every tunable number; the policy reads them from its block in config.yml."""

    explicit_intent: str = "request_human"
    explicit_min_confidence: float = 0.5
    fallback_intents: tuple[str, ...] = ("nlu_fallback", "out_of_scope")
    theft_intents: tuple[str, ...] = ("lost_or_stolen_card", "compromised_card", "lost_or_stolen_phone")
    unrecognised_intents: tuple[str, ...] = (
        "card_payment_not_recognised",
        "cash_withdrawal_not_recognised",
        "direct_debit_payment_not_recognised",
    )
    # negativity of one turn: see turn_negativity()
    model_weight: float = 0.6
    confirm_negativity: float = 0.75
    soften_factor: float = 0.4
    # a spike hands over at once; otherwise rolling = alpha * newest + (1 - alpha) * rolling so far
    spike_level: float = 0.85
    negativity_alpha: float = 0.6
    rolling_threshold: float = 0.5
    current_min: float = 0.5
    # fear that turns a stolen card into a sensitive case even without words for it
    distress_fear: float = 0.9
    # failure
    max_fallbacks: int = 3
    max_asks: int = 3
    rephrase_overlap: float = 0.5
    # the dialogue-act head (bot/escalation/acts.py): hand over when a message reads as ...
    act_explicit: float = 0.9       # ... a request for a person
    act_upset: float = 0.8          # ... anger or frustration aimed at us
    act_distress: float = 0.8       # ... distress or vulnerability
    act_failure: float = 0.95       # ... the bot missing the point, again
    act_failure_hint: float = 0.4   # a correction: the second one hands over
    # words that usually mean a handover, trusted only when the act head does not read the message as
    # plainly routine (p(none) below this): "my housemate is livid", "the shop is a scam"
    act_none_veto: float = 0.6

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        """Known keys only, type-checked, so a typo in config.yml fails at load with the key's name."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in config:
                continue
            default, value = getattr(cls, f.name), config[f.name]
            if isinstance(default, tuple):
                if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"escalation setting '{f.name}' must be a list of intent names")
                value = tuple(value)
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    raise ValueError(f"escalation setting '{f.name}' must be a number between 0 and 1")
                value = float(value)
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"escalation setting '{f.name}' must be a whole number >= 1")
            elif not isinstance(value, str) or not value:
                raise ValueError(f"escalation setting '{f.name}' must be a non-empty string")
            values[f.name] = value
        return cls(**values)

    def as_config(self) -> dict[str, Any]:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


@dataclass(frozen=True)
class Decision:
    """Why a conversation goes to a person. `turn` indexes the turns given to `decide`."""

    kind: str
    detail: str
    score: float
    turn: int
    messages: tuple[str, ...]

    def reason(self, turn_offset: int = 0) -> dict[str, Any]:
        """The structured reason agents see (and the gateway queues on)."""
        return {
            "kind": self.kind,
            "detail": self.detail,
            "score": round(self.score, 3),
            "turn": self.turn + turn_offset,
            "messages": list(self.messages),
        }


# --- per-turn readings --------------------------------------------------------------------------------


def is_explicit_request(turn: Turn, th: Thresholds) -> bool:
    """Asked for a person, by intent or in so many words, and not "I don't want to speak to anyone"."""
    if cues.declines_person(turn.text):
        return False
    by_intent = turn.intent == th.explicit_intent and turn.confidence >= th.explicit_min_confidence
    by_words = cues.asks_for_person(turn.text)
    if by_intent and not by_words and cues.reports_past_contact(turn.text):
        return False  # "I spoke to someone at the branch and they said ..."
    return by_intent or by_words


def charged_emotion(turn: Turn) -> float:
    """The strongest of anger, disgust, fear and sadness (0 without sentiment)."""
    if not turn.emotions:
        return 0.0
    return max(float(turn.emotions.get(e, 0.0)) for e in CHARGED_EMOTIONS)


def tone_level(text: str) -> float:
    """Anger in how a message is written: insults aimed at us, sarcasm and strings of angry emoji 0.9; other
    insults, masked swearing, shouting in capitals or one angry emoji 0.5 (capitals are also a typing style)."""
    if (tone.insults(text) and tone.aims_at_us(text)) or tone.sarcastic(text) or tone.angry_emoji(text) >= 2:
        return 0.9
    if tone.insults(text) or tone.masked_swearing(text) or tone.shouts(text) or tone.angry_emoji(text) == 1:
        return 0.5
    return 0.0


def turn_negativity(turn: Turn, th: Thresholds) -> float:
    """How charged one message is, 0..1.

    - strong frustration in words ("useless", "sick of this", "furious"): 0.9;
    - milder words ("annoyed", "frustrating", "stressful") or fear in words ("I'm scared"): 0.5,
      raised to 0.9 when the classifier confirms them (negativity >= `confirm_negativity`);
    - the classifier alone counts at `model_weight` of its negativity: it also reads the topic, and a
      calm "the shop agreed to refund me" can score as anger;
    - thanks, jokes and "no big deal" multiply the whole by `soften_factor`.
    """
    words = max(cues.frustration_level(turn.text), tone_level(turn.text))
    if cues.sounds_distressed(turn.text):
        words = max(words, 0.5)
    score = words
    if turn.negativity is not None:
        score = max(score, th.model_weight * turn.negativity)
        if words >= 0.5 and turn.negativity >= th.confirm_negativity:
            score = max(score, 0.9)
    if cues.softened(turn.text):
        score *= th.soften_factor
    return min(max(score, 0.0), 1.0)


def rolling_negativity(turns: Sequence[Turn], th: Thresholds) -> list[float]:
    """Exponentially weighted negativity after each turn; a calm turn pulls it back down."""
    rolling, out = 0.0, []
    for turn in turns:
        rolling = th.negativity_alpha * turn_negativity(turn, th) + (1 - th.negativity_alpha) * rolling
        out.append(rolling)
    return out


def is_distressed(turn: Turn, th: Thresholds) -> bool:
    """Fear or panic in words, or a classifier all but certain of fear."""
    if cues.softened(turn.text):
        return False
    fear = float(turn.emotions.get("fear", 0.0)) if turn.emotions else 0.0
    return cues.sounds_distressed(turn.text) or fear >= th.distress_fear


_STOP = frozenset({
    "a", "an", "the", "i", "my", "me", "you", "your", "is", "are", "was", "were", "be", "to", "of", "for",
    "on", "in", "at", "and", "or", "do", "does", "did", "can", "could", "would", "will", "it", "its",
    "it's", "that", "this", "what", "how", "why", "when", "where", "with", "about", "please", "just", "so",
    "not", "no",
})


def _stem(word: str) -> str:
    """A crude suffix strip ("crashes", "crashing" -> "crash"): enough to see a question asked again."""
    for suffix in ("ing", "es", "ed", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9£$€']+", cues.normalise(text)) if w not in _STOP and len(w) > 1}


def overlap(a: str, b: str) -> float:
    """Jaccard overlap of content words: cheap, deterministic rephrase evidence."""
    wa, wb = content_words(a), content_words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


# --- the four reasons -------------------------------------------------------------------------------


def _routine(turn: Turn, th: Thresholds) -> bool:
    """The act head reads the message as plainly routine: words such as "livid" or "scam" in it are
    about someone else ("my housemate is livid", "the shop is a scam"), not a reason to hand over."""
    return turn.acts is not None and turn.act("none") >= th.act_none_veto


def _explicit(turns: Sequence[Turn], th: Thresholds) -> Decision | None:
    i, current = len(turns) - 1, turns[-1]
    if is_explicit_request(current, th):
        return Decision(EXPLICIT, "asked for a person", 1.0, i, (current.text,))
    if current.act("explicit") >= th.act_explicit and not cues.declines_person(current.text):
        return Decision(EXPLICIT, "asked for a person", current.act("explicit"), i, (current.text,))
    return None


def _sensitive(turns: Sequence[Turn], th: Thresholds) -> Decision | None:
    i, current = len(turns) - 1, turns[-1]
    topic = cues.sensitive_topic(current.text)
    if topic:  # facts, not feelings: fraud that happened, a death, hardship, abuse
        return Decision(SENSITIVE, topic, 1.0, i, (current.text,))
    distress = current.act("distress", "vulnerable")
    if distress >= th.act_distress:
        detail = "vulnerable" if current.act("vulnerable") > current.act("distress") else "distress"
        return Decision(SENSITIVE, detail, distress, i, (current.text,))
    if not is_distressed(current, th) or _routine(current, th):
        return None
    lost = next((t for t in reversed(turns) if cues.money_lost(t.text) or cues.mentions_fraud(t.text)), None)
    if lost is not None:  # fear about money gone or a scam: the guide's distress
        texts = (current.text,) if lost is current else (lost.text, current.text)
        return Decision(SENSITIVE, "distress", max(charged_emotion(current), 0.5), i, texts)
    for j, turn in enumerate(turns):
        theft = turn.intent in th.theft_intents or cues.mentions_theft(turn.text)
        unrecognised = turn.intent in th.unrecognised_intents
        if theft or unrecognised:
            detail = "stolen or compromised, with distress" if theft else "unrecognised payment, with distress"
            texts = (turn.text,) if j == i else (turn.text, current.text)
            return Decision(SENSITIVE, detail, max(charged_emotion(current), 0.5), i, texts)
    return None


def _negativity(turns: Sequence[Turn], th: Thresholds) -> Decision | None:
    i, current = len(turns) - 1, turns[-1]
    upset = current.act("anger", "frustration")
    if upset >= th.act_upset:
        detail = "anger" if current.act("anger") >= current.act("frustration") else "frustration"
        return Decision(NEGATIVITY, detail, upset, i, (current.text,))
    if tone.threatens_to_leave(current.text) and not cues.softened(current.text):
        return Decision(NEGATIVITY, "frustration", max(upset, 0.9), i, (current.text,))
    if _routine(current, th) or tone.blames_someone_else(current.text):
        return None
    now = turn_negativity(current, th)
    if now >= th.spike_level:
        emotions = current.emotions or {}
        emotion = max(CHARGED_EMOTIONS, key=lambda e: float(emotions.get(e, 0.0)))
        detail = f"{emotion} spike" if float(emotions.get(emotion, 0.0)) >= 0.3 else "strong frustration"
        return Decision(NEGATIVITY, detail, now, i, (current.text,))
    rolling = rolling_negativity(turns, th)[-1]
    if rolling >= th.rolling_threshold and now >= th.current_min:
        texts = tuple(t.text for t in turns[-3:] if turn_negativity(t, th) >= 0.3) or (current.text,)
        return Decision(NEGATIVITY, "rolling negativity", rolling, i, texts)
    return None


def says_it_missed(turn: Turn, th: Thresholds) -> bool:
    """A correction or complaint: the bot's last answer missed ("not what I asked", "no, I mean the
    transfer limit"). One is a misunderstanding; the second is a conversation going nowhere."""
    return (cues.complains_of_failure(turn.text) or cues.corrects_bot(turn.text)
            or turn.act("failure") >= th.act_failure_hint)


def restates(turns: Sequence[Turn], j: int, th: Thresholds) -> bool:
    """Turn j asks the previous turn's question again ("overdraft limit increase" after "I want to
    increase my overdraft"): the answer in between missed."""
    if j == 0 or asks_nothing_new(turns[j]) or turns[j].intent in CHITCHAT or turns[j - 1].intent in CHITCHAT:
        return False
    now, before = turns[j], turns[j - 1]
    words = content_words(now.text)
    same_intent = now.intent is not None and now.intent == before.intent
    similarity = overlap(now.text, before.text)
    return (similarity >= th.rephrase_overlap or (same_intent and similarity >= th.rephrase_overlap / 2)
            or (len(words) >= 2 and words <= content_words(before.text)))


def missed(turns: Sequence[Turn], j: int, th: Thresholds) -> bool:
    """Turn j shows the answer before it missed: a correction or complaint, or the question asked again."""
    return says_it_missed(turns[j], th) or restates(turns, j, th)


def asks_nothing_new(turn: Turn) -> bool:
    """An acknowledgement, a closing or a short follow-up on what was just answered ("does that cost
    anything?", "ok I'll wait then"): when the NLU cannot place it, nothing went unanswered."""
    return cues.acknowledges(turn.text) or cues.follows_up(turn.text)


def _failure(turns: Sequence[Turn], th: Thresholds) -> Decision | None:
    i, current = len(turns) - 1, turns[-1]
    if cues.says_going_in_circles(current.text):
        return Decision(FAILURE, "customer says the bot keeps missing", 1.0, i, (current.text,))
    if missed(turns, i, th):
        earlier = next((j for j in range(i - 1, 0, -1) if missed(turns, j, th)), None)
        if earlier is not None:  # the second missed answer: the third time of asking
            return Decision(FAILURE, "second missed answer", 1.0, i, (turns[earlier].text, current.text))
    if i > 0 and current.act("failure") >= th.act_failure:
        return Decision(FAILURE, "customer says the answer missed", current.act("failure"), i, (current.text,))
    streak = 0
    for turn in reversed(turns):
        if turn.intent not in th.fallback_intents or asks_nothing_new(turn):
            break  # an unrecognised "ok thanks" asked nothing, so nothing went unanswered
        streak += 1
    if streak >= th.max_fallbacks:
        texts = tuple(t.text for t in turns[-streak:])
        return Decision(FAILURE, "consecutive fallbacks", min(streak / th.max_fallbacks, 1.0), i, texts)
    repeated = _repeats_earlier_question(turns)
    if repeated is not None:
        return Decision(FAILURE, "same question asked again", 1.0, i, (turns[repeated].text, current.text))
    asks = 1
    for j in range(i, 0, -1):
        now, before = turns[j], turns[j - 1]
        same = now.intent is not None and now.intent == before.intent and now.intent not in CHITCHAT
        similar = max(overlap(now.text, t.text) for t in turns[max(j - 2, 0):j]) >= th.rephrase_overlap
        if not (same and (similar or cues.corrects(now.text))):
            break
        asks += 1
    if asks >= th.max_asks:
        return Decision(FAILURE, "same question asked again", 1.0, i, tuple(t.text for t in turns[-asks:]))
    return None


def _repeats_earlier_question(turns: Sequence[Turn]) -> int | None:
    """Index of one of the two previous turns that the newest one repeats without adding anything
    ("Can I open a business account?" ... "business account please"): the answer in between did
    not help. A follow-up adds words of its own ("how do I top up?" -> "... by card?")."""
    current = turns[-1]
    words = content_words(current.text)
    if len(words) < 2 or current.intent in CHITCHAT or asks_nothing_new(current):
        return None
    for j in range(len(turns) - 2, max(len(turns) - 4, -1), -1):
        if turns[j].intent not in CHITCHAT and words <= content_words(turns[j].text):
            return j
    return None


def decide(turns: Sequence[Turn], th: Thresholds | None = None) -> Decision | None:
    """Hand over after the newest turn? Looks at the whole episode, decides for its last turn."""
    if not turns:
        return None
    th = th or Thresholds()
    for check in (_explicit, _sensitive, _negativity, _failure):
        decision = check(turns, th)
        if decision is not None:
            return decision
    return None


def first_decision(turns: Sequence[Turn], th: Thresholds | None = None) -> Decision | None:
    """The decision a live conversation would reach first, feeding the turns one at a time."""
    for k in range(1, len(turns) + 1):
        decision = decide(turns[:k], th)
        if decision is not None:
            return decision
    return None
