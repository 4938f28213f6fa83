"""`python -m handoff.reporting.export`: a real Redis filled through the gateway's Store, the CLI run as analysts run
it, and the JSON lines checked for what must and must not leave."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from handoff.accounts.auth import Accounts
from handoff.core import conversation as sm
from handoff.core.clock import now_ms
from handoff.gateway.desk import snapshot
from handoff.storage.store import Store
from tests.handoff.conftest import UNIT_DB
from tests.support import ROOT, TIME_SCALE, free_port

CUSTOMER = {"name": "Chidinma Okafor", "customer_id": "HB-100234",
            "cards": [{"last_four": "6467", "type": "debit", "label": "Everyday debit"}]}
SECRETS = ["4539 1488 0343 6467", "4539148803436467", "chidi.okafor@example.com", "GB82 WEST 1234 5698 7654 32",
           "07700 900123", "+44 20 7946 0958", "Chidinma", "Okafor", "HB-100234", "Peter Jones"]


def run_export(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "handoff.reporting.export", *args], cwd=ROOT, env=env, text=True, check=False,
                          capture_output=True, timeout=120 * TIME_SCALE)


async def say(store: Store, cid: str, sender: str, text: str, **extra: object) -> int:
    seq, _, _ = await store.append(cid, {"sender": sender, "text": text, **extra})  # type: ignore[typeddict-item]
    return seq


async def handled_conversation(store: Store, accounts: Accounts) -> str:
    """A stolen card: the bot, an escalation, Sam, a close and a rating — with personal data everywhere."""
    await accounts.create("sam", "Sam", "agent", 3, "sam-password-123", replace=True)
    cid, _ = await store.create_conversation(CUSTOMER, "en")
    seq = await say(store, cid, "customer", "Hi, I'm Chidinma Okafor. My card 4539 1488 0343 6467 was used for "
                                            "£1,250.00 at 14:30, email me at chidi.okafor@example.com")
    await store.annotate(cid, seq, {"intent": "lost_or_stolen_card", "confidence": 0.91, "negativity": 0.82,
                                    "emotions": {"fear": 0.7, "neutral": 0.1}})
    await say(store, cid, "bot", "I'm sorry to hear that. I'm bringing in a colleague.")
    conv = await store.get(cid)
    await store.apply(cid, sm.escalate(snapshot(conv), {"kind": "sensitive"}, 0.9, now_ms()),
                      {"state": "queued"})
    await store.update_fields(cid, {"reason": {"kind": "sensitive", "score": 0.9}})
    await store.append(cid, sm.queued_note(1, 60, 1).message())
    conv = await store.get(cid)
    await store.apply(cid, sm.claim(snapshot(conv), "sam", "Sam"), {"state": "agent"})
    await say(store, cid, "agent", "Hi Chidinma, I'm Sam. I've blocked the card ending 6467.", agent="sam",
              agent_name="Sam")
    await say(store, cid, "note", "Customer says Peter Jones may have taken it", agent="sam", agent_name="Sam")
    seq = await say(store, cid, "customer", "thanks! my IBAN is GB82 WEST 1234 5698 7654 32, phone 07700 900123")
    await store.annotate(cid, seq, {"intent": "thank_you", "confidence": 0.8, "negativity": 0.1, "emotions": {}})
    conv = await store.get(cid)
    await store.apply(cid, sm.close(snapshot(conv), "sam", "resolved"), {"state": "closed"})
    await store.rate(cid, 4, "Sam was great, call me on +44 20 7946 0958")
    return cid


async def test_export_writes_redacted_json_lines_for_the_range(store: Store, accounts: Accounts, redis_url: str,
                                                               tmp_path: Path) -> None:
    old, _ = await store.create_conversation({}, None)
    await store.update_fields(old, {"created": "1000"})
    await say(store, old, "customer", "an old conversation")
    since = now_ms()
    cid = await handled_conversation(store, accounts)
    out = tmp_path / "export" / "conversations.jsonl"
    url = redis_url.rsplit("/", 1)[0] + f"/{UNIT_DB}"
    done = run_export("--since", str(since), "--until", str(now_ms() + 1), "--out", str(out), "--redis-url", url)
    assert done.returncode == 0, done.stderr
    assert "exported 1 conversation(s)" in done.stderr
    text = out.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in text, secret
    assert not re.search(r"\bsam\b", text, re.IGNORECASE), "agent names and usernames stay behind"
    (line,) = [json.loads(x) for x in text.splitlines()]
    assert line["conversation_id"] == cid and "customer" not in line
    assert line["handled_by"] == "agent" and line["escalations"] == ["sensitive"]
    assert line["rating"] == 4 and "[PHONE]" in line["rating_comment"]
    (handover,) = line["handovers"]
    assert handover["negativity_before"] == 0.82 and handover["negativity_after"] == 0.1
    first = line["messages"][0]
    assert first["intent"] == "lost_or_stolen_card" and first["emotions"]["fear"] == 0.7
    assert "£1,250.00" in first["text"] and "14:30" in first["text"] and "[CARD]" in first["text"]
    assert "[EMAIL]" in first["text"] and "[NAME]" in first["text"]
    agent_msg = next(m for m in line["messages"] if m["sender"] == "agent")
    assert agent_msg["agent"] == "agent-1" and "ending 6467" in agent_msg["text"]
    assert "client_id" not in json.dumps(line["messages"])


def test_export_refuses_a_bad_date_without_a_traceback() -> None:
    done = run_export("--since", "last tuesday", "--until", "2025-03-14")
    assert done.returncode == 2
    assert "since must be an ISO 8601 date" in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_redis_leaves_no_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "conversations.jsonl"
    done = run_export("--since", "2025-03-01", "--until", "2025-03-02", "--out", str(out),
                      "--redis-url", f"redis://127.0.0.1:{free_port()}/0")
    assert done.returncode == 1 and "Redis is not reachable" in done.stderr
    assert list(tmp_path.iterdir()) == []
