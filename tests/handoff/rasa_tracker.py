"""Reading the Rasa tracker the gateway's agent saved in Redis, to check what the bot did and did not see."""
from __future__ import annotations

import json
from typing import Any

import redis


def tracker_events(redis_url: str, conversation_id: str) -> list[dict[str, Any]]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        # tandem:tracker:{<id>}: the conversation id is the key's hash tag (handoff/storage/keys.py)
        keys = [k for k in client.scan_iter(match=f"*tracker:{{{conversation_id}}}") if "lock" not in k]
        assert len(keys) == 1, f"expected one tracker for {conversation_id}, found {keys}"
        return json.loads(client.get(keys[0]))["events"]
    finally:
        client.close()


def user_texts(events: list[dict[str, Any]]) -> list[str]:
    return [e.get("text") or "" for e in events if e.get("event") == "user"]


def slot_value(events: list[dict[str, Any]], name: str) -> Any:
    value = None
    for e in events:
        if e.get("event") == "slot" and e.get("name") == name:
            value = e.get("value")
    return value
