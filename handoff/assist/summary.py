"""The situation at a glance, for the agent who claims a chat: what the customer asked (intents and entities),
what the bot answered, where it failed, how the customer's mood went, and who they are.

No text generator: every line is read off the transcript, the stored parses and the conversation record, so
it can only say what happened. Pure; handoff/assist/service.py brings the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.escalation.kinds import parse_kind
from handoff.reporting import redaction

FALLBACK = "nlu_fallback"
UNSURE = 0.6  # below it the bot was unsure (the inbox's threshold: handoff/admin/inbox.py)
QUOTE_CHARS = 120
RISING, FALLING, STEADY = "rising", "falling", "steady"


def _short(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def trajectory(negativities: Sequence[float]) -> str:
    """How the customer's negativity moved: the last message against the first (0.15 is noise)."""
    if len(negativities) < 2:
        return STEADY
    delta = negativities[-1] - negativities[0]
    return RISING if delta > 0.15 else FALLING if delta < -0.15 else STEADY


def summarize(conv: Mapping[str, Any], transcript: Sequence[Mapping[str, Any]],
              parses: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """{asked, bot_said, failures, emotions, trajectory, customer, reason, lines}; `lines` is the summary as
    the console shows it. `transcript`: read with its NLU notes; `parses`: seq -> {ranking, entities}."""
    customer = dict(conv.get("customer") or {})
    names = [n for n in (customer.get("name"), conv.get("agent_name")) if n]
    asked: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    emotions: list[dict[str, Any]] = []
    bot_said: list[str] = []
    for m in transcript:
        sender, seq = m.get("sender"), int(m.get("seq") or 0)
        if sender == "bot" and m.get("text"):
            bot_said.append(_short(redaction.redact(str(m["text"]), names)))
        if sender != "customer":
            continue
        parse = parses.get(seq) or {}
        intent = str(m.get("intent") or (parse.get("ranking") or [{}])[0].get("name") or "")
        confidence = float(m.get("confidence") or (parse.get("ranking") or [{}])[0].get("confidence") or 0.0)
        entities = [{"entity": str(e.get("entity")), "value": redaction.redact(str(e.get("value")), names)}
                    for e in parse.get("entities") or [] if e.get("entity")]
        if intent:
            asked.append({"seq": seq, "intent": intent, "confidence": round(confidence, 2), "entities": entities})
            if intent == FALLBACK or confidence < UNSURE:
                failures.append({"seq": seq, "what": "did not understand" if intent == FALLBACK else "unsure",
                                 "intent": intent, "confidence": round(confidence, 2)})
        if isinstance(m.get("negativity"), (int, float)):
            emotions.append({"seq": seq, "label": _label(m.get("emotions") or {}),
                             "negativity": round(float(m["negativity"]), 2)})
    reason = dict(conv.get("reason") or {})
    out = {"asked": asked, "bot_said": bot_said[-3:], "failures": failures, "emotions": emotions,
           "trajectory": trajectory([e["negativity"] for e in emotions]), "reason": reason.get("kind") or "",
           "customer": {"name": customer.get("name") or "", "signed_in": bool(customer.get("customer_id")),
                        "cards": len(customer.get("cards") or [])}}
    out["lines"] = lines(out)
    return out


def _label(emotions: Mapping[str, Any]) -> str:
    scored = {k: float(v) for k, v in emotions.items() if k != "neutral" and isinstance(v, (int, float))}
    if not scored or max(scored.values()) < 0.3:
        return "neutral"
    return max(scored, key=scored.__getitem__)


def _intent_words(intent: str) -> str:
    return intent.replace("_", " ")


def lines(s: Mapping[str, Any]) -> list[str]:
    """The summary in a few plain sentences, each traceable to one field of `s`."""
    out: list[str] = []
    who = s["customer"]["name"] or "The customer"
    status = "signed in" if s["customer"]["signed_in"] else "not signed in"
    cards = s["customer"]["cards"]
    out.append(f"{who} ({status}{f', {cards} card' + ('s' if cards != 1 else '') if cards else ''}).")
    topics = []
    for a in s["asked"]:
        if a["intent"] == FALLBACK:
            continue
        words = f"{_intent_words(a['intent'])} ({round(a['confidence'] * 100)}%)"
        if a["entities"]:
            words += " — " + ", ".join(f"{e['entity'].lower()} {e['value']}" for e in a["entities"][:3])
        if words not in topics:
            topics.append(words)
    if topics:
        out.append("Asked about: " + "; ".join(topics[-4:]) + ".")
    if s["bot_said"]:
        out.append(f"The bot last said: “{s['bot_said'][-1]}”")
    if s["failures"]:
        out.append(f"The bot failed {len(s['failures'])} time{'s' if len(s['failures']) != 1 else ''} "
                   f"(didn't understand or was unsure).")
    if s["emotions"]:
        moods = [e["label"] for e in s["emotions"]]
        trail = " → ".join(moods[-4:])
        out.append(f"Mood: {trail} (negativity {s['trajectory']}, now {s['emotions'][-1]['negativity']:.2f}).")
    if s["reason"]:
        kind = parse_kind(s["reason"])
        out.append(f"Handed over: {kind.label if kind else s['reason']}.")
    return out
