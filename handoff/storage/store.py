"""Conversations, transcripts, the queue and presence in Redis (redis.asyncio).

Every change that must not race is one Lua script (handoff/storage/lua.py); everything else is a plain command.
The transcript stream is the truth; pub/sub (published from inside the scripts, so in `seq` order) only
rings the doorbell.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import (
    BusyLoadingError,
    ClusterDownError,
    MasterDownError,
    ReadOnlyError,
    RedisClusterException,
    RedisError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.core.conversation import Transition
from handoff.core.protocol import Message, State
from handoff.reporting import metrics
from handoff.storage import keys, lua

log = logging.getLogger(__name__)
# What a Redis call can raise when the server is gone or refuses: for callers that carry on without it.
STORAGE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
# What a Redis call raises while Redis is down, restarting, or failing over (a replica not yet promoted
# refuses writes; a cluster slot without its primary is down): try again soon, nothing was done.
UNREACHABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, ClusterDownError,
                                            TryAgainError, MasterDownError, BusyLoadingError, OSError)
ALONE_RECHECK_S = 5.0  # a primary without replicas: how long acks skip WAIT before it is asked again
CLOSED_MAX = 500  # rows of one agent's closed conversations returned for one day
TRANSITION_GRACE_MS = 5_000  # a transition begun this long ago without its desk step is finished by the sweep


def new_client(url: str) -> aioredis.Redis:
    """A client for `url` that has not connected yet: it opens connections on first use, in the event loop
    that uses it, so it can be built before the server's loop runs (wait_until_reachable checks it)."""
    return aioredis.from_url(url, decode_responses=True, health_check_interval=30)


async def connect(url: str, retries: int = 5, delay_s: float = 0.5) -> aioredis.Redis:
    """A client that has answered PING; bounded retries, then a loud failure naming the host."""
    client = new_client(url)
    await wait_until_reachable(client, retries, delay_s)
    return client


async def wait_until_reachable(client: aioredis.Redis, retries: int = 5, delay_s: float = 0.5) -> None:
    """Until `client` answers PING; bounded retries, then close it and fail loudly (errors.Unavailable)."""
    for attempt in range(1, retries + 1):
        try:
            await client.ping()
            return
        except (RedisConnectionError, RedisClusterException, OSError) as exc:
            log.warning("redis not reachable (attempt %d/%d): %s", attempt, retries, type(exc).__name__)
            if attempt == retries:
                await client.close()
                raise errors.Unavailable("Redis is not reachable") from exc
            await asyncio.sleep(delay_s * attempt)
    raise AssertionError("unreachable")


async def warn_if_old_keys(client: aioredis.Redis) -> None:
    """A desk's Redis written before the hash tags (keys.py) still has `tandem:users`: say how to rename."""
    try:
        # One key per call: the two old names hash to different slots of a cluster.
        if await client.exists(keys.PREFIX + "users") or await client.exists(keys.PREFIX + "queue"):
            log.error("this Redis holds keys without hash tags (written before Redis Cluster support): stop the "
                      "desk and run `python -m scripts.migrate_keys` once (docs/deploy.md)")
    except STORAGE_ERRORS:
        pass


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Applied:
    """What a transition did: the system note's seq, and what the conversation was before."""

    note_seq: int
    old_state: State
    old_agent: str
    position: int
    queued_at: int


_ERRORS = {
    "not_found": lambda: errors.NotFound("conversation not found"),
    "bad_state": lambda: errors.BadState("not allowed in the conversation's current state"),
    "forbidden": lambda: errors.Forbidden("this conversation is assigned to another agent"),
    "conflict": lambda: errors.Conflict("another agent has already claimed this conversation"),
    "over_capacity": lambda: errors.OverCapacity("that agent has no free chat slot"),
}


Echo = Callable[[str, str], None]  # (channel, raw event JSON): Hub.echo


def _note(t: Transition) -> dict[str, Any]:
    """A transition's system note as stored: who took the conversation (a claim or transfer) stays with it,
    for the per-agent figures (handoff/reporting/analytics.py); customers never see `agent`."""
    assert t.note is not None
    note = {**t.note.message(), "ts": now_ms()}
    if t.new_agent:
        note["agent"] = t.new_agent
    if "reason" in t.fields:  # an escalation's queued note keeps its own reason kind (analytics.facts)
        note["reason"] = str(json.loads(t.fields["reason"]).get("kind") or "")
    return note


class Store:
    def __init__(self, client: aioredis.Redis, conversation_ttl_s: int = 30 * 24 * 3600, *, wait_replicas: int = 0,
                 wait_timeout_ms: int = 500) -> None:
        self.r = client
        self.ttl = conversation_ttl_s
        # A message is acknowledged only once `wait_replicas` replicas have it (WAIT): with asynchronous
        # replication a primary that dies right after an ack may take the message with it (docs/deploy.md).
        self.wait_replicas, self.wait_timeout_ms = wait_replicas, wait_timeout_ms
        self._alone_until = 0.0  # monotonic time until which the primary is known to have no replica at all
        self._append = client.register_script(lua.APPEND)
        self._transition_begin = client.register_script(lua.TRANSITION_BEGIN)
        self._transition = client.register_script(lua.TRANSITION)
        self._transition_desk = client.register_script(lua.TRANSITION_DESK)
        self._rate = client.register_script(lua.RATE)
        self._end_turn = client.register_script(lua.END_TURN)
        self._take_stale_turn = client.register_script(lua.TAKE_STALE_TURN)
        self._adopt_customer = client.register_script(lua.ADOPT_CUSTOMER)
        # On Redis Cluster (handoff/storage/cluster.py) publishing is SPUBLISH, and what must run on one
        # connection (a script then WAIT, a pipeline of scripts) runs on a plain client to the slot's primary.
        self.cluster = bool(getattr(client, "is_cluster", False))
        self._publish_command = "SPUBLISH" if self.cluster else "PUBLISH"

    async def _node(self, key: str) -> Any:
        """The client whose one connection reaches the primary of `key`'s slot: the client itself on one Redis."""
        return await self.r.node_for(key) if self.cluster else self.r

    def _stale_on(self, exc: BaseException) -> None:
        """A node call failed: on a cluster the slot map may be out of date (a failover), read it again."""
        if self.cluster:
            self.r.mark_stale()

    # ------------------------------------------------------------ conversations

    async def create_conversation(self, customer: dict[str, Any] | None, locale: str | None) -> tuple[str, str]:
        """A new conversation in bot mode; returns (id, token). Only the token's hash is stored."""
        cid, token = uuid.uuid4().hex, secrets.token_urlsafe(32)
        now = now_ms()
        mapping = {"state": State.BOT.value, "token_hash": _hash_token(token), "seq": 0, "created": now,
                   "updated": now, "customer": _json(customer or {}), "locale": locale or ""}
        async with self.r.pipeline(transaction=True) as p:
            p.hset(keys.conv(cid), mapping=mapping)
            p.expire(keys.conv(cid), self.ttl)
            await p.execute()
        await self._mark_live(customer or {}, cid)
        return cid, token

    async def _mark_live(self, customer: dict[str, Any], conversation_id: str) -> None:
        """A signed-in customer's open conversation (keys.customer_live): the console flags a second one.
        History.index takes it out when it closes."""
        if not customer.get("customer_id"):
            return
        key = keys.customer_live(str(customer["customer_id"]))
        async with self.r.pipeline(transaction=False) as p:
            p.sadd(key, conversation_id)
            p.expire(key, self.ttl)
            await p.execute()

    async def adopt_customer(self, conversation_id: str, customer: dict[str, Any]) -> dict[str, Any]:
        """Set a conversation's (verified) customer if it has none yet; returns the customer it has now
        (a conversation that already knows its customer keeps it). NotFound when it is gone."""
        raw = await self._adopt_customer(keys=[keys.conv(conversation_id)], args=[_json(customer)])
        if raw is None:
            raise errors.NotFound("conversation not found or expired; start a new one")
        adopted = dict(json.loads(raw))
        await self._mark_live(adopted, conversation_id)
        return adopted

    async def count_new_chat(self, ip: str, window_s: int) -> tuple[int, int]:
        """Count one more conversation opened from `ip` in its current window: (count, ms left in it)."""
        key = keys.NEW_CHATS_PREFIX_IP + ip
        async with self.r.pipeline(transaction=True) as p:
            p.set(key, 0, ex=window_s, nx=True)
            p.incr(key)
            p.pttl(key)
            _, count, left = await p.execute()
        return int(count), max(int(left), 0)

    async def mark_sent(self, conversation_id: str, reader: str, seq: int) -> None:
        """Remember the highest seq sent to `reader` (a transport whose client keeps no seq of its own)."""
        await self.r.set(keys.sent(conversation_id, reader), seq, ex=self.ttl)

    async def last_sent(self, conversation_id: str, reader: str) -> int:
        raw = await self.r.get(keys.sent(conversation_id, reader))
        return int(raw) if raw else 0

    async def get(self, conversation_id: str) -> dict[str, Any] | None:
        raw = await self.r.hgetall(keys.conv(conversation_id))
        return _decode_conv(conversation_id, raw) if raw else None

    async def authenticate(self, conversation_id: str, token: str) -> dict[str, Any]:
        conv = await self.get(conversation_id)
        if conv is None:
            raise errors.NotFound("conversation not found or expired; start a new one")
        if not hmac.compare_digest(conv.pop("token_hash", ""), _hash_token(token)):
            raise errors.Unauthorized("the conversation token does not match")
        return conv

    async def append(self, conversation_id: str, msg: Message, *, dedupe: str | None = None,
                     states: tuple[State, ...] = (), agent: str | None = None, needs_turn: bool = False,
                     echo: Echo | None = None) -> tuple[int, bool, State]:
        """Store one message; returns (seq, was_duplicate, state at the time). Stored before any ack.
        `needs_turn`: a customer message the bot owes an answer to (in bot mode): its turn is marked
        pending and the bot's "typing" announced with it. `echo`: also hand the published event to this
        instance's listeners at once (Hub.echo)."""
        msg = dict(msg)  # type: ignore[assignment]
        msg.setdefault("ts", now_ms())
        body, channel = _json(msg), keys.ch_conv(conversation_id)
        call = lua.append_call(conversation_id, message=body, dedupe=dedupe, states=[s.value for s in states],
                               agent=agent, ttl_s=self.ttl, now=now_ms(), needs_turn=needs_turn)
        if not self.wait_replicas or time.monotonic() < self._alone_until:
            res = await self._append(**call.kwargs())
        else:
            res = await self._append_replicated(call)
        return self._appended(res, msg, body, channel, echo)

    async def _append_replicated(self, call: lua.ScriptCall) -> list[Any]:
        """APPEND, then WAIT on the same connection (WAIT counts the replicas that have this connection's
        writes) in one round trip. Short of `wait_replicas` the message is kept but not acknowledged
        (errors.Unavailable): the client sends it again with its client_id, and the retry (a duplicate,
        stored once) waits again."""
        node = await self._node(call.keys[0])
        try:
            async with node.pipeline(transaction=False) as p:
                await self._append(**call.kwargs(), client=p)
                p.execute_command("WAIT", self.wait_replicas, self.wait_timeout_ms)
                res, replicas = await p.execute()
        except (RedisError, OSError) as exc:
            self._stale_on(exc)
            raise
        if res[0] != "err" and int(replicas) < self.wait_replicas:
            if await self._replicas_connected(node) == 0:
                # No replica at all (the only one was just promoted, or is down): waiting cannot help, and
                # refusing would stop the desk. Acknowledged on the primary alone until one is back.
                self._alone_until = time.monotonic() + ALONE_RECHECK_S
                log.warning("the Redis primary has no replica: acknowledging on the primary alone for %.0f s",
                            ALONE_RECHECK_S)
                return list(res)
            log.warning("a message reached %s of %d replica(s) within %d ms; not acknowledged", replicas,
                        self.wait_replicas, self.wait_timeout_ms)
            raise errors.Unavailable("the message is not yet safe on a replica; it will be sent again",
                                     retry_after_ms=1000)
        return list(res)

    async def _replicas_connected(self, node: Any) -> int:
        info = await node.info("replication")
        return int(info.get("connected_slaves", 0))

    @staticmethod
    def _appended(res: list[Any], msg: Message, body: str, channel: str, echo: Echo | None) -> tuple[int, bool, State]:
        """APPEND's reply as (seq, was_duplicate, state); raises its error; echoes what it published."""
        if res[0] == "err":
            raise _ERRORS[res[1]]()
        if res[0] == "ok":
            metrics.record_message(msg["sender"])
            if echo is not None:
                echo(channel, f'{{"kind":"msg","seq":{int(res[1])},"m":{body}}}')  # what APPEND published
        return int(res[1]), res[0] == "dup", State(res[2])

    async def reply(self, conversation_id: str, seq: int, msgs: list[Message], states: tuple[State, ...],
                    event: dict[str, Any], echo: Echo | None = None) -> int:
        """The bot's answer to message `seq` and the end of its turn (`end_turn` with `event`) in one
        round trip: a customer's wait for the answer pays for one network hop, not one per message.
        Each message is stored only in `states`; returns how many were stored before one was refused
        (BadState: a person took over meanwhile, and the bot stays silent from there on)."""
        stamped = [{**m, "ts": m.get("ts") or now_ms()} for m in msgs]
        bodies, channel, raw = [_json(m) for m in stamped], keys.ch_conv(conversation_id), _json(event)
        node = await self._node(keys.conv(conversation_id))
        try:
            results = await self._reply_on(node, conversation_id, seq, bodies, states, raw)
        except (RedisError, OSError) as exc:
            self._stale_on(exc)
            raise
        stored = 0
        try:
            for res, msg, body in zip(results, stamped, bodies):
                try:
                    self._appended(res, msg, body, channel, echo)  # type: ignore[arg-type]
                except errors.BadState:
                    break
                stored += 1
        finally:
            if echo is not None:
                echo(channel, raw)  # the turn ended whatever the messages met: "typing" goes off
        return stored

    async def _reply_on(self, node: Any, conversation_id: str, seq: int, bodies: list[str],
                        states: tuple[State, ...], raw: str) -> list[Any]:
        async with node.pipeline(transaction=False) as p:
            for body in bodies:
                await self._append(**lua.append_call(conversation_id, message=body, dedupe=None,
                                                     states=[s.value for s in states], agent=None, ttl_s=self.ttl,
                                                     now=now_ms(), needs_turn=False).kwargs(), client=p)
            await self._end_turn(**lua.end_turn_call(conversation_id, seq=seq, event=raw).kwargs(), client=p)
            return list(await p.execute())

    async def end_turn(self, conversation_id: str, seq: int, event: dict[str, Any] | None = None,
                       echo: Echo | None = None) -> None:
        """Clear the pending-turn marker of message `seq`; then publish `event` on the conversation."""
        raw = _json(event) if event is not None else None
        await self._end_turn(**lua.end_turn_call(conversation_id, seq=seq, event=raw).kwargs())
        if raw is not None and echo is not None:
            echo(keys.ch_conv(conversation_id), raw)

    async def take_stale_turn(self, conversation_id: str, grace_ms: int) -> int:
        """Seq of a bot turn left pending longer than `grace_ms` (its instance died), now ours to answer;
        0 if none is pending; -N: one is pending but may still be answered, ask again in N ms."""
        return int(await self._take_stale_turn(**lua.take_stale_turn_call(conversation_id, now=now_ms(),
                                                                          grace_ms=grace_ms).kwargs()))

    async def read_log(self, conversation_id: str, after_seq: int = 0, count: int = 1000,
                       with_nlu: bool = False) -> list[Message]:
        """Messages with seq > after_seq, in order."""
        entries = await self.r.xrange(keys.log(conversation_id), min=f"{after_seq + 1}-0", count=count)
        out: list[Message] = []
        for entry_id, fields in entries:
            msg = json.loads(fields["m"])
            msg["seq"] = int(entry_id.split("-", 1)[0])
            out.append(msg)
        if with_nlu:
            seqs = [str(m["seq"]) for m in out if m.get("sender") == "customer" and "emotions" not in m]
            if seqs:
                found = await self.r.hmget(keys.nlu(conversation_id), seqs)
                annotations = {int(s): json.loads(a) for s, a in zip(seqs, found) if a}
                for m in out:
                    m.update(annotations.get(m["seq"], {}))  # type: ignore[typeddict-item]
        return out

    async def annotate(self, conversation_id: str, seq: int, annotation: dict[str, Any],
                       fields: dict[str, Any] | None = None) -> None:
        """Emotion/intent of a customer message known after NLU ran; agents get an `annotation`.
        `fields` go to the conversation's hash in the same round trip (its latest negativity, say)."""
        async with self.r.pipeline(transaction=False) as p:
            p.hset(keys.nlu(conversation_id), str(seq), _json(annotation))
            p.expire(keys.nlu(conversation_id), self.ttl)
            if fields:
                p.hset(keys.conv(conversation_id), mapping=_flat_fields(fields))
            p.execute_command(self._publish_command, keys.ch_conv(conversation_id),
                              _json({"kind": "annotation", "seq": seq, **annotation}))
            await p.execute()

    async def update_fields(self, conversation_id: str, fields: dict[str, Any]) -> None:
        await self.r.hset(keys.conv(conversation_id), mapping=_flat_fields(fields))

    async def apply(self, conversation_id: str, t: Transition, state_event: dict[str, Any],
                    also_publish: tuple[str, dict[str, Any]] | None = None) -> Applied:
        """Apply a Transition; raises Conflict/BadState/Forbidden/OverCapacity/NotFound.
        `also_publish`: (channel, event) published once the queue and the agents' sets say so, after the state
        event; a value equal to lua.POSITION_SLOT becomes the conversation's queue position.

        Three scripts, each in one slot (lua.TRANSITION_BEGIN, TRANSITION, TRANSITION_DESK): the begin step
        notes the transition and reserves the agent's slot, the conversation's step decides, the desk step
        makes the queue and the agents' sets follow. A crash after the decision is finished by
        `finish_transitions` (every instance's sweep), and a refused transition's reservation given back."""
        extra = (also_publish[0], _json(also_publish[1])) if also_publish else None
        reserve = t.new_agent if t.check_capacity and t.new_agent else None
        begun = await self._transition_begin(**lua.transition_begin_call(
            conversation_id, token=uuid.uuid4().hex[:12], now=now_ms(), reserve_for=reserve).kwargs())
        if begun[0] == "err":
            if begun[1] == "not_found":
                raise errors.NotFound("no such agent")
            raise _ERRORS[begun[1]]()
        member = begun[1]
        reserved = reserve if member.count(" ") == 2 else ""
        res = await self._transition(**lua.transition_call(
            conversation_id, action=t.action, from_states=[s.value for s in t.from_states], to_state=t.to.value,
            require_agent=t.require_agent, new_agent=t.new_agent, new_agent_name=t.new_agent_name,
            queue_op=t.queue, rank=t.rank, note=_json(_note(t)) if t.note else None, now=now_ms(), ttl_s=self.ttl,
            state_event=_json({"kind": "state", **state_event}), fields=t.fields).kwargs())
        if res[0] == "err":
            await self._desk_step(conversation_id, 0, "", "", "", member, reserved or "")
            raise _ERRORS[res[1]]()
        if t.note:
            metrics.record_message("system")
        position = 0
        try:
            position = await self._desk_step(conversation_id, int(res[5]), res[6], res[7], res[8], member,
                                             reserved or "", extra)
        except UNREACHABLE:
            # Decided, and the decision stands: the sweep finishes the queue and the agents' sets.
            log.warning("a transition's desk step failed; the sweep will finish it")
        return Applied(int(res[1]), State(res[2]), res[3], position, int(res[4] or 0))

    async def _desk_step(self, conversation_id: str, version: int, agent: str, queue_rank: str, agents: str,
                         member: str, reserved: str, extra: tuple[str, str] | None = None) -> int:
        """TRANSITION_DESK; returns the queue position (0: not queued, or a newer version was there first)."""
        done = await self._transition_desk(**lua.transition_desk_call(
            conversation_id, version=version, agent=agent, queue_rank=queue_rank, agents=agents, member=member,
            reserved=reserved, ttl_s=self.ttl, also_publish=extra).kwargs())
        return int(done[1])

    async def finish_transitions(self, older_than_ms: int = TRANSITION_GRACE_MS) -> int:
        """The repair path of the split transition: every transition begun more than `older_than_ms` ago whose
        desk step never ran (its instance died in between, or Redis failed over) is finished from what the
        conversation's hash says now (fenced by its version: a newer one already applied wins), and a slot
        reserved for a claim the conversation did not take is given back. Returns how many were found."""
        due = await self.r.zrangebyscore(keys.TRANSITIONS, "-inf", now_ms() - older_than_ms, start=0, num=500)
        for member in due:
            cid, _, rest = member.partition(" ")
            reserved = rest.partition(" ")[2]
            ver, agent, queue_rank, agents = await self.r.hmget(keys.conv(cid), "ver", "agent", "queue_rank",
                                                                "agents")
            await self._desk_step(cid, int(ver or 0), agent or "", queue_rank or "", agents or "", member, reserved)
        if due:
            log.info("finished %d interrupted transition(s)", len(due))
        return len(due)

    async def record_closed(self, username: str, conversation_id: str, closed_ms: int) -> None:
        """Index of who closed what and when, for the console's "closed today" (keys.agent_closed)."""
        key = keys.agent_closed(username)
        async with self.r.pipeline(transaction=False) as p:
            p.zadd(key, {conversation_id: closed_ms})
            p.zremrangebyscore(key, "-inf", closed_ms - self.ttl * 1000)
            p.expire(key, self.ttl)
            await p.execute()

    async def rate(self, conversation_id: str, score: int, comment: str) -> str:
        """Store a rating once; returns the username of the agent who handled the chat ('' if none)."""
        now = now_ms()
        res = await self._rate(**lua.rate_call(conversation_id, score=score, comment=comment, now=now).kwargs())
        if res[0] == "err":
            if res[1] == "conflict":
                raise errors.Conflict("this conversation has already been rated")
            raise _ERRORS[res[1]]()
        # The desk's stream of ratings (another slot): written once the conversation has taken the rating.
        await self.r.xadd(keys.RATINGS, {"conversation_id": conversation_id, "score": score, "comment": comment,
                                         "agent": res[1], "ts": now}, maxlen=100_000, approximate=True)
        return res[1]

    async def add_callback(self, conversation_id: str, customer: dict[str, Any], seq: int) -> None:
        await self.r.xadd(keys.CALLBACKS, {"conversation_id": conversation_id, "seq": seq, "ts": now_ms(),
                                           "customer_id": str(customer.get("customer_id", ""))},
                          maxlen=100_000, approximate=True)

    async def closed_conversations(self, username: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Rows for the console's "closed today" table, newest first; expired conversations are skipped."""
        found = await self.r.zrevrangebyscore(keys.agent_closed(username), f"({end_ms}", start_ms,
                                              start=0, num=CLOSED_MAX, withscores=True)
        if not found:
            return []
        async with self.r.pipeline(transaction=False) as p:
            for cid, _ in found:
                p.hmget(keys.conv(cid), *CLOSED_ROW_FIELDS)
            rows = await p.execute()
        out = [closed_row(cid, int(closed_at), fields) for (cid, closed_at), fields in zip(found, rows)]
        return [row for row in out if row is not None]

    # ------------------------------------------------------------ queue

    async def queue_position(self, conversation_id: str) -> int | None:
        rank = await self.r.zrank(keys.QUEUE, conversation_id)
        if rank is not None:
            return rank + 1
        # The split transition's window (lua.TRANSITION_DESK): queued by its own hash, which the customer's
        # state event already said, while the queue has yet to take it: the position it is taking.
        pending = await self.r.hget(keys.conv(conversation_id), "queue_rank")
        return None if pending is None else await self.queue_position_for_rank(float(pending))

    async def queue_position_for_rank(self, rank: float) -> int:
        """The position a conversation entering the queue with `rank` would take (a forecast for its notice;
        the state frame that follows carries the position the queue really gave it)."""
        return int(await self.r.zcount(keys.QUEUE, "-inf", rank)) + 1

    async def queue_items(self) -> list[dict[str, Any]]:
        ids = await self.r.zrange(keys.QUEUE, 0, -1)
        if not ids:
            return []
        async with self.r.pipeline(transaction=False) as p:
            for cid in ids:
                p.hgetall(keys.conv(cid))
            raws = await p.execute()
        items = []
        for position, (cid, raw) in enumerate(zip(ids, raws), start=1):
            if raw:
                items.append(queue_item(_decode_conv(cid, raw), position))
        return items

    async def record_wait(self, waited_ms: int) -> None:
        async with self.r.pipeline(transaction=False) as p:
            p.lpush(keys.WAITS, waited_ms)
            p.ltrim(keys.WAITS, 0, keys.WAITS_KEPT - 1)
            await p.execute()

    async def recent_waits(self) -> list[int]:
        return [int(x) for x in await self.r.lrange(keys.WAITS, 0, -1)]

    # ------------------------------------------------------------ presence

    async def set_presence(self, username: str, status: str) -> None:
        await self.r.hset(keys.PRESENCE, username, status)

    async def presence(self, username: str) -> str:
        """The status the agent chose (online / away); online until they chose one."""
        return await self.r.hget(keys.PRESENCE, username) or "online"

    async def last_seen(self, username: str) -> int | None:
        """When (ms) a socket of the agent's was last alive, or None if never."""
        seen = await self.r.hget(keys.PRESENCE_SEEN, username)
        return None if seen is None else int(seen)

    async def heartbeat(self, username: str, conn_id: str) -> None:
        now = now_ms()
        async with self.r.pipeline(transaction=False) as p:
            p.zadd(keys.PRESENCE_CONNS, {f"{username} {conn_id}": now + keys.PRESENCE_TTL_MS})
            p.hset(keys.PRESENCE_SEEN, username, now)
            await p.execute()

    async def drop_connection(self, username: str, conn_id: str) -> None:
        async with self.r.pipeline(transaction=False) as p:
            p.zrem(keys.PRESENCE_CONNS, f"{username} {conn_id}")
            p.hset(keys.PRESENCE_SEEN, username, now_ms())
            await p.execute()

    async def connected_agents(self) -> set[str]:
        now = now_ms()
        await self.r.zremrangebyscore(keys.PRESENCE_CONNS, "-inf", now)
        members = await self.r.zrangebyscore(keys.PRESENCE_CONNS, now, "+inf")
        return {m.split(" ", 1)[0] for m in members}

    async def agents(self) -> list[dict[str, Any]]:
        """Every agent account with status (offline when no live socket) and load."""
        users = sorted(await self.r.smembers(keys.USERS))
        live = await self.connected_agents()
        statuses = await self.r.hgetall(keys.PRESENCE)
        async with self.r.pipeline(transaction=False) as p:
            for u in users:
                p.hmget(keys.user(u), "display_name", "capacity", "role")
                p.scard(keys.agent_convs(u))
            raw = await p.execute()
        out = []
        for i, u in enumerate(users):
            (name, cap, role), active = raw[2 * i], raw[2 * i + 1]
            if name is None:
                continue
            status = statuses.get(u, "online") if u in live else "offline"
            out.append({"username": u, "display_name": name, "role": role or "agent", "status": status,
                        "active": int(active), "capacity": int(cap or 0)})
        return out

    async def online_count(self) -> int:
        return sum(1 for a in await self.agents() if a["status"] == "online")

    async def assigned_ids(self, username: str) -> set[str]:
        """Ids in the agent's set of assigned conversations (may name some that moved on or expired)."""
        return set(await self.r.smembers(keys.agent_convs(username)))

    async def unassign(self, username: str, conversation_id: str) -> None:
        """Drop a stale entry from the agent's set (the conversation is no longer theirs)."""
        await self.r.srem(keys.agent_convs(username), conversation_id)

    async def agent_conversations(self, username: str) -> list[dict[str, Any]]:
        ids = sorted(await self.r.smembers(keys.agent_convs(username)))
        out = []
        for cid in ids:
            conv = await self.get(cid)
            if conv is not None:
                out.append(summary(conv))
        return out

    # ------------------------------------------------------------ pub/sub

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        """PUBLISH on one Redis; SPUBLISH on a cluster (the channel's slot: keys.py's tags)."""
        await self.r.publish(channel, _json(event))

    # ------------------------------------------------------------ health

    async def ping(self) -> bool:
        """True when Redis answers; False on any failure (health reports it as down)."""
        try:
            return bool(await self.r.ping())
        except Exception:  # noqa: BLE001 - health reports any failure as "down"
            return False


def _flat_fields(fields: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else _json(v) for k, v in fields.items()}


def _decode_conv(cid: str, raw: dict[str, str]) -> dict[str, Any]:
    conv: dict[str, Any] = {"conversation_id": cid, **raw}
    for k in ("customer", "reason", "context"):
        conv[k] = json.loads(raw[k]) if raw.get(k) else {}
    for k in ("seq", "created", "updated", "queued_at", "rating"):
        if raw.get(k):
            conv[k] = int(raw[k])
    conv["priority"] = float(raw.get("priority") or 0.0)
    conv["state"] = State(raw.get("state", "bot"))
    conv["negativity"] = float(raw.get("negativity") or 0.0)
    return conv


CLOSED_ROW_FIELDS = ("customer", "reason", "resolution", "emotion", "negativity", "rating", "rating_comment",
                     "last_agent", "closed_by")


def closed_row(cid: str, closed_at: int, fields: list[str | None]) -> dict[str, Any] | None:
    """A row of a list of closed conversations from the conversation's CLOSED_ROW_FIELDS; None once the
    conversation itself has expired."""
    customer, reason, resolution, emotion, negativity, rating, comment, last_agent, closed_by = fields
    if customer is None and resolution is None:
        return None
    cust = json.loads(customer) if customer else {}
    row: dict[str, Any] = {
        "conversation_id": cid,
        "closed_at": closed_at,
        "customer": {k: cust[k] for k in ("name", "customer_id") if k in cust},
        "reason": json.loads(reason) if reason else {},
        "resolution": resolution or None,
        "emotion": {"label": emotion or "neutral", "negativity": float(negativity or 0.0)},
        "agent": last_agent or closed_by or None,  # who had it last (an admin may have closed it)
    }
    if rating:
        row["rating"] = {"score": int(rating), "comment": comment or None}
    return row


def summary(conv: dict[str, Any]) -> dict[str, Any]:
    """ConversationSummary of docs/protocol.md."""
    out = {"conversation_id": conv["conversation_id"], "state": conv["state"].value,
           "agent": conv.get("agent") or None, "agent_name": conv.get("agent_name") or None,
           "customer": conv.get("customer") or {}, "reason": conv.get("reason") or {},
           "priority": conv.get("priority", 0.0), "last_seq": conv.get("seq", 0),
           "created": conv.get("created"), "queued_at": conv.get("queued_at")}
    return {k: v for k, v in out.items() if v is not None}


def queue_item(conv: dict[str, Any], position: int) -> dict[str, Any]:
    """QueueItem of docs/protocol.md; the customer's cards stay out of the queue list."""
    customer = conv.get("customer") or {}
    return {
        "conversation_id": conv["conversation_id"],
        "customer": {k: customer[k] for k in ("name", "customer_id") if k in customer},
        "reason": conv.get("reason") or {},
        "priority": conv.get("priority", 0.0),
        "emotion": {"label": conv.get("emotion") or "neutral", "negativity": conv.get("negativity", 0.0)},
        "waiting_since": conv.get("queued_at") or conv.get("created"),
        "position": position,
    }
