"""Rasa's socket.io wire (rasa/core/channels/socketio.py, Rasa 3.6) translated to and from Tandem's customer
frames, with no I/O: the socket.io endpoint (handoff.gateway.socketio_ws) feeds the native customer session
the frames this module makes, and emits the events it returns for the frames that session sends.

So a `rasa-webchat` widget is one more transport onto the same conversation: its `session_request` becomes
a `hello`, its `user_uttered` a `message` (or `request_human`, `rating`, `callback` when it presses one of the
quick replies offered here), and every customer-visible transcript message becomes one or more
`bot_uttered` payloads in the shapes Rasa's SocketIOOutput sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from handoff.core.protocol import ACTION_LEAVE_MESSAGE, ACTION_REQUEST_HUMAN, ACTION_STAY, Message, Sender

# session_id = "<conversation_id>.<token>": it is what a reload sends back, so it must prove the right to
# resume (Rasa's own channel lets anyone who knows or guesses a session_id join that room).
SESSION_ID_RE = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_\-]{16,128})$")
# Quick-reply payloads for Tandem's own buttons; a rasa-webchat click sends the payload as the message.
PAYLOAD_PREFIX = "/tandem_"
RATING_PAYLOAD = PAYLOAD_PREFIX + 'rating{"score":%d}'
RATING_RE = re.compile(r'^/tandem_rating\{"score":\s*([1-5])\}$')
ACTION_PAYLOADS = {a["id"]: PAYLOAD_PREFIX + a["id"] for a in (ACTION_REQUEST_HUMAN, ACTION_STAY, ACTION_LEAVE_MESSAGE)}
RATING_PROMPT = "How did we do? Rate this chat from 1 (poor) to 5 (excellent)."
CALLBACK_PROMPT = "Please write your message and how to reach you; an adviser will call you back."
ERROR_EVENT = "tandem_error"  # socket.io reserves "error" on older clients
TYPING_EVENT = "tandem_typing"
# Where a site puts the signed customer context (docs/protocol.md, the native hello's `context`): in
# rasa-webchat's `customData` (or the channel's `metadata_key` object) of session_request or a message.
CONTEXT_KEY = "tandem_context"
CUSTOM_DATA_KEY = "customData"  # what rasa-webchat names it, whatever metadata_key says


@dataclass(frozen=True)
class WireConfig:
    """The `socketio:` section of a Rasa credentials.yml, with Rasa 3.6's defaults."""

    user_message_evt: str = "user_uttered"
    bot_message_evt: str = "bot_uttered"
    session_persistence: bool = False
    socketio_path: str = "/socket.io"
    namespace: str | None = None
    metadata_key: str = "metadata"

    @classmethod
    def resolve(cls, credentials: Mapping[str, Any] | None, **settings: Any) -> WireConfig:
        """credentials.yml's values over Rasa's defaults, then the gateway settings that are set (not None)."""
        known = {f.name for f in fields(cls)}
        config = cls()
        if credentials:
            config = replace(config, **{k: v for k, v in credentials.items() if k in known and v is not None})
        config = replace(config, **{k: v for k, v in settings.items() if k in known and v is not None})
        for name in ("user_message_evt", "bot_message_evt", "socketio_path", "metadata_key"):
            if not isinstance(getattr(config, name), str) or not getattr(config, name):
                raise ValueError(f"socketio.{name} must be a non-empty string")
        if not isinstance(config.session_persistence, bool):
            raise TypeError("socketio.session_persistence must be true or false")
        return config


def session_id(conversation_id: str, token: str) -> str:
    return f"{conversation_id}.{token}"


def parse_session_id(value: Any) -> tuple[str, str] | None:
    """(conversation_id, token) of a session_id this gateway handed out; None for anything else."""
    match = SESSION_ID_RE.match(value) if isinstance(value, str) else None
    return (match.group(1), match.group(2)) if match else None


def _raw(frame: Any) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


class RasaWire:
    """One socket.io connection's translation state: its session, the quick replies it was last offered.

    Call `hello` for `session_request` (or `auto_hello` when a message comes first), `user_uttered` for each
    user message event: both return a raw native frame for the session's validating receive loop. Call
    `events` with every frame the session sends: it returns the socket.io (event, data) pairs to emit.
    """

    def __init__(self, config: WireConfig, connection_id: str) -> None:
        self.config = config
        self.connection_id = connection_id
        self.session: str | None = None  # the session_id confirmed to the client
        self.requested: str | None = None  # the session_id the client asked to resume
        self.context: str | None = None
        self.context_checked = False  # the first user message's customData was looked at
        self.hello_sent = False
        self.offered: dict[str, str] = {}  # payload -> title of the last quick replies shown
        self.awaiting_callback = False
        self.count = 0

    # ------------------------------------------------------------ client → native frames

    def hello(self, data: Any) -> dict[str, Any]:
        """The native hello for a session_request: resume the conversation its session_id names (with
        session_persistence), else start one, with the signed context it carries. The caller adds
        `last_seq` (what this session was sent)."""
        data = data if isinstance(data, dict) else {}
        self.hello_sent = True
        self.context = self.signed_context(data)
        frame: dict[str, Any] = {"type": "hello"}
        if self.context:
            frame["context"] = self.context
        found = parse_session_id(data.get("session_id")) if self.config.session_persistence else None
        if found:
            self.requested = data["session_id"]
            return {"type": "hello", "conversation_id": found[0], "token": found[1]}
        return frame

    def signed_context(self, data: Any) -> str | None:
        """The signed context token in `customData.tandem_context` (or `<metadata_key>.tandem_context`).
        Only this token is ever read from customData: the rest is the browser's word, and is dropped. A
        value that is not a non-empty string comes back as one that fails verification, not as None."""
        if not isinstance(data, dict):
            return None
        for key in (self.config.metadata_key, CUSTOM_DATA_KEY):
            holder = data.get(key)
            if isinstance(holder, dict) and holder.get(CONTEXT_KEY) is not None:
                token = holder[CONTEXT_KEY]
                return token if isinstance(token, str) and token else "invalid"
        return None

    def late_context(self, data: Any) -> str | None:
        """The signed context of the first user message, when session_request carried none (rasa-webchat
        sends customData only with messages): the session verifies it and gives it to its conversation.
        None for every later message, and when session_request had one."""
        if self.context_checked:
            return None
        self.context_checked = True
        if self.context:
            return None
        self.context = self.signed_context(data)
        return self.context

    def fresh_hello(self) -> dict[str, Any]:
        """After a failed resume (expired, unknown or forged session_id): a new conversation instead, as
        Rasa would give one; session_confirm then carries the new id and rasa-webchat clears its copy."""
        self.requested = None
        return {"type": "hello", **({"context": self.context} if self.context else {})}

    def auto_hello(self, data: Any = None) -> dict[str, Any]:
        """A user message before any session_request (a plain socket.io client): a new conversation, with
        the signed context that message carries."""
        data = data if isinstance(data, dict) else {}
        self.context_checked = True
        return self.hello({k: data[k] for k in (self.config.metadata_key, CUSTOM_DATA_KEY) if k in data})

    def user_uttered(self, data: Any) -> str:
        """The raw native frame for a user message event. Bad input is passed on as it came, so the native
        validation answers it (bad_json, invalid_frame, frame_too_large) under the same rate limit."""
        if not isinstance(data, dict):
            return _raw(data) if isinstance(data, (list, str, int, float)) else "null"
        message = data.get("message")
        if isinstance(message, str):
            text = message.strip()
            if text in (ACTION_PAYLOADS["request_human"],):
                return _raw({"type": "request_human"})
            if text == ACTION_PAYLOADS["stay_in_queue"]:
                return _raw({"type": "ping"})  # nothing to do; answered by a pong, which is not emitted
            if text == ACTION_PAYLOADS["leave_message"]:
                self.awaiting_callback = True
                return _raw({"type": "ping"})
            rating = RATING_RE.match(text)
            if rating:
                return _raw({"type": "rating", "score": int(rating.group(1))})
            if self.awaiting_callback:
                self.awaiting_callback = False
                return _raw({"type": "callback", "text": message})
        self.count += 1
        frame: dict[str, Any] = {"type": "message", "client_id": f"sio.{self.connection_id}.{self.count}",
                                 "text": message}
        if isinstance(message, str) and message.startswith("/"):
            # A quick reply: rasa-webchat sends only the payload; the transcript shows its title.
            frame["payload"] = message
            frame["text"] = self.offered.get(message.strip(), message)
        return _raw(frame)

    # ------------------------------------------------------------ native frames → socket.io events

    def events(self, frame: dict[str, Any]) -> list[tuple[str, Any]]:
        ftype = frame.get("type")
        if ftype == "welcome":
            if frame.get("resumed") and self.requested:
                self.session = self.requested
            else:
                self.session = session_id(frame["conversation_id"], frame["token"])
            return [("session_confirm", self.session)]
        if ftype == "message":
            return [(self.config.bot_message_evt, p) for p in self.bot_uttered(frame)]
        if ftype == "rating_request":
            replies = [{"content_type": "text", "title": str(n), "payload": RATING_PAYLOAD % n} for n in range(1, 6)]
            return [(self.config.bot_message_evt, {"text": RATING_PROMPT, "quick_replies": replies})]
        if ftype == "typing" and frame.get("sender") in ("bot", "agent"):
            return [(TYPING_EVENT, {"sender": frame["sender"], "on": bool(frame.get("on"))})]
        if ftype == "error":
            return [(ERROR_EVENT, {k: frame[k] for k in ("code", "message", "retry_after_ms") if k in frame})]
        if ftype == "state" and self.awaiting_callback and frame.get("state") == "closed":
            self.awaiting_callback = False
        return []  # ack, pong, state: Rasa's wire has nothing for them (system messages say it in words)

    def bot_uttered(self, msg: Message | dict[str, Any]) -> list[dict[str, Any]]:
        """A transcript message as Rasa's SocketIOOutput would send it: text split on blank lines, buttons
        as quick_replies on the last part, images and attachments, custom payloads; agents' messages carry
        the agent in `metadata`. The customer's own messages are not echoed (Rasa never does)."""
        sender = msg.get("sender")
        if sender == Sender.CUSTOMER.value or sender == Sender.NOTE.value:
            return []
        out: list[dict[str, Any]] = []
        text = str(msg.get("text") or "")
        if text.strip():
            out = [{"text": part} for part in text.strip().split("\n\n")]
        replies = [{"content_type": "text", "title": b["title"], "payload": b["payload"]}
                   for b in msg.get("buttons") or []]
        replies += [{"content_type": "text", "title": a["title"], "payload": ACTION_PAYLOADS[a["id"]]}
                    for a in msg.get("actions") or [] if a.get("id") in ACTION_PAYLOADS]
        if replies:
            if not out:
                out = [{"text": ""}]
            out[-1]["quick_replies"] = replies
            self.offered = {r["payload"]: r["title"] for r in replies}
        if msg.get("image"):
            out.append({"attachment": {"type": "image", "payload": {"src": msg["image"]}}})
        if isinstance(msg.get("attachment"), dict):
            out.append({"attachment": msg["attachment"]})
        custom = msg.get("custom")
        if isinstance(custom, dict):
            # Rasa emits `custom["data"]` (SocketIOOutput.send_custom_json passes the dict as emit's kwargs).
            out.append(custom.get("data", custom))
        if sender == Sender.AGENT.value:
            for payload in out:
                if isinstance(payload, dict):
                    payload["metadata"] = {"sender": "agent", "agent_name": msg.get("agent_name")}
        return out
