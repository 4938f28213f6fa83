"""The customer socket: hello/resume, messages (stored before the ack), queue updates, rating, call-back.

Order of a customer message: store it (idempotent on client_id) → ack → hand it to handoff.gateway.turns (NLU for
the agents' emotion chips; in bot mode only, the Rasa turn), which runs per conversation, off the socket.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.escalation.kinds import Kind
from handoff.admin.answer_feedback import AnswerFeedback
from handoff.assistant.bot_bridge import BotBridge
from handoff.core import errors, proactive, protocol
from handoff.core.context import verify_context
from handoff.core.protocol import State
from handoff.gateway.connection import Connection, Cursor
from handoff.gateway.desk import Desk
from handoff.gateway.turns import Turns
from handoff.gateway.web import client_ip
from handoff.settings import Settings
from handoff.storage import keys
from handoff.storage.hub import Hub
from handoff.storage.store import Store

log = logging.getLogger(__name__)
SENDABLE = (State.BOT, State.QUEUED, State.AGENT)


class CustomerSession(Connection):
    side = "customer"
    hello_timeout_s = protocol.HELLO_TIMEOUT_S

    def __init__(self, ws: Any, request: Any, *, desk: Desk, turns: Turns, store: Store, hub: Hub, bot: BotBridge,
                 settings: Settings, feedback: AnswerFeedback | None = None) -> None:
        super().__init__(ws, request)
        self.desk, self.turns, self.store, self.hub, self.bot = desk, turns, store, hub, bot
        self.feedback = feedback
        self.settings = settings
        self.cid = ""
        self.customer: dict[str, Any] = {}
        self.cursor = Cursor(0)
        self.state = State.BOT
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.last_queue_info: dict[str, Any] = {}
        self.subscribed: list[str] = []
        self.own_ids: set[str] = set()  # client_ids this socket sent: not echoed back to it

    # ------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        try:
            if not await self._hello_phase():
                return
            self.spawn(self._deliver(), "deliver")
            handlers = {"message": self.on_message, "typing": self.on_typing, "request_human": self.on_request_human,
                        "callback": self.on_callback, "rating": self.on_rating, "ping": self.on_ping,
                        "hello": self.on_second_hello, "end": self.on_end,
                        "bot_while_queued": self.on_bot_while_queued, "event": self.on_event,
                        "feedback": self.on_feedback}
            while not self.closed:
                frame = await self.next_frame()
                if frame is None:
                    break
                await self.dispatch(frame, handlers[frame["type"]])
        finally:
            for channel in self.subscribed:
                await self.hub.unsubscribe(channel, self._on_event)
            await self.cleanup_tasks()

    async def _hello_phase(self) -> bool:
        failures = 0
        while not self.closed:
            frame = await self.next_frame(timeout=self.hello_timeout_s)
            if frame is None:
                if not self.closed:
                    await self.close(errors.WS_1008_POLICY_VIOLATION, "no hello")
                return False
            if frame["type"] != "hello":
                await self.send_error(errors.BadState("send hello first", frame=frame["type"],
                                                      ref=frame.get("client_id")))
                continue
            try:
                await self._hello(frame)
                return True
            except errors.TandemError as exc:
                exc.frame = "hello"
                await self.send_error(exc)
                failures += 1
                if failures >= protocol.MAX_FAILED_HELLOS:
                    await self.close(errors.WS_1008_POLICY_VIOLATION, "too many failed hellos")
                    return False
        return False

    async def _hello(self, frame: dict[str, Any]) -> None:
        token = None
        if frame.get("conversation_id"):
            if not frame.get("token"):
                raise errors.Unauthorized("resuming a conversation needs its token")
            conv = await self.store.authenticate(frame["conversation_id"], frame["token"])
            resumed = True
        else:
            customer = {}
            if frame.get("context"):
                customer = verify_context(frame["context"], self.settings.context_secret)
            await self._count_new_chat()
            cid, token = await self.store.create_conversation(customer, frame.get("locale"))
            conv = await self.desk.conv(cid)
            resumed = False
        self.cid, self.customer = conv["conversation_id"], conv.get("customer") or {}
        self.state = conv["state"]
        # Subscribe before reading the transcript, so nothing falls between replay and the live feed.
        await self._subscribe(keys.ch_conv(self.cid))
        await self._subscribe(keys.CH_QUEUE_POSITIONS)
        conv = await self.desk.conv(self.cid)
        self.state = conv["state"]
        last_seq = min(int(frame.get("last_seq") or 0), conv.get("seq", 0))
        welcome = protocol.frame("welcome", conversation_id=self.cid, token=token, resumed=resumed,
                                 state=self.state.value, last_seq=conv.get("seq", 0),
                                 agent_name=conv.get("agent_name") if self.state is State.AGENT else None)
        if self.state is State.QUEUED:
            self.last_queue_info = await self.desk.queue_info(self.cid)
            welcome.update(self.last_queue_info)
        if conv.get("bot_while_queued") == "0":
            welcome["bot_while_queued"] = False  # the customer's switch, as they left it
        await self.send(welcome)
        self.cursor = Cursor(last_seq)
        for msg in await self.store.read_log(self.cid, last_seq, count=10_000):
            self.cursor.seq = msg["seq"]
            out = protocol.message_frame(msg, protocol.customer_view)
            if out:
                await self.send(out)
        if self.state is State.CLOSED and "rating" not in conv and conv.get("resolution") != "callback":
            await self.send(protocol.frame("rating_request"))
        if resumed and "turn_seq" in conv:
            # A bot answer may have died with another instance: see that it is given (turns.recover).
            self.desk.background(self.turns.recover(self.cid, self.customer))

    async def _subscribe(self, channel: str) -> None:
        await self.hub.subscribe(channel, self._on_event)
        self.subscribed.append(channel)

    def _on_event(self, channel: str, event: dict[str, Any]) -> None:
        self.inbox.put_nowait(event)

    async def _count_new_chat(self) -> None:
        """One client IP may open only so many conversations per window: a script looping over hello
        must not fill Redis. Resuming an existing conversation is never limited."""
        settings = self.settings
        if settings.new_chats_per_ip <= 0:
            return
        count, left_ms = await self.store.count_new_chat(client_ip(self.request), settings.new_chats_window_s)
        if count > settings.new_chats_per_ip:
            raise errors.RateLimited("too many new chats from your network; please try again in a few minutes",
                                     retry_after_ms=left_ms)

    # ------------------------------------------------------------ delivery (pub/sub → socket)

    async def _deliver(self) -> None:
        while not self.closed:
            event = await self.inbox.get()
            try:
                await self._deliver_one(event)
            except errors.TandemError as exc:
                log.warning("delivery to a customer socket failed: %s", exc.code)
            except Exception:
                log.exception("delivery to a customer socket failed")

    async def _deliver_one(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "msg":
            fetch = lambda after: self.store.read_log(self.cid, after)
            for msg in await self.cursor.feed(int(event["seq"]), event["m"], fetch):
                if msg.get("sender") == "customer" and msg.get("client_id") in self.own_ids:
                    continue
                out = protocol.message_frame(msg, protocol.customer_view)
                if out:
                    await self.send(out)
        elif kind == "typing" and event.get("sender") in ("bot", "agent") and event.get("origin") != self.id:
            await self.send(protocol.typing(event["sender"], bool(event.get("on"))))
        elif kind == "state":
            self.state = State(event["state"])
            fields: dict[str, Any] = {"state": self.state.value}
            if self.state is State.AGENT:
                fields["agent_name"] = event.get("agent_name")
            if self.state is State.QUEUED:
                self.last_queue_info = await self.desk.queue_info(self.cid, fresh=True)
                fields.update(self.last_queue_info)
            await self.send(protocol.frame("state", **fields))
            if event.get("rating_request"):
                await self.send(protocol.frame("rating_request"))
        elif kind == "queue" and self.state is State.QUEUED:
            info = await self.desk.queue_info(self.cid)
            if info != self.last_queue_info and "queue_position" in info:
                self.last_queue_info = info
                await self.send(protocol.frame("state", state=State.QUEUED.value, **info))
        elif kind == "catchup":
            for msg in await self.cursor.feed(10**12, {}, lambda after: self.store.read_log(self.cid, after)):
                out = protocol.message_frame(msg, protocol.customer_view)
                if out:
                    await self.send(out)

    # ------------------------------------------------------------ frames

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send(protocol.frame("pong"))

    async def on_second_hello(self, frame: dict[str, Any]) -> None:
        raise errors.BadState("hello was already accepted on this connection")

    async def on_message(self, frame: dict[str, Any]) -> None:
        msg = {"sender": "customer", "text": frame["text"], "client_id": frame["client_id"]}
        await self._customer_turn(frame["client_id"], msg, frame.get("payload") or frame["text"])

    async def on_event(self, frame: dict[str, Any]) -> None:
        """The customer accepted the site's proactive offer: their turn reads as plain words in the transcript,
        and the bot gets the event's intent payload with its data (handoff/core/proactive.py)."""
        event = proactive.verify_event(frame["event"], self.settings.context_secret)
        msg = {"sender": "customer", "text": event.acceptance_text(), "client_id": frame["client_id"]}
        # Echoed to this socket too: the client learns the words the transcript shows from the server.
        await self._customer_turn(frame["client_id"], msg, event.payload(), dict(proactive.METADATA), echo=True)

    async def _customer_turn(self, client_id: str, msg: dict[str, Any], text: str,
                             metadata: dict[str, Any] | None = None, echo: bool = False) -> None:
        """Store the customer's message (idempotent on client_id), ack it, then hand `text` to the turn.
        `echo`: the stored message is sent back to this socket as well (not only to the customer's other tabs)."""
        if len(self.own_ids) > 1000:
            self.own_ids.clear()
        if not echo:
            self.own_ids.add(client_id)
        cid, customer = self.cid, self.customer
        parsing = self.bot.parse_soon(text)  # in an NLU worker while the message is stored and acked
        try:
            seq, dup, state = await self.store.append(cid, msg, dedupe="c:" + client_id,
                                                      states=SENDABLE, needs_turn=True)
            await self.send(protocol.ack(client_id, seq))
        except BaseException:
            if parsing is not None:
                parsing.cancel()  # no turn follows (a closed chat, Redis down, the socket gone: `recover`)
                if parsing.done() and not parsing.cancelled():
                    parsing.exception()  # already failed (no assistant): read, so asyncio does not log it
            raise
        if dup:
            if parsing is not None:
                parsing.cancel()
            return
        # Not tied to this socket: the answer is produced and stored even if the customer is gone.
        self.desk.submit(cid, lambda: self.turns.process(cid, customer, seq, text, state, parsing=parsing,
                                                         metadata=metadata))

    async def on_typing(self, frame: dict[str, Any]) -> None:
        if self.state is State.AGENT:
            await self.store.publish(keys.ch_conv(self.cid), {"kind": "typing", "sender": "customer",
                                                              "on": frame["on"], "origin": self.id})

    async def on_request_human(self, frame: dict[str, Any]) -> None:
        conv = await self.desk.conv(self.cid)
        if conv["state"] is State.CLOSED:
            raise errors.BadState("this chat is closed; start a new one")
        if conv["state"] is State.BOT:
            reason = {"kind": Kind.EXPLICIT.value, "detail": "pressed talk to a person", "score": 1.0,
                      "turn": conv.get("seq", 0)}
            if await self.desk.escalate(self.cid, reason, paused_by_bot=False):
                return  # the state frame arrives through pub/sub
            conv = await self.desk.conv(self.cid)
        fields: dict[str, Any] = {"state": conv["state"].value}
        if conv["state"] is State.QUEUED:
            fields.update(await self.desk.queue_info(self.cid))
        if conv["state"] is State.AGENT:
            fields["agent_name"] = conv.get("agent_name")
        await self.send(protocol.frame("state", **fields))

    async def on_callback(self, frame: dict[str, Any]) -> None:
        await self.desk.callback(self.cid, frame["text"])

    async def on_rating(self, frame: dict[str, Any]) -> None:
        await self.desk.rate(self.cid, frame["score"], frame.get("comment") or "")

    async def on_end(self, frame: dict[str, Any]) -> None:
        """The customer's "End chat": the state frame (closed) and the rating request come through pub/sub."""
        await self.desk.end_by_customer(self.cid)

    async def on_bot_while_queued(self, frame: dict[str, Any]) -> None:
        """Whether the bot answers routine questions while this customer waits for a person (default: yes)."""
        await self.store.update_fields(self.cid, {"bot_while_queued": "1" if frame["on"] else "0"})
        await self.send(protocol.frame("bot_while_queued", on=frame["on"]))
    async def on_feedback(self, frame: dict[str, Any]) -> None:
        """Thumbs up/down on one of the bot's answers (handoff/admin/answer_feedback.py)."""
        if self.feedback is None:
            raise errors.Unavailable("answers cannot be rated on this instance")
        saved = await self.feedback.rate(self.cid, frame["seq"], frame["value"], frame.get("comment") or "")
        await self.send(protocol.frame("feedback_saved", seq=saved["seq"], value=saved["value"]))
