"""The desk's operations, shared by both sockets: escalate, claim, transfer, hand back, close, rate.

Each one asks the pure state machine (conversation.py) what should happen, lets the store apply it
atomically, then rings the right pub/sub doorbells so every socket on every instance hears of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.escalation.kinds import Kind
from bot.escalation.signals import Thresholds
from handoff.accounts.auth import Accounts
from handoff.admin.inbox import HANDOVER_FOR_FAILURE, Inbox
from handoff.assist.service import Assist
from handoff.assistant.bot_bridge import BotBridge, annotation, emotion_label
from handoff.assistant.policy_reading import hash_emotion, load_thresholds, reading
from handoff.core import conversation as sm
from handoff.core import errors, opening_hours
from handoff.core.clock import now_ms
from handoff.core.conversation import Snapshot
from handoff.core.protocol import State
from handoff.reporting import metrics
from handoff.settings import Settings, SettingsError
from handoff.storage import keys, lua
from handoff.storage.history import History
from handoff.storage.store import Applied, Store, queue_item

log = logging.getLogger(__name__)


def snapshot(conv: dict[str, Any]) -> Snapshot:
    return Snapshot(State(conv["state"]), conv.get("agent") or None, conv.get("agent_name") or None,
                    "rating" in conv)


class Desk:
    def __init__(self, settings: Settings, store: Store, accounts: Accounts, bot: BotBridge, inbox: Inbox,
                 history: History | None = None, assist: Assist | None = None) -> None:
        # Its own collaborators, not a way to them: callers are given what they need by the composition root.
        self._settings, self._store, self._accounts, self._bot = settings, store, accounts, bot
        self._inbox = inbox  # admin NLU inbox: what the bot was unsure of (handoff/admin/inbox.py)
        self._history = history  # closed conversations for the console's search (None: not indexed)
        self._thresholds: Thresholds | None = None  # the escalation policy's, read at the first annotation
        self._work: dict[str, asyncio.Queue[Callable[[], Awaitable[None]]]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._load_cache: tuple[float, int, list[int]] | None = None
        try:
            self._hours = opening_hours.parse(settings.opening_hours, settings.opening_timezone,
                                              settings.opening_holidays)
        except opening_hours.OpeningHoursError as exc:  # at start-up, naming the settings to fix
            raise SettingsError(f"setting OPENING_HOURS / OPENING_TIMEZONE / OPENING_HOLIDAYS: {exc}") from None
        self._assist = assist  # a chat that closed well teaches the drafts (handoff/assist/service.py)

    # ------------------------------------------------------------ per-conversation work, in order

    def submit(self, conversation_id: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` after the earlier jobs of the same conversation (on this instance), off any socket."""
        queue = self._work.get(conversation_id)
        if queue is None:
            queue = self._work[conversation_id] = asyncio.Queue()
            self.background(self._drain(conversation_id, queue))
        queue.put_nowait(job)

    def background(self, job: Awaitable[None]) -> None:
        """Run `job` on its own (not in a conversation's line), cancelled with the desk."""
        task = asyncio.ensure_future(job)
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)

    async def _drain(self, conversation_id: str, queue: asyncio.Queue[Callable[[], Awaitable[None]]]) -> None:
        try:
            while not queue.empty():
                job = queue.get_nowait()
                try:
                    await job()
                except Exception:
                    log.exception("processing a message of conversation %s failed", conversation_id)
        finally:
            self._work.pop(conversation_id, None)  # no await since the last empty(): nothing can slip in

    async def turns_done(self, timeout_s: float) -> bool:
        """Wait while any conversation's jobs (its bot turns) are queued or running here, at most `timeout_s`
        (a draining instance lets them finish: handoff/gateway/drain.py). True when none is left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._work and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return not self._work

    async def stop(self) -> None:
        for task in list(self._workers):
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def conv(self, conversation_id: str) -> dict[str, Any]:
        conv = await self._store.get(conversation_id)
        if conv is None:
            raise errors.NotFound("conversation not found")
        return conv

    # ------------------------------------------------------------ doorbells

    async def queue_changed(self) -> None:
        await self._store.publish(keys.CH_AGENTS, {"kind": "queue", "items": await self._store.queue_items()})
        await self._store.publish(keys.CH_QUEUE_POSITIONS, {"kind": "queue"})

    async def agents_changed(self) -> None:
        await self._store.publish(keys.CH_AGENTS, {"kind": "agents", "items": await self._store.agents()})

    async def queue_info(self, conversation_id: str, fresh: bool = False) -> dict[str, Any]:
        """queue_position, agents_online, and for a queued conversation: estimated_wait_s only while someone
        is online (no estimate from nobody), opens_at (ms) while the desk is outside its opening hours."""
        position = await self._store.queue_position(conversation_id)
        online, waits = await self._desk_load(fresh)
        if position is None:
            return {"agents_online": online}
        info: dict[str, Any] = {"queue_position": position, "agents_online": online}
        if online > 0:
            info["estimated_wait_s"] = sm.estimate_wait_s(position, waits, online, self._settings.default_wait_s)
        opens_at = self._hours.next_opening_ms(now_ms())
        if opens_at is not None:
            info["opens_at"] = opens_at
        return info

    def back_when(self, opens_at: int | None) -> str | None:
        """"tomorrow at 08:00" for a queued notice, in the desk's time zone (None: no opening to name)."""
        return None if opens_at is None else opening_hours.describe_opening(opens_at, now_ms(), self._hours.zone)

    async def _desk_load(self, fresh: bool = False) -> tuple[int, list[int]]:
        """(agents online, recent waits), cached for a second: a queue change makes every queued customer
        on this instance ask at once, and the answer is the same for all of them."""
        now = asyncio.get_running_loop().time()
        if fresh or self._load_cache is None or now - self._load_cache[0] > 1.0:
            self._load_cache = (now, await self._store.online_count(), await self._store.recent_waits())
        return self._load_cache[1], self._load_cache[2]

    # ------------------------------------------------------------ customer side

    async def annotate(self, conversation_id: str, seq: int, parse_data: dict[str, Any]) -> dict[str, Any]:
        """The message's intent and emotions for agents, with the escalation policy's reading of it
        (handoff/assistant/policy_reading.py); the conversation's negativity and emotion are that reading's, so the
        queue, the header and the escalation score tell the same story."""
        note = annotation(parse_data)
        fields = {"negativity": str(note["negativity"]), "emotion": emotion_label(note)}
        if parse_data.get("text"):
            if self._thresholds is None:
                self._thresholds = load_thresholds(Path(self._settings.project_root) / self._settings.retrain_config)
            note["reading"] = read = reading(parse_data, self._thresholds)
            fields = {"negativity": str(read["negativity"]), "emotion": hash_emotion(read)}
        await self._store.annotate(conversation_id, seq, note, fields)
        return note

    async def escalate(self, conversation_id: str, reason: dict[str, Any], *, paused_by_bot: bool) -> bool:
        """Bot → queued; False when the conversation was not in bot mode (already queued, say)."""
        conv = await self.conv(conversation_id)
        kind = str(reason.get("kind") or Kind.CUSTOMER_REQUEST.value)
        reason = {"kind": kind, "detail": str(reason.get("detail") or "")[:200],
                  "score": float(reason.get("score") or 0.0), "turn": int(reason.get("turn") or 0),
                  "messages": [str(m)[:500] for m in (reason.get("messages") or [])][:5]}
        priority = sm.priority_for(kind, reason["score"], conv.get("negativity", 0.0))
        now = now_ms()
        # The notice is written in the same step as the move to the queue (TRANSITION), and the agents'
        # `escalation` published in it too: an agent who claims at once can only come after both. The position
        # in the notice is forecast from the queue as it is now; the state frame carries the real one.
        rank = sm.queue_rank(priority, now)
        position = await self._store.queue_position_for_rank(rank)
        online, waits = await self._desk_load(fresh=True)  # "nobody is online" must be true
        wait = sm.estimate_wait_s(position, waits, online, self._settings.default_wait_s)
        note = sm.queued_note(position, wait, online, self.back_when(self._hours.next_opening_ms(now)))
        try:
            t = sm.escalate(snapshot(conv), reason, priority, now, note)
        except errors.BadState:
            return False
        t.fields["reason"] = json.dumps(reason)
        if kind in HANDOVER_FOR_FAILURE:
            await self._inbox.mark_handover(reason["messages"])
        item = queue_item({**conv, "reason": reason, "priority": priority, "queued_at": now}, 0)
        item["position"] = lua.POSITION_SLOT
        try:
            await self._store.apply(conversation_id, t, {"state": State.QUEUED.value},
                                    also_publish=(keys.CH_AGENTS, {"kind": "escalation", "item": item}))
        except errors.BadState:
            return False  # another tab or the bot escalated first
        metrics.record_escalation(kind)
        if not paused_by_bot and self._bot.ready:
            try:
                await self._bot.pause(conversation_id)
            except Exception:
                log.exception("could not pause the Rasa conversation %s", conversation_id)
        await self.queue_changed()
        return True

    async def callback(self, conversation_id: str, text: str) -> None:
        conv = await self.conv(conversation_id)
        sm.callback(snapshot(conv))  # friendly error before storing the text
        seq, _, _ = await self._store.append(conversation_id, {"sender": "customer", "text": text},
                                            states=(State.QUEUED,))
        await self._store.apply(conversation_id, sm.callback(snapshot(conv)), {"state": State.CLOSED.value})
        await self._store.add_callback(conversation_id, conv.get("customer") or {}, seq)
        await self._index_closed(conversation_id, now_ms())
        await self.queue_changed()

    async def end_by_customer(self, conversation_id: str) -> None:
        """The customer's own "End chat": closed from any open state; an adviser's chat counts as theirs."""
        conv = await self.conv(conversation_id)
        t = sm.end_by_customer(snapshot(conv))
        await self._store.apply(conversation_id, t, {"state": State.CLOSED.value, "resolution": "ended_by_customer",
                                                    "rating_request": True})
        if conv["state"] is State.AGENT and conv.get("agent"):
            await self._store.record_closed(conv["agent"], conversation_id, now_ms())
        if conv["state"] is State.QUEUED:
            await self.queue_changed()
        await self.agents_changed()

    async def rate(self, conversation_id: str, score: int, comment: str) -> None:
        conv = await self.conv(conversation_id)
        note = sm.check_rating(snapshot(conv))
        agent = await self._store.rate(conversation_id, score, comment)
        if self._history is not None:
            await self._history.rated(conversation_id, score)
        self._learn_from(conversation_id)
        await self._store.append(conversation_id, note.message())
        if agent:
            await self._store.publish(keys.ch_agent(agent), {"kind": "rating", "conversation_id": conversation_id,
                                                            "score": score, "comment": comment or None})

    # ------------------------------------------------------------ agent side

    async def claim(self, conversation_id: str, user: dict[str, Any]) -> Applied:
        conv = await self.conv(conversation_id)
        t = sm.claim(snapshot(conv), user["username"], user["display_name"])
        applied = await self._store.apply(conversation_id, t, {
            "state": State.AGENT.value, "agent": user["username"], "agent_name": user["display_name"]})
        if applied.queued_at:
            metrics.record_queue_wait((now_ms() - applied.queued_at) / 1000)
            await self._store.record_wait(max(0, now_ms() - applied.queued_at))
        await self.queue_changed()
        await self.agents_changed()
        return applied

    async def transfer(self, conversation_id: str, user: dict[str, Any], to: str, note: str | None = None) -> None:
        """To another online agent with a free slot; `note` (for the receiver, read first) is stored as a
        private note just before the hand-over and travels in the receiver's `assigned` frame."""
        target = await self._accounts.get(to)
        if target is None:
            raise errors.NotFound("no such agent")
        status = next((a["status"] for a in await self._store.agents() if a["username"] == to), "offline")
        if status != "online":
            raise errors.BadState(f"that agent is {status}; pick someone who is online")
        conv = await self.conv(conversation_id)
        t = sm.transfer(snapshot(conv), user["username"], to, target["display_name"], user["role"] == "admin",
                        from_name=user["display_name"])
        if note:
            await self._store.append(conversation_id, {
                "sender": "note", "text": note, "event": "transfer_note", "agent": user["username"],
                "agent_name": user["display_name"]}, states=(State.AGENT,))
        await self._store.apply(conversation_id, t, {"state": State.AGENT.value, "agent": to,
                                                    "agent_name": target["display_name"]})
        await self._store.publish(keys.ch_agent(to), {"kind": "assigned", "conversation_id": conversation_id,
                                                     "from": user["username"], "from_name": user["display_name"],
                                                     "note": note or None})
        await self.agents_changed()

    async def handback(self, conversation_id: str, user: dict[str, Any]) -> None:
        """Agent → bot. The agent who handed back keeps watching for settings.handback_watch_s and may take
        it back (takeback); the state event says who and until when."""
        conv = await self.conv(conversation_id)
        t = sm.handback(snapshot(conv), user["username"], user["role"] == "admin")
        watch = sm.handback_fields(user["username"], now_ms(), self._settings.handback_watch_s * 1000)
        t.fields.update(watch)
        if self._bot.ready:
            # Resume Rasa first: if the bot cannot take the conversation back, the agent keeps it.
            await self._bot.resume(conversation_id)
        await self._store.apply(conversation_id, t, {"state": State.BOT.value,
                                                    "handed_back_by": watch["handed_back_by"],
                                                    "watch_until": int(watch["watch_until"])})
        await self.agents_changed()

    async def takeback(self, conversation_id: str, user: dict[str, Any]) -> None:
        """Bot → agent, straight to the agent who handed the chat back, while their watch lasts."""
        conv = await self.conv(conversation_id)
        t = sm.takeback(snapshot(conv), user["username"], user["display_name"], conv.get("handed_back_by") or "",
                        int(conv.get("watch_until") or 0), now_ms(), user["role"] == "admin")
        await self._store.apply(conversation_id, t, {
            "state": State.AGENT.value, "agent": user["username"], "agent_name": user["display_name"]})
        if self._bot.ready:
            try:
                await self._bot.pause(conversation_id)
            except Exception:
                log.exception("could not pause the Rasa conversation %s", conversation_id)
        await self.agents_changed()

    async def merge(self, conversation_id: str, other_id: str, user: dict[str, Any]) -> None:
        """The same customer's other live chat (`other_id`, with the assistant or queued) into mine: its
        customer messages become a private note here, and it closes as a duplicate pointing here."""
        conv, other = await self.conv(conversation_id), await self.conv(other_id)
        if conv.get("agent") != user["username"] or conv["state"] is not State.AGENT:
            raise errors.Forbidden("merge into a chat you have")
        customer_id = (conv.get("customer") or {}).get("customer_id")
        if conversation_id == other_id or not customer_id or \
                (other.get("customer") or {}).get("customer_id") != customer_id:
            raise errors.BadState("only another chat of the same signed-in customer can be merged")
        t = sm.merge(snapshot(other), conversation_id, user["username"], user["display_name"])
        said = [m["text"] for m in await self._store.read_log(other_id, 0, count=1_000)
                if m.get("sender") == "customer" and m.get("text")]
        await self._store.apply(other_id, t, {"state": State.CLOSED.value, "resolution": "duplicate"})
        text = f"Merged from the customer's other chat ({other_id[:8]}): " + \
            (" / ".join(said[-10:]) if said else "nothing written there yet")
        await self._store.append(conversation_id, {"sender": "note", "text": text[:2000], "event": "merged",
                                                   "agent": user["username"], "agent_name": user["display_name"]})
        closed_ms = now_ms()
        await self._store.record_closed(user["username"], other_id, closed_ms)
        await self._index_closed(other_id, closed_ms)
        if other["state"] is State.QUEUED:
            await self.queue_changed()

    async def close(self, conversation_id: str, user: dict[str, Any], resolution: str) -> None:
        conv = await self.conv(conversation_id)
        was_queued = conv["state"] is State.QUEUED
        t = sm.close(snapshot(conv), user["username"], resolution, user["role"] == "admin")
        await self._store.apply(conversation_id, t, {"state": State.CLOSED.value, "resolution": resolution,
                                                    "rating_request": True})
        self._learn_from(conversation_id)  # scheduled before the next await: a socket gone now cannot cancel it
        closed_ms = now_ms()
        await self._store.record_closed(user["username"], conversation_id, closed_ms)
        await self._index_closed(conversation_id, closed_ms)
        if was_queued:
            await self.queue_changed()
        await self.agents_changed()

    async def _index_closed(self, conversation_id: str, closed_ms: int) -> None:
        """Into the history index (handoff/storage/history.py). The close has happened whatever this meets:
        a failure is logged, and the conversation still opens by its id."""
        if self._history is None:
            return
        try:
            conv = await self.conv(conversation_id)
            transcript = await self._store.read_log(conversation_id, 0, count=10_000)
            await self._history.index(conv, [dict(m) for m in transcript], closed_ms)
        except Exception:
            log.exception("could not index closed conversation %s for search", conversation_id)
    def _learn_from(self, conversation_id: str) -> None:
        """After a close or a rating: assist indexes the chat's replies if it went well (in the background)."""
        if self._assist is not None:
            assist = self._assist

            async def index() -> None:
                await assist.on_closed(conversation_id)

            self.background(index())

    async def finish_transitions(self) -> int:
        """Finish (or undo the reservation of) transitions interrupted between their steps (Store's sweep)."""
        return await self._store.finish_transitions()

    async def requeue_orphans(self, grace_ms: int) -> int:
        """Conversations of agents with no live socket for `grace_ms` go back to the queue (crash, lost laptop)."""
        moved = 0
        live = await self._store.connected_agents()
        for username in await self._accounts.usernames():
            if username in live:
                continue
            last_seen = await self._store.last_seen(username)
            if last_seen is not None and now_ms() - last_seen < grace_ms:
                continue
            for cid in await self._store.assigned_ids(username):
                conv = await self._store.get(cid)
                if conv is None or conv["state"] is not State.AGENT or conv.get("agent") != username:
                    await self._store.unassign(username, cid)
                    continue
                t = sm.requeue(snapshot(conv), username, conv.get("priority", 0.5), now_ms())
                try:
                    await self._store.apply(cid, t, {"state": State.QUEUED.value})
                except errors.TandemError:
                    continue  # claimed back or handled by another instance meanwhile
                moved += 1
        if moved:
            await self.queue_changed()
            await self.agents_changed()
        return moved
