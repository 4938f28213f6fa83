"""Every Redis key and pub/sub channel the gateway uses, and how long each lives.

The whole schema in one screen (arq's constants.py habit). All keys start with `tandem:`; desk-wide ones with
`tandem:{desk}:`, a conversation's with `tandem:conv:{<id>}` (Redis Cluster hash tags, below).

| key | type | holds |
| --- | --- | --- |
| tandem:conv:{<id>} | hash | state, token_hash, seq, agent, agent_name, customer, reason, priority, created, ... |
| tandem:conv:{<id>}:log | stream | the transcript; entry id is "<seq>-0", fields are the Message |
| tandem:conv:{<id>}:cids | hash | client_id -> seq (idempotent retries) |
| tandem:conv:{<id>}:nlu | hash | seq -> JSON {intent, confidence, emotions, negativity} known after the bot ran |
| tandem:conv:{<id>}:sent:<reader> | string | highest seq sent to a transport that keeps no seq of its own (socket.io) |
| tandem:{desk}:queue | zset | conversation id -> rank (lower = sooner) |
| tandem:{desk}:user:<username> | hash | password_hash, display_name, role, capacity, created |
| tandem:{desk}:users | set | usernames |
| tandem:{desk}:agent:<username>:convs | set | conversations assigned to the agent |
| tandem:{desk}:presence | hash | username -> online / away |
| tandem:{desk}:presence:conns | zset | "<username> <conn_id>" -> expiry (ms); a live socket keeps its entry fresh |
| tandem:{desk}:presence:seen | hash | username -> last time (ms) a socket of theirs was alive |
| tandem:{desk}:session:<sid> | hash | username, role, created; expires after SESSION_TTL idle |
| tandem:{desk}:login:user:<username> / tandem:{desk}:login:ip:<ip> | string | failed login counters (per account, per address) |
| tandem:{desk}:login:pair:<username>:<ip> | string | failed logins for one account from one address |
| tandem:{desk}:waits | list | recent queue waits (ms), newest first, for the "typical wait" |
| tandem:{desk}:callbacks | stream | call-back requests left while nobody was online |
| tandem:{desk}:ratings | stream | customer ratings |
| tandem:{desk}:agent:<username>:closed | zset | conversations the agent closed -> closed at (ms); console's "closed today" |
| tandem:{desk}:canned | hash | canned response id -> JSON {id, title, text, updated_by, updated} (admins edit) |
| tandem:{desk}:canned:seq | string | last canned response id handed out |
| tandem:tracker:{<id>} | string | Rasa's tracker (JSON), written by bot/redis_stores.py; expires 30 days after the last turn |
| tandem:lock:{<id>} | string | a random token while one bot turn runs (bot/redis_stores.py); expires after TICKET_LOCK_LIFETIME |

The last two are built by bot/redis_stores.py from endpoints.yml's key_prefix ("tandem"), with the
conversation id as the hash tag (`tracker_key`/`lock_key` there), so a turn's tracker and lock sit in the
conversation's slot.

The split transition (lua.TRANSITION, then lua.TRANSITION_DESK; docs/deploy.md "Redis Cluster"):
| tandem:{desk}:transitions | zset | "<id> <token> [<agent reserved>]" -> started (ms): a transition whose desk step is still to run |
| tandem:{desk}:applied:<id> | string | "<version> <agent>": the conversation's newest transition applied to the queue and agent sets |
"""

from __future__ import annotations

PREFIX = "tandem:"
# Redis Cluster hash tags (docs/deploy.md "Key schema"): only the part between the first { and } picks a key's
# slot. Every desk-wide key shares the tag {desk}, so the scripts and transactions over several of them (the
# queue and the agents' sets, the history indexes a search intersects) stay in one slot; every key of one
# conversation carries its id as the tag, so its scripts stay in that conversation's slot. The tags are in the
# names on a single Redis too: one schema everywhere (scripts.migrate_keys renames a desk's older keys).
DESK = PREFIX + "{desk}:"


def tag(conversation_id: str) -> str:
    """`{<id>}`: the hash tag of everything of one conversation."""
    return "{" + conversation_id + "}"


QUEUE = DESK + "queue"
USERS = DESK + "users"
PRESENCE = DESK + "presence"
PRESENCE_CONNS = DESK + "presence:conns"
PRESENCE_SEEN = DESK + "presence:seen"
WAITS = DESK + "waits"
CALLBACKS = DESK + "callbacks"
RATINGS = DESK + "ratings"
CANNED = DESK + "canned"
CANNED_SEQ = DESK + "canned:seq"

# Pub/sub channels.
CH_AGENTS = DESK + "pub:agents"  # queue changes, escalations, presence: every agent socket
CH_QUEUE_POSITIONS = DESK + "pub:queue"  # queue changed: queued customers recompute their position
CH_HUB = DESK + "pub:hub"  # nobody publishes here: keeps a hub's connection in subscribed mode

TRANSITIONS = DESK + "transitions"  # transitions whose desk step is pending (the sweep finishes them)

WAITS_KEPT = 50
PRESENCE_TTL_MS = 60_000  # a socket that has not refreshed for this long (crashed instance) is gone
PRESENCE_REFRESH_S = 20.0
CLIENT_IDS_KEPT_S = 7 * 24 * 3600
LOGIN_FAIL_PREFIX_USER = DESK + "login:user:"
LOGIN_FAIL_PREFIX_IP = DESK + "login:ip:"
LOGIN_FAIL_PREFIX_PAIR = DESK + "login:pair:"
NEW_CHATS_PREFIX_IP = DESK + "newchats:ip:"  # conversations opened per client IP, per window


def login_fail_pair(username: str, ip: str) -> str:
    """Failed sign-ins to one account from one address: only this pair is locked out after a few."""
    return f"{LOGIN_FAIL_PREFIX_PAIR}{username}:{ip}"


def conv(conversation_id: str) -> str:
    return f"{PREFIX}conv:{tag(conversation_id)}"


def log(conversation_id: str) -> str:
    return f"{PREFIX}conv:{tag(conversation_id)}:log"


def client_ids(conversation_id: str) -> str:
    return f"{PREFIX}conv:{tag(conversation_id)}:cids"


def nlu(conversation_id: str) -> str:
    return f"{PREFIX}conv:{tag(conversation_id)}:nlu"


def sent(conversation_id: str, reader: str) -> str:
    """What a socket.io session was last sent (rasa-webchat keeps no seq; a reload resumes after it)."""
    return f"{PREFIX}conv:{tag(conversation_id)}:sent:{reader}"


def applied(conversation_id: str) -> str:
    """The version of the conversation's newest transition applied to the queue and the agents' sets."""
    return f"{DESK}applied:{conversation_id}"


def user(username: str) -> str:
    return f"{DESK}user:{username}"


def agent_convs(username: str) -> str:
    return f"{DESK}agent:{username}:convs"


def agent_closed(username: str) -> str:
    """Written when a conversation closes (score: closed at, ms); trimmed to the conversation TTL."""
    return f"{DESK}agent:{username}:closed"


def session(sid: str) -> str:
    return f"{DESK}session:{sid}"


def ch_conv(conversation_id: str) -> str:
    """Every event of one conversation: its customer sockets and watching agents subscribe."""
    return f"{PREFIX}pub:conv:{tag(conversation_id)}"


def conversation_of(name: str) -> str:
    """The conversation id of its ch_conv channel or its conv hash (the hash tag)."""
    return name.rsplit(":", 1)[-1].strip("{}")


def ch_agent(username: str) -> str:
    """Events for one agent on every instance: transfers to them, forced logout."""
    return f"{DESK}pub:agent:{username}"


# --- Admin: NLU inbox, retraining, model versions (handoff/admin/inbox.py, retrain.py, model_registry.py) ---
# | tandem:{desk}:inbox:item:<id> | hash | text, intent, confidence, ranking, r_<reason>, count, status, label, ... |
# | tandem:{desk}:inbox:open / tandem:{desk}:inbox:done | zset | item id -> last seen / decided (ms) |
# | tandem:{desk}:retrain | hash | the one retraining job: id, state, version, by, instance, heartbeat, error |
# | tandem:{desk}:retrain:lock | string | job id while a retraining runs on some instance (expires without heartbeat) |
# | tandem:{desk}:retrain:log | stream | progress lines of the current job |
# | tandem:{desk}:models:active | hash | version, previous, by, ts: the model every instance must run |
# | tandem:{desk}:models:history | list | activations and rollbacks, newest first (JSON) |
# | tandem:{desk}:models:instances | hash | instance -> JSON {version, status, ts} it has loaded |
# | tandem:{desk}:admin:escalation | hash | escalation threshold -> JSON value (live on every instance; and built into the next retrain) |
INBOX_ITEM_PREFIX = DESK + "inbox:item:"
INBOX_OPEN = DESK + "inbox:open"
INBOX_DONE = DESK + "inbox:done"
RETRAIN = DESK + "retrain"
RETRAIN_LOCK = DESK + "retrain:lock"
RETRAIN_LOG = DESK + "retrain:log"
MODELS_ACTIVE = DESK + "models:active"
MODELS_HISTORY = DESK + "models:history"
MODELS_INSTANCES = DESK + "models:instances"
ESCALATION_OVERRIDES = DESK + "admin:escalation"
LIVE_FALLBACK = DESK + "admin:fallback"  # string: the live fallback threshold (JSON number; absent: the model's)
CH_MODELS = DESK + "pub:models"  # {"version"}: every instance loads the newly active model


def inbox_item(item_id: str) -> str:
    return INBOX_ITEM_PREFIX + item_id


# --- Conversation history and search (handoff/storage/history.py, docs/console.md) ---
# Every index is a sorted set of conversation id -> closed at (ms), so any of them answers a date range and
# any several intersect (ZINTERSTORE) newest first. Entries older than the conversation TTL are trimmed
# whenever the set is written, and every set expires with its newest conversation.
# | tandem:{desk}:hist:all | zset | every closed conversation |
# | tandem:{desk}:hist:term:<word> | zset | closed conversations with the word in a message or note (history_terms.py) |
# | tandem:{desk}:hist:name:<word> | zset | closed conversations whose customer's name has the word |
# | tandem:{desk}:hist:customer:<customer id> | zset | closed conversations of a signed-in customer |
# | tandem:{desk}:hist:agent:<username> | zset | closed conversations an agent handled or closed |
# | tandem:{desk}:hist:reason:<kind> | zset | closed conversations by escalation kind (bot/escalation/kinds.py) |
# | tandem:{desk}:hist:rating:<1-5> | zset | closed conversations by the customer's rating |
# | tandem:{desk}:hist:resolution:<resolution> | zset | closed conversations by resolution |
# | tandem:{desk}:hist:tmp:<uuid> | zset | one search's intersection, deleted by the same script |
# | tandem:{desk}:customer:<customer id>:live | set | the customer's conversations not closed yet (second live chat) |
HIST_ALL = DESK + "hist:all"


def hist(field: str, value: str) -> str:
    """One history index: field is term, name, customer, agent, reason, rating or resolution."""
    return f"{DESK}hist:{field}:{value}"


def hist_tmp(token: str) -> str:
    return f"{DESK}hist:tmp:{token}"


def customer_live(customer_id: str) -> str:
    return f"{DESK}customer:{customer_id}:live"


def canned_of(username: str) -> str:
    """An agent's personal canned replies: hash id -> JSON {id, title, text, updated} (issue #24)."""
    return f"{DESK}canned:user:{username}"


INTENT_NAMES = DESK + "intent_names"  # hash intent -> the name an admin gave it (wins over data/intent_names.yml)
CH_KNOBS = DESK + "pub:knobs"  # {"kind": "knobs"}: the admin saved live thresholds; every instance reloads them


# --- Answer feedback (handoff/admin/answer_feedback.py, handoff/storage/feedback.py) ---
# | tandem:conv:{<id>}:feedback | hash | "<kind>:<seq of the bot message>" -> JSON {value, by, comment, ts} |
#   kind: "thumbs" (the customer's up/down in the widget) or "flag" (an agent's "the bot got this wrong");
#   expires with the conversation.


def feedback(conversation_id: str) -> str:
    return f"{PREFIX}conv:{tag(conversation_id)}:feedback"
# --- Agent assist (handoff/assist/, handoff/storage/assist_index.py) ---
# | tandem:{desk}:assist:index | stream | good past replies: customer (redacted), reply (redacted), intent, vector (b64 f32) |
# | tandem:{desk}:assist:indexed | set | conversations already in the index (a second close or rating adds nothing) |
# | tandem:{desk}:assist:counts | hash | drafts shown / used / edited / sent unchanged; proposals made (dashboard) |
# | tandem:conv:{<id>}:assist | hash | seq -> JSON {ranking, entities} of a customer message's parse; "d:<seq>" drafts |
# | tandem:{desk}:assist:proposal:<inbox id> | hash | kind, intent, reply, agent, conversation_id, seq of a proposal |
ASSIST_INDEX = DESK + "assist:index"
ASSIST_INDEXED = DESK + "assist:indexed"
ASSIST_COUNTS = DESK + "assist:counts"
ASSIST_PROPOSAL_PREFIX = DESK + "assist:proposal:"
ASSIST_INDEX_KEPT = 50_000  # newest entries kept in the stream (handoff/assist/similarity.py MAX_ENTRIES)


def assist(conversation_id: str) -> str:
    return f"{PREFIX}conv:{tag(conversation_id)}:assist"


def assist_proposal(item_id: str) -> str:
    return ASSIST_PROPOSAL_PREFIX + item_id
