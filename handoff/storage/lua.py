"""The Lua scripts that make the store's changes atomic. Each one re-checks what it depends on.

Keys of the *other* records a script touches (an agent's set of conversations) are derived inside the
script from the prefix, because the script itself reads who the owner is. This ties the gateway to a
single Redis (or Sentinel/replicas); for Redis Cluster those keys would need a shared hash tag.
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

# Change a conversation's state (conversation.Transition), with its side effects, all or nothing.
# KEYS: conv, log, queue
# ARGV: 1 action, 2 allowed from-states (csv), 3 to-state, 4 required agent ("" none, "*" any),
#       5 new agent ("-" keep, "" clear), 6 new agent display name, 7 check capacity "1"/"0",
#       8 queue op ("add"/"remove"/""), 9 rank, 10 system note JSON ("" none), 11 conversation id,
#       12 now ms, 13 ttl s, 14 conv channel, 15 state event JSON, 16 an agent's account key and
#       17 an agent's conversations key, each with AGENT_SLOT for the name (keys.py's shapes: the previous
#       agent is only known here), 18 field count, 19.. field/value pairs, then optionally one more channel
#       and event JSON published last (the agents' `escalation`: heard before anyone can claim), with
#       POSITION_SLOT replaced by the conversation's queue position
# -> {"ok", note seq (0 = none), old state, old agent, queue position (0 = not queued), queued_at}
#  | {"err", code, state, agent}
AGENT_SLOT = "{agent}"  # where TRANSITION puts an agent's name into keys.py's key shapes
POSITION_SLOT = "{position}"  # a JSON string value TRANSITION's extra event gets replaced by the queue position
TRANSITION = r"""
local conv, log, queue = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[11]
local function agent_key(template, name) return (string.gsub(template, '{agent}', function() return name end)) end
local function convs_of(name) return agent_key(ARGV[17], name) end
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
local new_agent = ARGV[5]
if ARGV[7] == '1' then
  local cap = redis.call('HGET', agent_key(ARGV[16], new_agent), 'capacity')
  if not cap then return {'err', 'not_found', state, agent} end
  if redis.call('SCARD', convs_of(new_agent)) >= tonumber(cap) then
    return {'err', 'over_capacity', state, agent}
  end
end
local queued_at = redis.call('HGET', conv, 'queued_at') or '0'
if new_agent ~= '-' then
  if agent ~= '' then
    redis.call('SREM', convs_of(agent), id)
    redis.call('HSET', conv, 'last_agent', agent)
  end
  if new_agent ~= '' then redis.call('SADD', convs_of(new_agent), id) end
  redis.call('HSET', conv, 'agent', new_agent, 'agent_name', ARGV[6])
end
redis.call('HSET', conv, 'state', ARGV[3], 'updated', ARGV[12])
local n = tonumber(ARGV[18])
for i = 0, n - 1 do redis.call('HSET', conv, ARGV[19 + 2 * i], ARGV[20 + 2 * i]) end
if ARGV[8] == 'add' then redis.call('ZADD', queue, ARGV[9], id)
elseif ARGV[8] == 'remove' then redis.call('ZREM', queue, id) end
local note_seq = 0
if ARGV[10] ~= '' then
  note_seq = redis.call('HINCRBY', conv, 'seq', 1)
  redis.call('XADD', log, note_seq .. '-0', 'm', ARGV[10])
  redis.call('PUBLISH', ARGV[14], '{"kind":"msg","seq":' .. note_seq .. ',"m":' .. ARGV[10] .. '}')
end
redis.call('PUBLISH', ARGV[14], ARGV[15])
redis.call('EXPIRE', conv, ARGV[13])
redis.call('EXPIRE', log, ARGV[13])
local position = 0
if ARGV[3] == 'queued' then position = (redis.call('ZRANK', queue, id) or -1) + 1 end
local extra = 19 + 2 * n
if ARGV[extra] and ARGV[extra] ~= '' then
  local event = string.gsub(ARGV[extra + 1], '"{position}"', function() return tostring(position) end)
  redis.call('PUBLISH', ARGV[extra], event)
end
return {'ok', note_seq, state, agent, position, queued_at}
"""

# Record a rating once, only for a closed conversation.
# KEYS: conv, ratings stream   ARGV: score, comment, conversation id, now ms, agent field fallback
# -> {"ok", agent} | {"err", code}
RATE = r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return {'err', 'not_found'} end
if redis.call('HGET', KEYS[1], 'state') ~= 'closed' then return {'err', 'bad_state'} end
if redis.call('HEXISTS', KEYS[1], 'rating') == 1 then return {'err', 'conflict'} end
redis.call('HSET', KEYS[1], 'rating', ARGV[1], 'rating_comment', ARGV[2], 'rated_at', ARGV[4])
local closed_by = redis.call('HGET', KEYS[1], 'last_agent') or ''
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '100000', '*', 'conversation_id', ARGV[3], 'score', ARGV[1],
           'comment', ARGV[2], 'agent', closed_by, 'ts', ARGV[4])
return {'ok', closed_by}
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


def transition_call(conversation_id: str, *, action: str, from_states: Iterable[str], to_state: str,
                    require_agent: str | None, new_agent: str | None, new_agent_name: str | None,
                    check_capacity: bool, queue_op: str | None, rank: float | None, note: str | None, now: int,
                    ttl_s: int, state_event: str, fields: dict[str, Any],
                    also_publish: tuple[str, str] | None = None) -> ScriptCall:
    """TRANSITION. `require_agent`: None no check, "*" any agent; `new_agent`: None keeps the agent, "" clears
    it; `queue_op`: "add" | "remove" | None; `note` and `state_event`: JSON; `fields`: more hash fields to set;
    `also_publish`: (channel, event JSON) published last, inside the same step (POSITION_SLOT: the position)."""
    flat: list[Any] = []
    for name, value in fields.items():
        flat += [name, value]
    if also_publish is not None:
        flat += list(also_publish)
    return ScriptCall(
        keys=[keys.conv(conversation_id), keys.log(conversation_id), keys.QUEUE],
        args=[action, ",".join(from_states), to_state, require_agent or "", "-" if new_agent is None else new_agent,
              new_agent_name or "", "1" if check_capacity else "0", queue_op or "", 0 if rank is None else rank,
              note or "", conversation_id, now, ttl_s, keys.ch_conv(conversation_id), state_event,
              keys.user(AGENT_SLOT), keys.agent_convs(AGENT_SLOT), len(fields), *flat])


def rate_call(conversation_id: str, *, score: int, comment: str, now: int) -> ScriptCall:
    return ScriptCall(keys=[keys.conv(conversation_id), keys.RATINGS], args=[score, comment, conversation_id, now])


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
# Several sets whose smallest has at most ARGV[5] members: ZINTERSTORE into the scratch key (in C), an exact
# total, and the key is unlinked (freed off the main thread). A larger smallest set: walk it newest first in
# the date range, checking each id in the others, and stop once ARGV[6] matches are counted (the commonest
# words together answer in a few thousand lookups instead of sorting tens of thousands of ids).
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
if size <= tonumber(ARGV[5]) then
  local args = {KEYS[1], #KEYS - 1}
  for i = 2, #KEYS do args[#args + 1] = KEYS[i] end
  args[#args + 1] = 'AGGREGATE'  -- every index scores a conversation by its closing time: keep it as is
  args[#args + 1] = 'MAX'
  redis.call('ZINTERSTORE', unpack(args))
  local out = page_of(KEYS[1])
  redis.call('UNLINK', KEYS[1])
  return out
end
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
end
out[1], out[2] = count, more
return out
"""


def history_search_call(index_keys: list[str], *, scratch: str, from_ms: int, to_ms: int, offset: int,
                        limit: int, walk_above: int, count_cap: int) -> ScriptCall:
    """HISTORY_SEARCH over `index_keys` (at least one); `scratch` is a key of this call's own."""
    return ScriptCall(keys=[scratch, *index_keys], args=[from_ms, to_ms, offset, limit, walk_above, count_cap])
def assist_index_call(conversation_id: str, *, entries: list[str]) -> ScriptCall:
    """ASSIST_INDEX; `entries`: JSON of each (customer message, reply, vector) pair."""
    return ScriptCall(keys=[keys.ASSIST_INDEXED, keys.ASSIST_INDEX],
                      args=[conversation_id, keys.ASSIST_INDEX_KEPT, *entries])
