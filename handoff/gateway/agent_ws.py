"""The agent socket: session check, presence, queue and escalation feed, claim/reply/transfer/hand back/close.

An agent socket listens to three kinds of channel: the desk-wide one (queue, escalations, presence), its
own (transfers to it, logout) and one per conversation it owns or opened.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from handoff.accounts import auth
from handoff.accounts.auth import Accounts
from handoff.core import errors, protocol
from handoff.core.clock import now_ms
from handoff.core.protocol import State
from handoff.gateway.connection import Connection, Cursor
from handoff.gateway.desk import Desk
from handoff.settings import Settings
from handoff.storage import analytics_store, keys
from handoff.storage.accounts import Sessions
from handoff.storage.hub import Hub
from handoff.storage.store import Store, summary

log = logging.getLogger(__name__)


class AgentSession(Connection):
    side = "agent"

    def __init__(self, ws: Any, request: Any, session: dict[str, str], sid: str, *, desk: Desk, store: Store,
                 hub: Hub, accounts: Accounts, sessions: Sessions, settings: Settings) -> None:
        super().__init__(ws, request)
        self.desk, self.store, self.hub = desk, store, hub
        self.accounts, self.sessions, self.settings = accounts, sessions, settings
        self.session, self.sid = session, sid
        self.username = session["username"]
        self.user: dict[str, Any] = {}
        self.status = "online"
        self.cursors: dict[str, Cursor] = {}  # conversations whose live events this socket receives
        self.inbox: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.channels: set[str] = set()

    @property
    def is_admin(self) -> bool:
        return self.user.get("role") == "admin"

    async def run(self) -> None:
        try:
            user = await self.accounts.get(self.username)
            if user is None:
                await self.send_error(errors.Unauthorized("this account no longer exists"))
                await self.close(errors.WS_4401_SESSION_EXPIRED, "account removed")
                return
            self.user = user
            await self.store.heartbeat(self.username, self.id)
            handlers = {"hello": self.on_hello, "presence": self.on_presence, "claim": self.on_claim,
                        "open": self.on_open, "message": self.on_message, "note": self.on_note,
                        "typing": self.on_typing, "transfer": self.on_transfer, "handback": self.on_handback,
                        "close": self.on_close, "ping": self.on_ping, "takeback": self.on_takeback,
                        "merge": self.on_merge}
            hello_seen = False
            while not self.closed:
                frame = await self.next_frame(timeout=None if hello_seen else protocol.HELLO_TIMEOUT_S)
                if frame is None:
                    if not self.closed:
                        await self.close(errors.WS_1008_POLICY_VIOLATION, "no hello")
                    break
                if not hello_seen and frame["type"] != "hello":
                    await self.send_error(errors.BadState("send hello first", frame=frame["type"],
                                                          ref=frame.get("client_id")))
                    continue
                if not await self._session_alive():
                    break
                await self.dispatch(frame, handlers[frame["type"]])
                hello_seen = hello_seen or frame["type"] == "hello"
        finally:
            for channel in list(self.channels):
                await self.hub.unsubscribe(channel, self._on_event)
            await self.cleanup_tasks()
            try:
                await self.store.drop_connection(self.username, self.id)
                await self.desk.agents_changed()
            except Exception:  # noqa: BLE001 - Redis gone during shutdown; the presence entry expires anyway
                log.warning("could not record that agent %s disconnected", self.username)

    async def _session_alive(self) -> bool:
        if await self.sessions.get(self.sid) is None:
            await self.send_error(errors.Unauthorized("your session has expired; sign in again"))
            await self.close(errors.WS_4401_SESSION_EXPIRED, "session expired")
            return False
        return True

    async def _heartbeat(self) -> None:
        while not self.closed:
            await asyncio.sleep(keys.PRESENCE_REFRESH_S)
            try:
                await self.store.heartbeat(self.username, self.id)
                await self._session_alive()
            except errors.TandemError:
                pass

    # ------------------------------------------------------------ subscriptions and delivery

    async def _listen(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self.hub.subscribe(channel, self._on_event)

    async def _unlisten(self, channel: str) -> None:
        if channel in self.channels:
            self.channels.discard(channel)
            await self.hub.unsubscribe(channel, self._on_event)

    def _on_event(self, channel: str, event: dict[str, Any]) -> None:
        self.inbox.put_nowait((channel, event))

    async def _watch(self, cid: str) -> list[protocol.Message]:
        """Subscribe to a conversation, then read its transcript: the cursor starts where the read ended."""
        await self._listen(keys.ch_conv(cid))
        transcript = await self.store.read_log(cid, 0, count=10_000, with_nlu=True)
        self.cursors[cid] = Cursor(transcript[-1]["seq"] if transcript else 0)
        return [protocol.agent_view(m) for m in transcript]

    async def _unwatch(self, cid: str) -> None:
        self.cursors.pop(cid, None)
        await self._unlisten(keys.ch_conv(cid))

    async def _deliver(self) -> None:
        while not self.closed:
            channel, event = await self.inbox.get()
            try:
                await self._deliver_one(channel, event)
            except errors.TandemError as exc:
                log.warning("delivery to agent %s failed: %s", self.username, exc.code)
            except Exception:
                log.exception("delivery to agent %s failed", self.username)

    async def _deliver_one(self, channel: str, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if channel == keys.CH_AGENTS:
            if kind == "queue":
                await self.send(protocol.frame("queue", items=event["items"]))
            elif kind == "escalation" and self.status == "online":
                await self.send(protocol.frame("escalation", item=event["item"]))
            elif kind == "agents":
                await self.send(protocol.frame("agents", items=event["items"]))
            elif kind == "catchup":
                await self.send(protocol.frame("queue", items=await self.store.queue_items()))
            return
        if channel == keys.ch_agent(self.username):
            if kind == "assigned":
                cid = event["conversation_id"]
                conv = await self.desk.conv(cid)
                await self._listen(keys.ch_conv(cid))
                self.cursors.setdefault(cid, Cursor(conv.get("seq", 0)))
                await self.send(protocol.frame("assigned", conversation_id=cid, conversation=summary(conv),
                                               from_name=event.get("from_name"), note=event.get("note"),
                                               **{"from": event.get("from")}))
            elif kind == "logout" and event.get("sid") == self.sid:
                await self.send_error(errors.Unauthorized("signed out"))
                await self.close(errors.WS_4401_SESSION_EXPIRED, "signed out")
            elif kind == "rating":
                await self.send(protocol.frame("rating", conversation_id=event["conversation_id"],
                                               score=event["score"], comment=event.get("comment")))
            return
        cid = keys.conversation_of(channel)
        cursor = self.cursors.get(cid)
        if cursor is None:
            return
        if kind in ("msg", "catchup"):
            seq = int(event["seq"]) if kind == "msg" else 10**12
            fetch = lambda after: self.store.read_log(cid, after, with_nlu=True)
            for msg in await cursor.feed(seq, event.get("m", {}), fetch):
                await self.send(protocol.message_frame(protocol.agent_view(msg), protocol.agent_view, cid))
        elif kind == "annotation":
            fields = {k: event.get(k) for k in ("seq", "intent", "confidence", "emotions", "negativity", "reading")}
            await self.send(protocol.frame("annotation", conversation_id=cid, **fields))
        elif kind == "suggestions":  # agent assist's drafts (handoff/assist/service.py); customers never get them
            await self.send(protocol.frame("suggestions", conversation_id=cid, seq=event.get("seq"),
                                           drafts=event.get("drafts") or [], partial=event.get("partial")))
        elif kind == "typing" and event.get("sender") == "customer":
            await self.send(protocol.typing("customer", bool(event.get("on")), cid))
        elif kind == "state":
            await self.send(protocol.frame("state", conversation_id=cid, state=event["state"],
                                           agent=event.get("agent"), agent_name=event.get("agent_name"),
                                           resolution=event.get("resolution"),
                                           handed_back_by=event.get("handed_back_by"),
                                           watch_until=event.get("watch_until")))
            if self._watches_handback(cid, event):
                return
            if event.get("agent") != self.username and not self.is_admin and event["state"] != State.QUEUED.value:
                await self._unwatch(cid)

    def _watches_handback(self, cid: str, event: dict[str, Any]) -> bool:
        """After my hand-back the chat stays on my screen, read-only, until its watch ends (issue #24)."""
        if event["state"] != State.BOT.value or event.get("handed_back_by") != self.username:
            return False
        delay_s = max(0.0, (int(event.get("watch_until") or 0) - now_ms()) / 1000)
        self.spawn(self._end_watch_later(cid, delay_s), f"watch-{cid}")
        return True

    async def _end_watch_later(self, cid: str, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        conv = await self.store.get(cid)
        if conv is not None and conv.get("agent") != self.username and not self.is_admin:
            await self._unwatch(cid)
            await self.send(protocol.frame("watch_ended", conversation_id=cid))

    # ------------------------------------------------------------ frames

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send(protocol.frame("pong"))

    async def on_hello(self, frame: dict[str, Any]) -> None:
        if self.tasks:
            raise errors.BadState("hello was already accepted on this connection")
        self.status = await self.store.presence(self.username)
        await self._listen(keys.CH_AGENTS)
        await self._listen(keys.ch_agent(self.username))
        mine = await self.store.agent_conversations(self.username)
        for conv in mine:
            await self._listen(keys.ch_conv(conv["conversation_id"]))
            self.cursors[conv["conversation_id"]] = Cursor(conv.get("last_seq", 0))
        self.spawn(self._deliver(), "deliver")
        self.spawn(self._heartbeat(), "heartbeat")
        await self.send(protocol.frame(
            "welcome", agent=auth.public(self.user, self.status), queue=await self.store.queue_items(),
            conversations=mine, agents=await self.store.agents(), instance=self.settings.instance))
        await self.desk.agents_changed()

    async def on_presence(self, frame: dict[str, Any]) -> None:
        self.status = frame["status"]
        await self.store.set_presence(self.username, self.status)
        await self.send(protocol.frame("presence", status=self.status))
        await self.desk.agents_changed()

    async def on_claim(self, frame: dict[str, Any]) -> None:
        cid = frame["conversation_id"]
        await self.desk.claim(cid, self.user)
        transcript = await self._watch(cid)
        await self.send(protocol.frame("claimed", conversation_id=cid, conversation=summary(await self.desk.conv(cid)),
                                       transcript=transcript))

    async def on_open(self, frame: dict[str, Any]) -> None:
        cid = frame["conversation_id"]
        conv = await self.desk.conv(cid)
        if not (self.is_admin or conv["state"] is State.QUEUED or conv.get("agent") == self.username):
            raise errors.Forbidden("you can open queued conversations and your own")
        transcript = await self._watch(cid)
        await self.send(protocol.frame("transcript", conversation_id=cid, conversation=summary(conv),
                                       transcript=transcript))

    async def on_message(self, frame: dict[str, Any]) -> None:
        msg = {"sender": "agent", "text": frame["text"], "client_id": frame["client_id"],
               "agent": self.username, "agent_name": self.user["display_name"]}
        seq, dup, _ = await self.store.append(frame["conversation_id"], msg, states=(State.AGENT,),
                                            agent=self.username,
                                            dedupe=f"a:{self.username}:{frame['client_id']}")
        await self.send(protocol.ack(frame["client_id"], seq))
        if not dup:
            await analytics_store.record_agent_reply(self.store, frame["conversation_id"], seq)

    async def on_note(self, frame: dict[str, Any]) -> None:
        cid = frame["conversation_id"]
        conv = await self.desk.conv(cid)
        if not (self.is_admin or conv["state"] is State.QUEUED or conv.get("agent") == self.username):
            raise errors.Forbidden("you can add notes to queued conversations and your own")
        msg = {"sender": "note", "text": frame["text"], "client_id": frame["client_id"],
               "agent": self.username, "agent_name": self.user["display_name"]}
        seq, _, _ = await self.store.append(cid, msg, dedupe=f"a:{self.username}:{frame['client_id']}")
        await self.send(protocol.ack(frame["client_id"], seq))

    async def on_typing(self, frame: dict[str, Any]) -> None:
        cid = frame["conversation_id"]
        conv = await self.desk.conv(cid)
        if conv.get("agent") != self.username or conv["state"] is not State.AGENT:
            raise errors.Forbidden("this conversation is not yours")
        await self.store.publish(keys.ch_conv(cid), {"kind": "typing", "sender": "agent", "on": frame["on"],
                                                     "origin": self.id})

    async def on_transfer(self, frame: dict[str, Any]) -> None:
        await self.desk.transfer(frame["conversation_id"], self.user, frame["to"], frame.get("note"))

    async def on_takeback(self, frame: dict[str, Any]) -> None:
        cid = frame["conversation_id"]
        await self.desk.takeback(cid, self.user)
        transcript = await self._watch(cid)
        await self.send(protocol.frame("claimed", conversation_id=cid, conversation=summary(await self.desk.conv(cid)),
                                       transcript=transcript))

    async def on_merge(self, frame: dict[str, Any]) -> None:
        await self.desk.merge(frame["conversation_id"], frame["from"], self.user)
        await self.send(protocol.frame("merged", conversation_id=frame["conversation_id"], **{"from": frame["from"]}))

    async def on_handback(self, frame: dict[str, Any]) -> None:
        await self.desk.handback(frame["conversation_id"], self.user)

    async def on_close(self, frame: dict[str, Any]) -> None:
        await self.desk.close(frame["conversation_id"], self.user, frame["resolution"])
