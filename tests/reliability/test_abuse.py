"""Abuse: a customer's token opens only its own conversation, roles guard the agent and admin endpoints,
foreign origins get no socket or login, guessing passwords is locked out and slowed."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

from handoff.core import errors
from tests.gateway import seed_accounts
from tests.handoff.clients import WAIT, Agent, Client, Customer, login

VICTIM = {"victim": ("victim-password-123", "agent", "Vic", 1)}


def request(
    gw: str, method: str, path: str, body: dict | None = None, cookie: str = "", origin: str = ""
) -> tuple[int, dict, dict]:
    req = urllib.request.Request(
        gw + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    if cookie:
        req.add_header("Cookie", cookie)
    if origin:
        req.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else {}, dict(exc.headers)


async def test_a_customer_token_opens_no_other_conversation(rel_gateway: str) -> None:
    alice, bob = await Customer.connect(rel_gateway), await Customer.connect(rel_gateway)
    await bob.say("my account number is private")
    thief = Client(await websockets.connect(rel_gateway.replace("http", "ws", 1) + "/ws/customer"))
    await thief.send(type="hello", conversation_id=bob.cid, token=alice.token, last_seq=0)
    err = await thief.expect("error")
    assert err["code"] == errors.UNAUTHORIZED
    await thief.send(type="message", client_id="steal-1", text="written into bob's chat?")
    assert (await thief.expect("error", frame="message"))["code"] == errors.BAD_STATE
    assert not [f for f in thief.seen if f.get("type") in ("message", "welcome")]
    # Bob's transcript holds only Bob's message (and the bot's notice): nothing from the thief.
    again = await Customer.connect(rel_gateway, conversation_id=bob.cid, token=bob.token, last_seq=0)
    await again.send(type="ping")
    await again.expect("pong")
    assert all(m.get("client_id") != "steal-1" for m in again.messages())


async def test_a_customer_token_is_no_agent_session(rel_gateway: str) -> None:
    c = await Customer.connect(rel_gateway)
    ws = await websockets.connect(
        rel_gateway.replace("http", "ws", 1) + "/ws/agent",
        extra_headers={"Cookie": f"tandem_session={c.token}"},
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["code"] == errors.UNAUTHORIZED
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), WAIT)
    assert closed.value.code == errors.WS_4401_SESSION_EXPIRED


async def test_an_agent_cannot_read_or_write_a_colleagues_chat(rel_gateway: str) -> None:
    c = await Customer.connect(rel_gateway)
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    sam, alex = await Agent.connect(rel_gateway, "sam"), await Agent.connect(rel_gateway, "alex")
    await sam.do("claim", conversation_id=c.cid)
    await sam.expect("claimed")
    await alex.do("open", conversation_id=c.cid)
    assert (await alex.expect("error", frame="open"))["code"] == errors.FORBIDDEN
    await alex.do("message", conversation_id=c.cid, client_id="x1", text="hello from the wrong agent")
    assert (await alex.expect("error", frame="message"))["code"] in (errors.FORBIDDEN, errors.BAD_STATE)
    await sam.do("close", conversation_id=c.cid, resolution="resolved")
    await sam.expect("state", state="closed")


ADMIN_ONLY = [
    ("GET", "/api/admin/inbox", None),
    ("GET", "/api/admin/audit", None),
    ("GET", "/api/admin/models", None),
    ("GET", "/api/admin/escalation", None),
    ("POST", "/api/canned", {"title": "t", "text": "x"}),
    ("POST", "/api/admin/retrain", {}),
]


@pytest.mark.parametrize("method, path, body", ADMIN_ONLY, ids=[p for _, p, _ in ADMIN_ONLY])
def test_admin_endpoints_need_an_admin(rel_gateway: str, method: str, path: str, body: dict | None) -> None:
    status, answer, _ = request(rel_gateway, method, path, body)
    assert status == 401 and answer["error"]["code"] == errors.UNAUTHORIZED
    agent_cookie = login(rel_gateway, "sam", rel_gateway.accounts["sam"][0])  # type: ignore[attr-defined]
    status, answer, _ = request(rel_gateway, method, path, body, cookie=agent_cookie)
    assert status == 403 and answer["error"]["code"] == errors.FORBIDDEN


@pytest.mark.parametrize("path", ["/api/me", "/api/agents", "/api/canned", "/api/closed"])
def test_agent_endpoints_need_a_session(rel_gateway: str, path: str) -> None:
    status, answer, _ = request(rel_gateway, "GET", path, cookie="tandem_session=forged-session-id")
    assert status == 401 and answer["error"]["code"] == errors.UNAUTHORIZED


async def test_foreign_origins_get_no_agent_socket_and_no_login(rel_gateway: str) -> None:
    cookie = await asyncio.to_thread(login, rel_gateway, "sam", "sam-password-123")
    with pytest.raises(InvalidStatusCode) as refused:
        await websockets.connect(
            rel_gateway.replace("http", "ws", 1) + "/ws/agent",
            origin="https://evil.example",
            extra_headers={"Cookie": cookie},
        )
    assert refused.value.status_code == 403
    status, answer, _ = await asyncio.to_thread(
        request,
        rel_gateway,
        "POST",
        "/api/login",
        {"username": "sam", "password": "sam-password-123"},
        "",
        "https://evil.example",
    )
    assert status == 403 and answer["error"]["code"] == errors.FORBIDDEN


def test_guessing_a_password_is_slowed_then_locked_even_for_the_right_one(
    rel_gateway, record_property
) -> None:  # type: ignore[no-untyped-def]
    seed_accounts(rel_gateway.redis_url, VICTIM)
    took = []
    for i in range(5):
        started = time.perf_counter()
        status, answer, _ = request(
            rel_gateway, "POST", "/api/login", {"username": "victim", "password": f"guess-{i}"}
        )
        took.append(time.perf_counter() - started)
        assert status == 401 and answer["error"]["code"] == errors.UNAUTHORIZED
    status, answer, headers = request(
        rel_gateway, "POST", "/api/login", {"username": "victim", "password": VICTIM["victim"][0]}
    )
    assert status == 429 and answer["error"]["code"] == errors.RATE_LIMITED
    assert int(headers["Retry-After"]) > 0
    record_property("failed_login_seconds", [round(t, 2) for t in took])
    print(f"\nfailed sign-in answers took {', '.join(f'{t:.2f}' for t in took)} s")


def login_from(gw: str, address: str, username: str, password: str) -> tuple[int, dict]:
    """POST /api/login from the loopback address `address` (127.0.0.0/8: each is another client to the
    gateway, which throttles by the peer's address)."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(gw)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=WAIT, source_address=(address, 0))
    try:
        conn.request("POST", "/api/login", json.dumps({"username": username, "password": password}),
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


def test_fifty_wrong_passwords_from_one_address_leave_the_agent_free_to_sign_in_from_another(
    rel_gateway,
) -> None:  # type: ignore[no-untyped-def]
    seed_accounts(rel_gateway.redis_url, {"target": ("target-password-123", "agent", "Tara", 1)})
    answers = [login_from(rel_gateway, "127.0.0.7", "target", f"guess-{i}")[0] for i in range(50)]
    assert set(answers) == {401, 429} and answers[0] == 401 and answers[-1] == 429  # locked for that address
    status, body = login_from(rel_gateway, "127.0.0.8", "target", "target-password-123")
    assert status == 200 and body["agent"]["username"] == "target"


async def test_one_network_opens_only_so_many_new_chats_but_may_always_resume(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.reliability.conftest import RELIABILITY_DB, start_bare
    from tests.support import stop

    gw = await asyncio.to_thread(start_bare, redis_url.rsplit("/", 1)[0] + f"/{RELIABILITY_DB}",
                                 tmp_path_factory.mktemp("gateway-newchats"), "gw-newchats",
                                 NEW_CHATS_PER_IP="3", NEW_CHATS_WINDOW_S="600")
    try:
        opened = [await Customer.connect(gw) for _ in range(3)]
        extra = Client(await websockets.connect(gw.replace("http", "ws", 1) + "/ws/customer"))
        await extra.send(type="hello")
        refused = await extra.expect("error")
        assert refused["code"] == errors.RATE_LIMITED and refused["frame"] == "hello"
        assert 0 < refused["retry_after_ms"] <= 600_000
        # The limit is on opening conversations, never on coming back to one's own.
        back = await Customer.connect(gw, conversation_id=opened[0].cid, token=opened[0].token, last_seq=0)
        assert back.welcome["resumed"] is True
        await back.say("still here")
    finally:
        await asyncio.to_thread(stop, gw.proc)
