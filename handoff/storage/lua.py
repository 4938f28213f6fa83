"""The Lua scripts that make the store's changes atomic. Each one re-checks what it depends on.

Every script touches keys of one Redis Cluster slot only (keys.py's hash tags): one conversation's, or the
desk's. Keys a script derives itself (an agent's set of conversations, from a name it reads) share the
desk tag with the keys it is given. A change that spans both, a state transition, is three scripts
(TRANSITION_BEGIN, TRANSITION, TRANSITION_DESK below). On a cluster the scripts' PUBLISH becomes SPUBLISH
(`sharded`): each channel a script publishes on hashes to the script's own slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from handoff.storage import keys

# Append one message to a conversation's transcript, idempotently.
# KEYS: conv, log, cids
# ARGV: 1 dedupe key ("" = none), 2 message JSON (without seq), 3 allowed states (csv, "" = any),
#       4 required agent ("" = none), 5 ttl s, 6 conv channel, 7 cids ttl s, 8 now ms,
#       9 "1": a customer message that the bot must answer if the conversation is in bot mode; the
#         pending-turn marker is set with it, so a crash after the ack cannot leave it unanswered, and
#         the bot's "typing" is announced
# -> {"ok", seq, state} | {"dup", seq, state} | {"err", code, state}
APPEND = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return {'err', 'not_found', ''} end
local state = redis.call('HGET', KEYS[1], 'state')
if ARGV[1] ~= '' then
  local prev = redis.call('HGET', KEYS[3], ARGV[1])
  if prev then return {'dup', tonumber(prev), state} end
end
if ARGV[3] ~= '' then
  local ok = false
  for s in string.gmatch(ARGV[3], '[^,]+') do if s == state then ok = true end end
  if not ok then return {'err', 'bad_state', state} end
end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[1], 'agent') ~= ARGV[4] then
  return {'err', 'forbidden', state}
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('XADD', KEYS[2], seq .. '-0', 'm', ARGV[2])
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[1], seq)
  redis.call('EXPIRE', KEYS[3], ARGV[7])
end
local bot_turn = ARGV[9] == '1' and state == 'bot'
redis.call('HSET', KEYS[1], 'updated', ARGV[8])
if bot_turn then redis.call('HSET', KEYS[1], 'turn_seq', seq, 'turn_at', ARGV[8]) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', ARGV[6], '{"kind":"msg","seq":' .. seq .. ',"m":' .. ARGV[2] .. '}')
if bot_turn then redis.call('PUBLISH', ARGV[6], '{"kind":"typing","sender":"bot","on":true}') end
return {'ok', seq, state}
"""

# The bot turn for customer message ARGV[1] is over (answered, failed over to a person, or abandoned
# because the state changed): clear the pending-turn marker unless a later message replaced it, then
# publish ARGV[3] on channel ARGV[2] (the bot's "typing off"), so whoever hears it sees the marker gone.
# KEYS: conv  ARGV: 1 seq, 2 channel ("" = none), 3 event JSON
END_TURN = r"""
if redis.call('HGET', KEYS[1], 'turn_seq') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'turn_seq', 'turn_at')
end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1
"""

# Give an anonymous conversation its signed customer context (a socket.io client that signs in with its
# first message, after the session was confirmed): only if it has none yet; a known customer never
# changes. KEYS: conv  ARGV: 1 customer JSON  -> the customer JSON now stored | false (no conversation)
ADOPT_CUSTOMER = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local current = redis.call('HGET', KEYS[1], 'customer')
if current and current ~= '' and current ~= '{}' then return current end
redis.call('HSET', KEYS[1], 'customer', ARGV[1])
return ARGV[1]
"""

# Take over a bot turn whose instance died: only when the marker is older than the grace period, and
# only one taker (the marker's clock restarts). KEYS: conv  ARGV: 1 now ms, 2 grace ms
# -> seq to answer now | 0 nothing pending | -ms to wait before asking again
TAKE_STALE_TURN = r"""
local seq = redis.call('HGET', KEYS[1], 'turn_seq')
if not seq then return 0 end
local age = tonumber(ARGV[1]) - tonumber(redis.call('HGET', KEYS[1], 'turn_at') or '0')
if age < tonumber(ARGV[2]) then return -(tonumber(ARGV[2]) - age) end
redis.call('HSET', KEYS[1], 'turn_at', ARGV[1])
return tonumber(seq)
"""

# A state change (conversation.Transition) runs in three steps, each one script in one slot, so that it works on
# Redis Cluster as on one Redis (docs/deploy.md "The split transition"):
#   1. TRANSITION_BEGIN (desk slot): note the transition in keys.TRANSITIONS, and for a claim or transfer reserve
#      a slot in the new agent's set (SADD under the capacity check), so capacity holds however many race;
#   2. TRANSITION (the conversation's slot): decides atomically (state, allowed, owner: exactly one claim wins)
#      and writes the conversation, its note and its events; it bumps the conversation's `ver` and keeps in the
#      hash what the desk side must look like after it: `agent`, `queue_rank` (absent: not queued) and `agents`
#      (everyone who ever had it, to be taken out of the sets of all but the current one);
#   3. TRANSITION_DESK (desk slot): makes the queue and the agents' sets say what that version says, unless a
#      newer version was applied already (keys.applied fences it), gives back a reservation the conversation
#      did not take, and forgets the note of step 1.
# A crash between the steps leaves the note of step 1: the sweep (Store.finish_transitions) reads the
# conversation's hash and runs step 3 for it, which finishes a decided transition or undoes a reservation.
# Every step is idempotent; the fence makes an older step 3 that runs late a no-op.

# KEYS: transitions zset, the new agent's account, the new agent's conversations (the last two: any desk key
#       when nothing is reserved)
# ARGV: 1 conversation id, 2 token, 3 now ms, 4 "1": reserve a slot for the agent named in ARGV[5]
# -> {"ok", member noted in the zset} | {"err", "not_found" (no such agent) | "over_capacity"}
TRANSITION_BEGIN = r"""
local member = ARGV[1] .. ' ' .. ARGV[2]
if ARGV[4] == '1' then
  local cap = redis.call('HGET', KEYS[2], 'capacity')
  if not cap then return {'err', 'not_found'} end
  if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 0 then
    if redis.call('SCARD', KEYS[3]) >= tonumber(cap) then return {'err', 'over_capacity'} end
    redis.call('SADD', KEYS[3], ARGV[1])
    member = member .. ' ' .. ARGV[5]
  end
end
redis.call('ZADD', KEYS[1], ARGV[3], member)
return {'ok', member}
"""

# KEYS: conv, log
# ARGV: 1 action, 2 allowed from-states (csv), 3 to-state, 4 required agent ("" none, "*" any),
#       5 new agent ("-" keep, "" clear), 6 new agent display name, 7 queue op ("add"/"remove"/""), 8 rank,
#       9 system note JSON ("" none), 10 now ms, 11 ttl s, 12 conv channel, 13 state event JSON,
#       14 field count, 15.. field/value pairs
# -> {"ok", note seq (0 = none), old state, old agent, queued_at, version, agent now, queue rank ("" = not
#     queued), every agent it ever had (csv)}
#  | {"err", code, state, agent}
TRANSITION = r"""
local conv, log = KEYS[1], KEYS[2]
if redis.call('EXISTS', conv) == 0 then return {'err', 'not_found', '', ''} end
local state = redis.call('HGET', conv, 'state')
local agent = redis.call('HGET', conv, 'agent') or ''
local allowed = false
for s in string.gmatch(ARGV[2], '[^,]+') do if s == state then allowed = true end end
if not allowed then
  if ARGV[1] == 'claim' and state == 'agent' then return {'err', 'conflict', state, agent} end
  return {'err', 'bad_state', state, agent}
end
if ARGV[4] ~= '' and ARGV[4] ~= '*' and agent ~= ARGV[4] then return {'err', 'forbidden', state, agent} end
local queued_at = redis.call('HGET', conv, 'queued_at') or '0'
local now_agent = agent
local agents = redis.call('HGET', conv, 'agents') or ''
if ARGV[5] ~= '-' then
  if agent ~= '' then redis.call('HSET', conv, 'last_agent', agent) end
  now_agent = ARGV[5]
  redis.call('HSET', conv, 'agent', now_agent, 'agent_name', ARGV[6])
  if now_agent ~= '' and not string.find(',' .. agents .. ',', ',' .. now_agent .. ',', 1, true) then
    agents = agents == '' and now_agent or (agents .. ',' .. now_agent)
    redis.call('HSET', conv, 'agents', agents)
  end
end
redis.call('HSET', conv, 'state', ARGV[3], 'updated', ARGV[10])
local n = tonumber(ARGV[14])
for i = 0, n - 1 do redis.call('HSET', conv, ARGV[15 + 2 * i], ARGV[16 + 2 * i]) end
if ARGV[7] == 'add' then redis.call('HSET', conv, 'queue_rank', ARGV[8])
elseif ARGV[7] == 'remove' then redis.call('HDEL', conv, 'queue_rank') end
local version = redis.call('HINCRBY', conv, 'ver', 1)
local note_seq = 0
if ARGV[9] ~= '' then
  note_seq = redis.call('HINCRBY', conv, 'seq', 1)
  redis.call('XADD', log, note_seq .. '-0', 'm', ARGV[9])
  redis.call('PUBLISH', ARGV[12], '{"kind":"msg","seq":' .. note_seq .. ',"m":' .. ARGV[9] .. '}')
end
redis.call('PUBLISH', ARGV[12], ARGV[13])
redis.call('EXPIRE', conv, ARGV[11])
redis.call('EXPIRE', log, ARGV[11])
return {'ok', note_seq, state, agent, queued_at, version, now_agent, redis.call('HGET', conv, 'queue_rank') or '',
        agents}
"""

# KEYS: transitions zset, queue, keys.applied(id)
# ARGV: 1 conversation id, 2 version (0: nothing to apply, step 2 refused or the conversation is gone),
#       3 agent now, 4 queue rank ("" = not queued), 5 every agent it ever had (csv), 6 the zset member of
#       step 1 ("" none), 7 agent whose slot step 1 reserved ("" none), 8 an agent's conversations key with
#       AGENT_SLOT for the name, 9 ttl s, then optionally 10 a channel and 11 an event JSON published last
#       (the agents' `escalation`: heard once the conversation is in the queue), POSITION_SLOT in it
#       replaced by the conversation's queue position
# -> {1 applied | 0 a newer version was applied already, queue position now (0 = not queued)}
AGENT_SLOT = "{agent}"  # where TRANSITION_DESK puts an agent's name into keys.py's key shape
POSITION_SLOT = "{position}"  # a JSON string value the extra event gets replaced by the queue position
TRANSITION_DESK = r"""
local id = ARGV[1]
local function convs_of(name) return (string.gsub(ARGV[8], '{agent}', function() return name end)) end
local version = tonumber(ARGV[2])
local applied_version, applied_agent = 0, ''
local applied = redis.call('GET', KEYS[3])
if applied then
  local sp = string.find(applied, ' ', 1, true)
  applied_version, applied_agent = tonumber(string.sub(applied, 1, sp - 1)), string.sub(applied, sp + 1)
end
local fresh = version > 0 and version > applied_version
if fresh then
  for a in string.gmatch(ARGV[5], '[^,]+') do
    if a ~= ARGV[3] then redis.call('SREM', convs_of(a), id) end
  end
  if ARGV[3] ~= '' then redis.call('SADD', convs_of(ARGV[3]), id) end
  if ARGV[4] ~= '' then redis.call('ZADD', KEYS[2], ARGV[4], id) else redis.call('ZREM', KEYS[2], id) end
  redis.call('SET', KEYS[3], version .. ' ' .. ARGV[3], 'EX', ARGV[9])
  applied_agent = ARGV[3]
end
if ARGV[7] ~= '' and ARGV[7] ~= applied_agent then redis.call('SREM', convs_of(ARGV[7]), id) end
if ARGV[6] ~= '' then redis.call('ZREM', KEYS[1], ARGV[6]) end
local position = (redis.call('ZRANK', KEYS[2], id) or -1) + 1
if ARGV[10] and ARGV[10] ~= '' then
  local event = string.gsub(ARGV[11], '"{position}"', function() return tostring(position) end)
  redis.call('PUBLISH', ARGV[10], event)
end
return {fresh and 1 or 0, position}
"""

# Record a rating once, only for a closed conversation. The desk's ratings stream is written after it, by the
# store (another slot on a cluster): a crash in between leaves the rating on the conversation only.
# KEYS: conv   ARGV: score, comment, now ms
# -> {"ok", agent} | {"err", code}
RATE = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return {'err', 'not_found'} end
if redis.call('HGET', KEYS[1], 'state') ~= 'closed' then return {'err', 'bad_state'} end
if redis.call('HEXISTS', KEYS[1], 'rating') == 1 then return {'err', 'conflict'} end
redis.call('HSET', KEYS[1], 'rating', ARGV[1], 'rating_comment', ARGV[2], 'rated_at', ARGV[3])
return {'ok', redis.call('HGET', KEYS[1], 'last_agent') or ''}
"""

# Add (or count again) one message in the admin's NLU inbox: a new item starts open; a repeat bumps the count
# and refreshes the prediction. Only open items sit in the open index; labelled/ignored ones just count (the
# admin already decided on that text). The open index is capped: the oldest open items go first.
# KEYS: item, open index
# ARGV: 1 item id, 2 text, 3 intent, 4 confidence, 5 ranking JSON, 6 reason, 7 conversation id, 8 seq,
#       9 now ms, 10 item ttl s, 11 max open items, 12 suggested intent ("" none), 13 suggested by,
#       14 item key prefix
# -> the item's status before this message
INBOX_ADD = r"""
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'text', ARGV[2], 'status', 'open', 'first_ts', ARGV[9], 'count', 0)
  status = 'open'
end
redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HSET', KEYS[1], 'intent', ARGV[3], 'confidence', ARGV[4], 'ranking', ARGV[5], 'last_ts', ARGV[9],
           'conversation_id', ARGV[7], 'seq', ARGV[8], 'r_' .. ARGV[6], '1')
if ARGV[12] ~= '' then redis.call('HSET', KEYS[1], 'suggested', ARGV[12], 'suggested_by', ARGV[13]) end
redis.call('EXPIRE', KEYS[1], ARGV[10])
if status == 'open' then
  redis.call('ZADD', KEYS[2], ARGV[9], ARGV[1])
  local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[11])
  if extra > 0 then
    local gone = redis.call('ZPOPMIN', KEYS[2], extra)
    for i = 1, #gone, 2 do redis.call('DEL', ARGV[14] .. gone[i]) end
  end
end
return status
"""

# Point every instance at a model version: set the pointer only if it still names what the caller saw (a
# stale rollback must not win a race), keep the history, ring the models channel.
# KEYS: active pointer, history
# ARGV: 1 version, 2 by, 3 now ms, 4 history entry JSON, 5 the base version's name (pointer unset),
#       6 expected current version ("" = any), 7 models channel, 8 history entries kept, 9 event JSON
# -> {"ok", previous} | {"same", current} | {"conflict", current}
ACTIVATE_MODEL = r"""
local cur = redis.call('HGET', KEYS[1], 'version') or ARGV[5]
if ARGV[6] ~= '' and cur ~= ARGV[6] then return {'conflict', cur} end
if cur == ARGV[1] then return {'same', cur} end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'previous', cur, 'by', ARGV[2], 'ts', ARGV[3])
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[8]) - 1)
redis.call('PUBLISH', ARGV[7], ARGV[9])
return {'ok', cur}
"""


# Add a conversation's good replies to the assist index once: a second close or rating of it adds nothing.
# KEYS: indexed set, index stream   ARGV: 1 conversation id, 2 entries kept, 3.. entry JSONs
# -> how many entries were added (0: already indexed)
ASSIST_INDEX = r"""
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 3, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[i])
end
return #ARGV - 2
"""


def sharded(script: str) -> str:
    """`script` for Redis Cluster: its PUBLISH as SPUBLISH (sharded pub/sub; the hub SSUBSCRIBEs there)."""
    return script.replace("redis.call('PUBLISH',", "redis.call('SPUBLISH',")


# ------------------------------------------------------------------ typed builders of each script's KEYS/ARGV
# One per script, beside it: named parameters in, KEYS and ARGV out in the order the script reads them, with
# key and channel names from keys.py. The store and the other record classes call scripts only through these.


@dataclass(frozen=True)
class ScriptCall:
    """KEYS and ARGV of one script run: `await script(**call.kwargs())`."""

    keys: list[str]
    args: list[Any]

    def kwargs(self) -> dict[str, list[Any]]:
        return {"keys": self.keys, "args": self.args}


def append_call(conversation_id: str, *, message: str, dedupe: str | None, states: Iterable[str],
                agent: str | None, ttl_s: int, now: int, needs_turn: bool) -> ScriptCall:
    """APPEND: `message` (JSON, without seq) stored only in `states` (empty: any) and only for `agent` (None:
    anyone); `dedupe` (None: none) makes a retry return the first seq."""
    return ScriptCall(
        keys=[keys.conv(conversation_id), keys.log(conversation_id), keys.client_ids(conversation_id)],
        args=[dedupe or "", message, ",".join(states), agent or "", ttl_s, keys.ch_conv(conversation_id),
              keys.CLIENT_IDS_KEPT_S, now, "1" if needs_turn else "0"])


def end_turn_call(conversation_id: str, *, seq: int, event: str | None) -> ScriptCall:
    """END_TURN of message `seq`; `event` (JSON) is published on the conversation's channel (None: nothing)."""
    return ScriptCall(keys=[keys.conv(conversation_id)],
                      args=[seq, keys.ch_conv(conversation_id) if event is not None else "", event or "{}"])


def take_stale_turn_call(conversation_id: str, *, now: int, grace_ms: int) -> ScriptCall:
    return ScriptCall(keys=[keys.conv(conversation_id)], args=[now, grace_ms])


def transition_begin_call(conversation_id: str, *, token: str, now: int, reserve_for: str | None) -> ScriptCall:
    """TRANSITION_BEGIN; `reserve_for`: the agent a claim or transfer needs a free slot of (None: no check)."""
    agent = reserve_for or ""
    return ScriptCall(keys=[keys.TRANSITIONS, keys.user(agent) if agent else keys.TRANSITIONS,
                            keys.agent_convs(agent) if agent else keys.TRANSITIONS],
                      args=[conversation_id, token, now, "1" if reserve_for else "0", agent])


def transition_call(conversation_id: str, *, action: str, from_states: Iterable[str], to_state: str,
                    require_agent: str | None, new_agent: str | None, new_agent_name: str | None,
                    queue_op: str | None, rank: float | None, note: str | None, now: int, ttl_s: int,
                    state_event: str, fields: dict[str, Any]) -> ScriptCall:
    """TRANSITION. `require_agent`: None no check, "*" any agent; `new_agent`: None keeps the agent, "" clears
    it; `queue_op`: "add" | "remove" | None; `note` and `state_event`: JSON; `fields`: more hash fields to set."""
    flat: list[Any] = []
    for name, value in fields.items():
        flat += [name, value]
    return ScriptCall(
        keys=[keys.conv(conversation_id), keys.log(conversation_id)],
        args=[action, ",".join(from_states), to_state, require_agent or "", "-" if new_agent is None else new_agent,
              new_agent_name or "", queue_op or "", 0 if rank is None else rank, note or "", now, ttl_s,
              keys.ch_conv(conversation_id), state_event, len(fields), *flat])


def transition_desk_call(conversation_id: str, *, version: int, agent: str, queue_rank: str, agents: str,
                         member: str, reserved: str, ttl_s: int,
                         also_publish: tuple[str, str] | None = None) -> ScriptCall:
    """TRANSITION_DESK for the conversation's `version` (0: nothing to apply, only `member` of the begin step
    to forget and the slot `reserved` for an agent to give back); `agent`, `queue_rank` and `agents` as
    TRANSITION returned them (or as the conversation's hash holds them); `also_publish`: (channel, event
    JSON) published last (POSITION_SLOT: the queue position)."""
    return ScriptCall(keys=[keys.TRANSITIONS, keys.QUEUE, keys.applied(conversation_id)],
                      args=[conversation_id, version, agent, queue_rank, agents, member, reserved,
                            keys.agent_convs(AGENT_SLOT), ttl_s, *(also_publish or ())])


def rate_call(conversation_id: str, *, score: int, comment: str, now: int) -> ScriptCall:
    return ScriptCall(keys=[keys.conv(conversation_id)], args=[score, comment, now])


def inbox_add_call(item_id: str, *, text: str, intent: str, confidence: float, ranking: str, reason: str,
                   conversation_id: str, seq: int, now: int, ttl_s: int, max_open: int, suggested: str,
                   suggested_by: str) -> ScriptCall:
    """INBOX_ADD; `ranking`: JSON; `suggested` "": no agent suggestion."""
    return ScriptCall(keys=[keys.inbox_item(item_id), keys.INBOX_OPEN],
                      args=[item_id, text, intent, confidence, ranking, reason, conversation_id, seq, now, ttl_s,
                            max_open, suggested, suggested_by, keys.INBOX_ITEM_PREFIX])


def activate_model_call(*, version: str, by: str, now: int, entry: str, base: str, expect: str, event: str,
                        history_kept: int) -> ScriptCall:
    """ACTIVATE_MODEL; `entry` (history) and `event` (published on the models channel): JSON; `expect` "": any."""
    return ScriptCall(keys=[keys.MODELS_ACTIVE, keys.MODELS_HISTORY],
                      args=[version, by, now, entry, base, expect, keys.CH_MODELS, history_kept, event])


# One page of a history search, newest first (handoff/storage/history.py).
# KEYS: 1 scratch key for an intersection, 2.. the index sets to intersect (one: read it directly)
# ARGV: 1 from ms, 2 to ms (inclusive), 3 offset, 4 page size, 5 walk above this many members, 6 count cap
# (The rows' conversation hashes are read after it, by the caller: on a cluster each is in its own slot.)
# Several sets whose smallest has at most ARGV[5] members: ZINTERSTORE into the scratch key (in C), an exact
# total, and the key is unlinked (freed off the main thread). A larger smallest set: walk it newest first in
# the date range, checking each id in the others, and stop once ARGV[6] matches are counted (the commonest
# words together answer in a few thousand lookups instead of sorting tens of thousands of ids); when the
# first 500 ids show fewer than one match in five, intersect in C after all.
# -> {total (capped at ARGV[6] when walked), more (1: over the cap), id, closed_at, id, closed_at, ...}
HISTORY_SEARCH = r"""
local from, to = ARGV[1], ARGV[2]
local offset, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
local function page_of(src)
  local total = redis.call('ZCOUNT', src, from, to)
  local page = redis.call('ZREVRANGEBYSCORE', src, to, from, 'WITHSCORES', 'LIMIT', offset, limit)
  local out = {total, 0}
  for i = 1, #page do out[#out + 1] = page[i] end
  return out
end
if #KEYS == 2 then return page_of(KEYS[2]) end
local smallest, size = 2, redis.call('ZCARD', KEYS[2])
for i = 3, #KEYS do
  local n = redis.call('ZCARD', KEYS[i])
  if n < size then smallest, size = i, n end
end
local function intersect()
  local args = {KEYS[1], #KEYS - 1}
  for i = 2, #KEYS do args[#args + 1] = KEYS[i] end
  args[#args + 1] = 'AGGREGATE'  -- every index scores a conversation by its closing time: keep it as is
  args[#args + 1] = 'MAX'
  redis.call('ZINTERSTORE', unpack(args))
  local out = page_of(KEYS[1])
  redis.call('UNLINK', KEYS[1])
  return out
end
if size <= tonumber(ARGV[5]) then return intersect() end
local cap = math.max(tonumber(ARGV[6]), offset + limit)
local out, count, pos, more = {0, 0}, 0, 0, 0
while true do
  local chunk = redis.call('ZREVRANGEBYSCORE', KEYS[smallest], to, from, 'WITHSCORES', 'LIMIT', pos, 500)
  if #chunk == 0 then break end
  pos = pos + #chunk / 2
  for j = 1, #chunk, 2 do
    local hit = true
    for i = 2, #KEYS do
      if i ~= smallest and not redis.call('ZSCORE', KEYS[i], chunk[j]) then hit = false break end
    end
    if hit then
      count = count + 1
      if count > offset and count <= offset + limit then
        out[#out + 1] = chunk[j]
        out[#out + 1] = chunk[j + 1]
      end
      if count >= cap then more = 1 break end
    end
  end
  if more == 1 then break end
  -- Sparse (under one in five of the newest ids match): a walk would check the whole set one call at a
  -- time; the intersection in C is cheaper then.
  if count * 5 < pos then return intersect() end
end
out[1], out[2] = count, more
return out
"""


def history_search_call(index_keys: list[str], *, scratch: str, from_ms: int, to_ms: int, offset: int,
                        limit: int, walk_above: int, count_cap: int) -> ScriptCall:
    """HISTORY_SEARCH over `index_keys` (at least one); `scratch` is a key of this call's own (all desk keys)."""
    return ScriptCall(keys=[scratch, *index_keys], args=[from_ms, to_ms, offset, limit, walk_above, count_cap])


def assist_index_call(conversation_id: str, *, entries: list[str]) -> ScriptCall:
    """ASSIST_INDEX; `entries`: JSON of each (customer message, reply, vector) pair."""
    return ScriptCall(keys=[keys.ASSIST_INDEXED, keys.ASSIST_INDEX],
                      args=[conversation_id, keys.ASSIST_INDEX_KEPT, *entries])
