"""The in-process calls into the Rasa agent: one turn, NLU only, pause and resume.

No HTTP hop: the gateway holds the Agent (app.ctx.agent) in its own event loop. The agent is looked up
on every call, so an admin can swap in a retrained model without touching open sockets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handoff.assistant.nlu_workers import NluWorkers
from handoff.core import errors
from handoff.reporting import metrics
from handoff.settings import Settings

log = logging.getLogger(__name__)
EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
_ENV = re.compile(r"\$\{([A-Z0-9_]+)\}")


@dataclass
class BotTurn:
    messages: list[dict[str, Any]] = field(default_factory=list)  # shown_message()s
    handoff: dict[str, Any] | None = None  # the custom payload of action_handoff
    form: str | None = None  # the form (active loop) that was waiting for this message, if any


MAX_CUSTOM_BYTES = 4096  # a custom payload larger than this is not stored


def shown_message(m: dict[str, Any]) -> dict[str, Any]:
    """What the transcript keeps of one of Rasa's output messages: text, buttons, and the image, attachment
    or custom payload a response may carry (the socket.io channel sends them on; docs/rasa-webchat.md)."""
    shown: dict[str, Any] = {}
    if m.get("text"):
        shown["text"] = str(m["text"])
    buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
               for b in (m.get("buttons") or []) if isinstance(b, dict)]
    if buttons and shown:
        shown["buttons"] = buttons
    if isinstance(m.get("image"), str) and len(m["image"]) <= 2000:
        shown["image"] = m["image"]
    for key in ("attachment", "custom"):
        value = m.get(key)
        if isinstance(value, dict) and len(json.dumps(value)) <= MAX_CUSTOM_BYTES:
            shown[key] = value
    return shown


def annotation(parse_data: dict[str, Any]) -> dict[str, Any]:
    """What agents see of a parsed customer message: intent, confidence, emotions, negativity, label."""
    intent = parse_data.get("intent") or {}
    sentiment = parse_data.get("sentiment") or {}
    emotions = {k: round(float(v), 4) for k, v in (sentiment.get("emotions") or {}).items() if k in EMOTIONS}
    out: dict[str, Any] = {"emotions": emotions, "negativity": round(float(sentiment.get("negativity") or 0.0), 4)}
    if intent.get("name"):
        out["intent"] = intent["name"]
        out["confidence"] = round(float(intent.get("confidence") or 0.0), 4)
    if parse_data.get("form"):  # a slot answer (turns.py adds it): not a question the bot could miss
        out["form"] = str(parse_data["form"])
    if str(parse_data.get("text") or "").startswith("/"):  # a button's payload, not the customer's words
        out["button"] = True
    return out


def emotion_label(note: dict[str, Any]) -> str:
    emotions = {k: v for k, v in (note.get("emotions") or {}).items() if k != "neutral"}
    if not emotions or max(emotions.values()) < 0.3:
        return "neutral"
    return max(emotions, key=emotions.__getitem__)


def endpoint_values(settings: Settings) -> dict[str, str]:
    parts = settings.redis_parts()
    return {"REDIS_HOST": parts["host"], "REDIS_PORT": str(parts["port"]), "REDIS_DB": str(parts["db"]),
            "REDIS_PASSWORD": parts["password"] or "", "ACTION_ENDPOINT_URL": settings.action_endpoint_url,
            # Sentinel (handoff/storage/topology.py): Rasa's stores follow the gateway's Redis through a failover.
            "REDIS_SENTINELS": ",".join(settings.redis_sentinels),
            "REDIS_SENTINEL_SERVICE": settings.redis_sentinel_service,
            # Redis Cluster: the stores route each conversation's tracker and lock by its slot.
            "REDIS_CLUSTER": ",".join(settings.redis_cluster)}


def load_endpoints(settings: Settings) -> Any:
    """endpoints.yml with ${VAR}s filled from settings (not os.environ), as Rasa's AvailableEndpoints."""
    import yaml
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    if settings.in_memory_rasa_stores:
        return AvailableEndpoints(action=EndpointConfig(url=settings.action_endpoint_url))
    values = {**os.environ, **endpoint_values(settings)}
    text = Path(settings.endpoints_path).read_text(encoding="utf-8")
    text = _ENV.sub(lambda m: values.get(m.group(1), ""), text)
    content = yaml.safe_load(text) or {}

    def section(name: str) -> Any:
        raw = content.get(name)
        if not raw:
            return None
        raw = {k: v for k, v in raw.items() if v not in ("", None)}
        if name in ("tracker_store", "lock_store") and "key_prefix" in raw:
            raw["key_prefix"] = re.sub(r"[^A-Za-z0-9]", "", str(raw["key_prefix"]))  # Rasa wants alnum
        return EndpointConfig.from_dict(raw)

    return AvailableEndpoints(nlg=section("nlg"), nlu=section("nlu"), action=section("action_endpoint"),
                              model=section("models"), tracker_store=section("tracker_store"),
                              lock_store=section("lock_store"), event_broker=section("event_broker"))


async def load_agent(settings: Settings) -> Any:
    from rasa.core.agent import load_agent as rasa_load_agent

    from bot import rasa_speedups
    from handoff.assistant import awaitable_parse

    rasa_speedups.apply()
    awaitable_parse.apply()  # turns hand Rasa a parse still running
    agent = await rasa_load_agent(model_path=settings.model_path, endpoints=load_endpoints(settings))
    if agent is None or not agent.is_ready():
        raise errors.Unavailable(f"no Rasa model could be loaded from {settings.model_path}")
    return agent


def model_file(agent: Any) -> str:
    """The model file the agent answers with (Rasa keeps the folder it was given, plus the file's name)."""
    path = Path(agent.processor.model_path)
    return str(path / agent.processor.model_filename if path.is_dir() else path)


class BotBridge:
    def __init__(self, get_agent: Callable[[], Any], timeout_s: float, workers: NluWorkers | None = None) -> None:
        self.get_agent = get_agent
        self.timeout = timeout_s
        self.workers = workers  # parses off the event loop (handoff/assistant/nlu_workers.py); None: in-process

    def _agent(self) -> Any:
        agent = self.get_agent()
        if agent is None or not agent.is_ready():
            raise errors.Unavailable("the assistant is not loaded")
        return agent

    @property
    def ready(self) -> bool:
        agent = self.get_agent()
        return agent is not None and agent.is_ready()

    async def parse(self, text: str) -> dict[str, Any]:
        """NLU only (intent + sentiment); the message is not added to the conversation.

        In an NLU worker when one is ready for the agent's current model, else here."""
        agent = self._agent()
        if self.workers is not None:
            parsed = await self.workers.parse(model_file(agent), text)
            metrics.record_parse("worker" if parsed is not None else "gateway")
            if parsed is not None:
                return parsed
        return await asyncio.wait_for(agent.parse_message(text), self.timeout)

    def parse_soon(self, text: str) -> asyncio.Task | None:
        """`parse(text)` started now when an NLU worker is ready, to run while the caller stores the message;
        None otherwise (an in-process parse would hold the loop, and the caller's ack, for its whole run)."""
        agent = self.get_agent()
        if self.workers is None or agent is None or not agent.is_ready() or \
                not self.workers.ready_for(model_file(agent)):
            return None
        return asyncio.ensure_future(self.parse(text))

    async def turn(self, conversation_id: str, text: str, customer: dict[str, Any],
                   parse_data: dict[str, Any] | Awaitable[dict[str, Any]] | None,
                   metadata: dict[str, Any] | None = None) -> BotTurn:
        """One bot turn; `parse_data` from `parse` spares a second NLU run. It may still be running (an
        awaitable): Rasa then takes the lock and reads the tracker meanwhile (handoff/assistant/awaitable_parse.py)."""
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        agent = self._agent()
        out = CollectingOutputChannel()
        message = UserMessage(text, output_channel=out, sender_id=conversation_id, input_channel="tandem",
                              metadata={**(metadata or {}), "customer": customer}, parse_data=parse_data)
        await asyncio.wait_for(agent.handle_message(message), self.timeout)
        from handoff.assistant import awaitable_parse

        turn = BotTurn(form=awaitable_parse.answered_form(message))
        for m in out.messages:
            custom = m.get("custom")
            if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
                turn.handoff = custom["handoff"]
                continue
            shown = shown_message(m)
            if shown:
                turn.messages.append(shown)
        return turn

    async def _append(self, conversation_id: str, events: list[Any]) -> None:
        agent = self._agent()
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.processor.get_tracker(conversation_id)
            for event in events:
                tracker.update(event)
            await agent.processor.save_tracker(tracker)

    async def pause(self, conversation_id: str) -> None:
        """Mark the Rasa conversation paused (escalations that did not come from action_handoff)."""
        from rasa.shared.core.events import ConversationPaused

        await self._append(conversation_id, [ConversationPaused()])

    async def resume(self, conversation_id: str) -> None:
        """Hand back: Rasa continues the same tracker, with its slots and history.

        The paused conversation ended on action_handoff, never on action_listen; without one, no rule
        (they all start "after action_listen") matches the next message and the bot falls back.
        """
        from rasa.shared.core.constants import ACTION_LISTEN_NAME
        from rasa.shared.core.events import ActionExecuted, ConversationResumed, SlotSet

        events: list[Any] = [ConversationResumed()]
        if self._has_slot("handoff_reason"):
            events.append(SlotSet("handoff_reason", None))
        events.append(ActionExecuted(ACTION_LISTEN_NAME))
        await self._append(conversation_id, events)

    async def resume_if_paused(self, conversation_id: str) -> bool:
        """`resume` only when the Rasa conversation is paused (a queued customer's turn); True if it was."""
        agent = self._agent()
        tracker = await agent.processor.get_tracker(conversation_id)
        if not tracker.is_paused():
            return False
        await self.resume(conversation_id)
        return True

    def _has_slot(self, name: str) -> bool:
        domain = self._agent().domain
        return any(slot.name == name for slot in domain.slots) if domain else False
