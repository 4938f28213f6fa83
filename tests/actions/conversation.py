"""Whole conversations with a trained Rasa model and the real action server, for the conversation tests.

``Conversation.say`` sends one customer turn (typed text, or a payload such as "/affirm") the way the
gateway does, with the customer's session metadata on the first turn only.
"""

from __future__ import annotations

import uuid
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage


class Conversation:
    def __init__(self, agent: Agent, metadata: dict | None = None) -> None:
        self.agent, self.metadata, self.sender = agent, metadata, f"flows-{uuid.uuid4().hex}"

    async def say(self, text: str, metadata: dict | None = None) -> list[dict]:
        out = CollectingOutputChannel()
        meta = {**(self.metadata or {}), **(metadata or {})} or None
        await self.agent.handle_message(UserMessage(text, out, self.sender, metadata=meta))
        self.metadata = None  # session metadata travels with the first message only
        return out.messages

    async def tracker(self) -> Any:
        return await self.agent.tracker_store.retrieve(self.sender)

    async def actions(self) -> list[str]:
        tracker = await self.tracker()
        return [
            e.action_name
            for e in tracker.events
            if getattr(e, "action_name", None) and e.action_name != "action_listen"
        ]

    async def intents(self) -> list[str]:
        tracker = await self.tracker()
        return [e.intent_name for e in tracker.events if getattr(e, "intent_name", None)]


def said(messages: list[dict]) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in m.get("buttons") or []]


def offers_person(messages: list[dict]) -> bool:
    return any(b.get("payload") == "/request_human" for b in buttons(messages))


def hands_over(messages: list[dict]) -> bool:
    """True when the turn's output carries the handoff payload (the gateway would queue the customer)."""
    return any(isinstance(m.get("custom"), dict) and "handoff" in m["custom"] for m in messages)
