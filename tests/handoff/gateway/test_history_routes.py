"""History and search (handoff/gateway/history_routes.py, handoff/storage/history.py) on a real gateway process
and a real Redis: conversations are closed through the sockets the way the console does it, then found.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest
import redis
import requests
import websockets

from handoff.core.context import sign_context
from handoff.storage import keys
from tests.gateway import LiveGateway, start_gateway
from tests.handoff.gateway.test_console_routes import TIMEOUT, _frames_until, add_account, error_of, signed_in
from tests.support import ROOT, TIME_SCALE, stop

HISTORY_API_DB = 11
AGENT = ("hana", "hana-password-123", "agent", "Hana")
OTHER = ("ivo", "ivo-password-1234", "agent", "Ivo")
ADMIN = ("jude", "jude-password-123", "admin", "Jude")


@pytest.fixture(scope="module")
def gateway(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    url = redis_url.rsplit("/", 1)[0] + f"/{HISTORY_API_DB}"
    for username, password, role, name in (AGENT, OTHER, ADMIN):
        add_account(url, username, password, role, name)
    gw = start_gateway(url, ROOT / "models" / "unused", "http://127.0.0.1:9/webhook",
                       tmp_path_factory.mktemp("history-api"), "history-api", extra_env={"LOAD_BOT": "0"}, timeout=120)
    try:
        yield gw
    finally:
        stop(gw.proc)


async def close_a_chat(gateway: LiveGateway, agent: tuple[str, str, str, str], customer: dict[str, str],
                       words: list[str], note: str | None = None, rating: int | None = None) -> str:
    """A customer asks for a person and writes `words`; `agent` claims, replies, maybe notes, and closes."""
    context = sign_context(customer, gateway.context_secret, 600)
    sid = signed_in(gateway, agent).cookies["tandem_session"]
    async with websockets.connect(gateway.ws + "/ws/customer") as cust, \
            websockets.connect(gateway.ws + "/ws/agent", extra_headers={"Cookie": f"tandem_session={sid}"}) as ws:
        await ws.send(json.dumps({"type": "hello"}))
        await _frames_until(ws, "welcome")
        await cust.send(json.dumps({"type": "hello", "context": context}))
        cid = (await _frames_until(cust, "welcome"))["conversation_id"]
        await cust.send(json.dumps({"type": "request_human"}))
        await _frames_until(cust, "state", state="queued")
        await ws.send(json.dumps({"type": "claim", "conversation_id": cid}))
        await _frames_until(ws, "claimed", conversation_id=cid)
        for i, text in enumerate(words):
            await cust.send(json.dumps({"type": "message", "client_id": f"c{i}", "text": text}))
            await _frames_until(cust, "ack", client_id=f"c{i}")
        if note:
            await ws.send(json.dumps({"type": "note", "conversation_id": cid, "client_id": "n1", "text": note}))
            await _frames_until(ws, "ack", client_id="n1")
        await ws.send(json.dumps({"type": "close", "conversation_id": cid, "resolution": "resolved"}))
        await _frames_until(cust, "rating_request")
        await indexed(gateway, agent, cid)
        if rating:
            await cust.send(json.dumps({"type": "rating", "score": rating}))
            await _frames_until(ws, "rating", conversation_id=cid)
    return cid


async def indexed(gateway: LiveGateway, agent: tuple[str, str, str, str], cid: str) -> None:
    """The index is written just after the close is announced: wait until the id finds it."""
    http = signed_in(gateway, agent)
    for _ in range(100):
        if search(http, gateway, conversation=cid)["conversations"]:
            return
        await asyncio.sleep(0.05 * TIME_SCALE)
    raise AssertionError(f"{cid} was never indexed")


def search(http: requests.Session, gateway: str, **params: object) -> dict:
    resp = http.get(gateway + "/api/conversations", params=params, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_closed_conversation_opens_read_only_with_transcript_notes_reason_and_rating(gateway: LiveGateway) -> None:
    cid = await close_a_chat(gateway, AGENT, {"name": "Nora Quist", "customer_id": "HB-700001"},
                             ["my card was charged twice"], note="refund raised, ref 42", rating=5)
    for account in (OTHER, ADMIN):  # any colleague may read it, not only who closed it
        resp = signed_in(gateway, account).get(f"{gateway}/api/conversations/{cid}", timeout=TIMEOUT)
        assert resp.status_code == 200
        record = resp.json()
        assert (record["state"], record["resolution"], record["rating"]["score"]) == ("closed", "resolved", 5)
        assert record["customer"]["customer_id"] == "HB-700001"
        assert record["reason"]["kind"]
        assert [n["text"] for n in record["notes"]] == ["refund raised, ref 42"]
        texts = [m.get("text") for m in record["transcript"]]
        assert "my card was charged twice" in texts and "refund raised, ref 42" in texts
        assert record["last_agent"] == AGENT[0] and record["closed_at"] > 0
        assert "token_hash" not in json.dumps(record)


def test_a_conversation_is_only_for_signed_in_staff_and_bad_ids_are_refused(gateway: LiveGateway) -> None:
    anonymous = requests.get(f"{gateway}/api/conversations/{uuid.uuid4().hex}", timeout=TIMEOUT)
    assert anonymous.status_code == 401
    agent = signed_in(gateway, AGENT)
    missing = agent.get(f"{gateway}/api/conversations/{uuid.uuid4().hex}", timeout=TIMEOUT)
    assert (missing.status_code, error_of(missing)["code"]) == (404, "not_found")
    bad = agent.get(f"{gateway}/api/conversations/..%2Fetc", timeout=TIMEOUT)
    assert bad.status_code in (400, 404)
    assert requests.get(f"{gateway}/api/conversations", params={"q": "card"}, timeout=TIMEOUT).status_code == 401


async def test_search_finds_a_closed_conversation_by_a_word_customer_agent_rating_and_id(gateway: LiveGateway) -> None:
    word = "zyx" + uuid.uuid4().hex[:6]
    cid = await close_a_chat(gateway, AGENT, {"name": "Otto Brandt", "customer_id": "HB-700002"},
                             [f"the {word} transfer bounced"], rating=2)
    other = await close_a_chat(gateway, OTHER, {"name": "Otto Brandt", "customer_id": "HB-700002"}, ["hello again"])
    http = signed_in(gateway, OTHER)
    assert [r["conversation_id"] for r in search(http, gateway, q=word.upper())["conversations"]] == [cid]
    assert [r["conversation_id"] for r in search(http, gateway, q=f"{word} bounced")["conversations"]] == [cid]
    assert search(http, gateway, q=f"{word} nowhere-else-said")["conversations"] == []
    by_customer = search(http, gateway, customer="HB-700002")
    assert [r["conversation_id"] for r in by_customer["conversations"]] == [other, cid]  # newest first
    assert by_customer["total"] == 2
    assert {r["conversation_id"] for r in search(http, gateway, customer="otto")["conversations"]} >= {cid, other}
    assert [r["conversation_id"] for r in search(http, gateway, customer="HB-700002", agent=AGENT[0])["conversations"]] == [cid]
    assert [r["conversation_id"] for r in search(http, gateway, customer="HB-700002", rating=2)["conversations"]] == [cid]
    found = search(http, gateway, conversation=cid)["conversations"]
    assert [(r["conversation_id"], r["rating"]["score"], r["agent"]) for r in found] == [(cid, 2, AGENT[0])]
    paged = search(http, gateway, customer="HB-700002", limit=1, offset=1)
    assert (paged["total"], [r["conversation_id"] for r in paged["conversations"]]) == (2, [cid])
    assert search(http, gateway, customer="HB-700002", to="2001-01-01")["conversations"] == []


async def test_card_numbers_are_not_indexed(gateway: LiveGateway) -> None:
    await close_a_chat(gateway, AGENT, {"name": "Pia Lund", "customer_id": "HB-700003"},
                       ["my card 4111 1111 1111 1111 was stolen"])
    http = signed_in(gateway, AGENT)
    client = redis.Redis.from_url(gateway.redis_url, decode_responses=True)
    try:
        assert client.exists(keys.hist("term", "stolen"))
        assert not [k for k in client.scan_iter(keys.hist("*", "*")) if "4111" in k or "1111" in k]
    finally:
        client.close()
    refused = http.get(gateway + "/api/conversations", params={"q": "4111 1111 1111 1111"}, timeout=TIMEOUT)
    assert refused.status_code == 400 and "not indexed" in error_of(refused)["message"]
    assert search(http, gateway, customer="HB-700003", q="stolen")["total"] == 1


async def test_the_customer_story_lists_live_and_earlier_conversations(gateway: LiveGateway) -> None:
    customer = {"name": "Rita Moss", "customer_id": "HB-700004"}
    earlier = await close_a_chat(gateway, AGENT, customer, ["first time"])
    async with websockets.connect(gateway.ws + "/ws/customer") as cust:
        await cust.send(json.dumps({"type": "hello", "context": sign_context(customer, gateway.context_secret, 600)}))
        live = (await _frames_until(cust, "welcome"))["conversation_id"]
        story = signed_in(gateway, OTHER).get(f"{gateway}/api/customers/HB-700004/conversations", timeout=TIMEOUT).json()
    assert [c["conversation_id"] for c in story["live"]] == [live]
    assert [c["conversation_id"] for c in story["closed"]] == [earlier]


@pytest.mark.parametrize(("params", "message"), [
    ({"rating": "9"}, "rating must be 1-5"),
    ({"agent": "../x"}, "agent must be a username"),
    ({"from": "soon"}, "day must be a date written YYYY-MM-DD"),
    ({"from": "2025-02-02", "to": "2025-01-01"}, "from must not be after to"),
    ({"limit": "500"}, "limit must be between 1 and 50"),
    ({"q": "one two three four five six seven"}, "search for at most 6 words at a time"),
    ({"conversation": "nope"}, "conversation must be a conversation id (32 hexadecimal characters)"),
    ({"resolution": "maybe"}, "resolution must be one of resolved, unresolved, duplicate, spam, callback"),
])
def test_bad_search_input_gets_a_clear_error(gateway: LiveGateway, params: dict[str, str], message: str) -> None:
    resp = signed_in(gateway, AGENT).get(gateway + "/api/conversations", params=params, timeout=TIMEOUT)
    assert (resp.status_code, error_of(resp)) == (400, {"code": "invalid_frame", "message": message})


def test_intent_names_read_by_staff_renamed_by_admins_only(gateway: LiveGateway) -> None:
    agent, admin = signed_in(gateway, AGENT), signed_in(gateway, ADMIN)
    names = agent.get(gateway + "/api/intent-names", timeout=TIMEOUT).json()
    assert names["names"]["card_payment_fee_charged"] == "Card payment fee charged"
    assert names["min_confidence"] == 0.6  # the desk's INBOX_THRESHOLD
    refused = agent.put(gateway + "/api/intent-names/pending_top_up", json={"name": "Top-up pending"}, timeout=TIMEOUT)
    assert refused.status_code == 403
    done = admin.put(gateway + "/api/intent-names/pending_top_up", json={"name": " Top-up still pending "},
                     timeout=TIMEOUT)
    assert done.json() == {"intent": "pending_top_up", "name": "Top-up still pending"}
    assert agent.get(gateway + "/api/intent-names", timeout=TIMEOUT).json()["names"]["pending_top_up"] == \
        "Top-up still pending"
    bad = admin.put(gateway + "/api/intent-names/pending_top_up", json={"name": "x" * 61}, timeout=TIMEOUT)
    assert (bad.status_code, error_of(bad)["message"]) == (400, "name must be 1-60 characters")
    admin.delete(gateway + "/api/intent-names/pending_top_up", timeout=TIMEOUT)
    assert agent.get(gateway + "/api/intent-names", timeout=TIMEOUT).json()["names"]["pending_top_up"] == "Pending top up"


def test_the_supervisor_view_is_for_admins_only(gateway: LiveGateway) -> None:
    assert signed_in(gateway, AGENT).get(gateway + "/api/supervisor", timeout=TIMEOUT).status_code == 403
    seen = signed_in(gateway, ADMIN).get(gateway + "/api/supervisor", timeout=TIMEOUT).json()
    assert {"chats", "agents", "queue", "now"} <= set(seen)
    assert AGENT[0] in {a["username"] for a in seen["agents"]}


def test_personal_canned_replies_are_each_agents_own(gateway: LiveGateway) -> None:
    hana, ivo = signed_in(gateway, AGENT), signed_in(gateway, OTHER)
    made = hana.post(gateway + "/api/canned/mine", json={"title": "Sign-off", "text": "Have a good day!"}, timeout=TIMEOUT)
    assert made.status_code == 201
    item = made.json()["canned"]
    assert item in hana.get(gateway + "/api/canned/mine", timeout=TIMEOUT).json()["canned"]
    assert item not in ivo.get(gateway + "/api/canned/mine", timeout=TIMEOUT).json()["canned"]
    assert ivo.delete(f"{gateway}/api/canned/mine/{item['id']}", timeout=TIMEOUT).status_code == 404
    assert hana.delete(f"{gateway}/api/canned/mine/{item['id']}", timeout=TIMEOUT).status_code == 204
    bad = hana.post(gateway + "/api/canned/mine", json={"title": "", "text": "x"}, timeout=TIMEOUT)
    assert bad.status_code == 400
