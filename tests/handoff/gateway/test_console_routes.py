"""The console's HTTP routes (handoff/gateway/console_routes.py) on a real gateway process and a real Redis.

The gateway runs without the Rasa model (LOAD_BOT=0): these routes never talk to the bot, and a customer who
asks for a person is queued the same way. It uses its own Redis database, so the shared queue of the
browser tests never leaks in, and a short session TTL so expiry is real, not simulated.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
import websockets

from handoff.core.context import sign_context
from tests.gateway import LiveGateway, start_gateway
from tests.support import ROOT, TIME_SCALE, stop

CONSOLE_DB = 5
SESSION_TTL_S = int(6 * TIME_SCALE)
# Created through the accounts CLI, the way an operator does it.
AGENT = ("cora", "cora-password-123", "agent", "Cora")
OTHER = ("dev", "dev-password-1234", "agent", "Dev")
ADMIN = ("opal", "opal-password-123", "admin", "Opal")
TIMEOUT = 10 * TIME_SCALE


def add_account(redis_url: str, username: str, password: str, role: str, display_name: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "handoff.accounts.users", "add", username, "--role", role, "--display-name", display_name,
         "--capacity", "3", "--password-stdin", "--replace"],
        input=password + "\n", text=True, check=True, cwd=ROOT, capture_output=True,
        env={**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def gateway(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    url = redis_url.rsplit("/", 1)[0] + f"/{CONSOLE_DB}"
    for username, password, role, name in (AGENT, OTHER, ADMIN):
        add_account(url, username, password, role, name)
    gw = start_gateway(url, ROOT / "models" / "unused", "http://127.0.0.1:9/webhook",
                       tmp_path_factory.mktemp("console-api"), "console-api",
                       extra_env={"LOAD_BOT": "0", "SESSION_TTL_S": str(SESSION_TTL_S)}, timeout=120)
    try:
        yield gw
    finally:
        stop(gw.proc)


def signed_in(gateway: str, account: tuple[str, str, str, str]) -> requests.Session:
    http = requests.Session()
    resp = http.post(gateway + "/api/login", json={"username": account[0], "password": account[1]}, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return http


def error_of(resp: requests.Response) -> dict[str, str]:
    return resp.json()["error"]


# ------------------------------------------------------------------------------------ canned responses


def test_any_agent_reads_canned_responses_seeded_with_defaults(gateway: str) -> None:
    resp = signed_in(gateway, AGENT).get(gateway + "/api/canned", timeout=TIMEOUT)
    assert resp.status_code == 200
    canned = resp.json()["canned"]
    assert {"Greeting", "Anything else"} <= {c["title"] for c in canned}
    assert all(isinstance(c["id"], int) and c["text"] for c in canned)


def test_admin_creates_edits_and_deletes_a_canned_response_agents_see(gateway: str) -> None:
    admin, agent = signed_in(gateway, ADMIN), signed_in(gateway, AGENT)
    created = admin.post(gateway + "/api/canned", json={"title": "  Refund timing ", "text": "Refunds take 5 days."},
                         timeout=TIMEOUT)
    assert created.status_code == 201
    item = created.json()["canned"]
    assert (item["title"], item["updated_by"]) == ("Refund timing", "opal")
    assert item in agent.get(gateway + "/api/canned", timeout=TIMEOUT).json()["canned"]

    edited = admin.put(f"{gateway}/api/canned/{item['id']}", json={"title": "Refund timing", "text": "3 days."},
                       timeout=TIMEOUT)
    assert edited.status_code == 200
    seen = {c["id"]: c["text"] for c in agent.get(gateway + "/api/canned", timeout=TIMEOUT).json()["canned"]}
    assert seen[item["id"]] == "3 days."

    assert admin.delete(f"{gateway}/api/canned/{item['id']}", timeout=TIMEOUT).status_code == 204
    ids = {c["id"] for c in agent.get(gateway + "/api/canned", timeout=TIMEOUT).json()["canned"]}
    assert item["id"] not in ids
    gone = admin.put(f"{gateway}/api/canned/{item['id']}", json={"title": "x", "text": "y"}, timeout=TIMEOUT)
    assert (gone.status_code, error_of(gone)["code"]) == (404, "not_found")


def test_agent_cannot_call_admin_functions(gateway: str) -> None:
    agent = signed_in(gateway, AGENT)
    before = agent.get(gateway + "/api/canned", timeout=TIMEOUT).json()["canned"]
    target = before[0]["id"]
    attempts = [
        agent.post(gateway + "/api/canned", json={"title": "Mine", "text": "Sneaky"}, timeout=TIMEOUT),
        agent.put(f"{gateway}/api/canned/{target}", json={"title": "Mine", "text": "Sneaky"}, timeout=TIMEOUT),
        agent.delete(f"{gateway}/api/canned/{target}", timeout=TIMEOUT),
        agent.get(gateway + "/api/closed", params={"day": date.today().isoformat(), "agent": "dev"}, timeout=TIMEOUT),
    ]
    for resp in attempts:
        assert resp.status_code == 403
        assert error_of(resp) == {"code": "forbidden", "message": error_of(resp)["message"]}
        assert "admin" in error_of(resp)["message"]
    assert agent.get(gateway + "/api/canned", timeout=TIMEOUT).json()["canned"] == before


def test_bad_canned_input_is_refused_without_echoing_it(gateway: str) -> None:
    admin = signed_in(gateway, ADMIN)
    secret_text = "4111 1111 1111 1111 " * 120  # too long, and must never come back in the error
    cases = [
        ({"title": "", "text": "hello"}, "title must be 1-80 characters"),
        ({"title": "Card", "text": secret_text}, "text must be 1-2000 characters"),
        ({"title": ["not", "a", "string"], "text": "x"}, "title must be 1-80 characters"),
    ]
    for body, message in cases:
        resp = admin.post(gateway + "/api/canned", json=body, timeout=TIMEOUT)
        assert (resp.status_code, error_of(resp)) == (400, {"code": "invalid_frame", "message": message})
        assert "4111" not in resp.text
    not_json = admin.post(gateway + "/api/canned", data="title=x", timeout=TIMEOUT,
                          headers={"Content-Type": "application/json"})
    assert (not_json.status_code, error_of(not_json)["code"]) == (400, "bad_json")


def test_admin_changes_from_a_foreign_origin_are_refused(gateway: str) -> None:
    admin = signed_in(gateway, ADMIN)
    resp = admin.post(gateway + "/api/canned", json={"title": "CSRF", "text": "no"}, timeout=TIMEOUT,
                      headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403
    titles = {c["title"] for c in admin.get(gateway + "/api/canned", timeout=TIMEOUT).json()["canned"]}
    assert "CSRF" not in titles


# ------------------------------------------------------------------------------------ sign-in and sessions


def test_console_routes_refuse_a_visitor_without_a_session(gateway: str) -> None:
    for path in ("/api/canned", f"/api/closed?day={date.today().isoformat()}"):
        resp = requests.get(gateway + path, timeout=TIMEOUT)
        assert resp.status_code == 401
        assert error_of(resp) == {"code": "unauthorized",
                                  "message": "not signed in, or the session has expired; sign in again"}


def test_wrong_password_is_refused_with_a_clear_message(gateway: str) -> None:
    resp = requests.post(gateway + "/api/login", json={"username": AGENT[0], "password": "not-the-password"},
                         timeout=TIMEOUT)
    assert (resp.status_code, error_of(resp)) == (401, {"code": "unauthorized", "message": "wrong username or password"})
    assert "tandem_session" not in resp.cookies


def test_expired_session_is_refused_with_a_clear_message(gateway: str) -> None:
    agent = signed_in(gateway, AGENT)
    assert agent.get(gateway + "/api/canned", timeout=TIMEOUT).status_code == 200
    time.sleep(SESSION_TTL_S + 1.5)  # idle past SESSION_TTL: Redis drops the session on its own
    resp = agent.get(gateway + "/api/canned", timeout=TIMEOUT)
    assert resp.status_code == 401
    assert "expired" in error_of(resp)["message"]
    assert agent.get(gateway + "/api/me", timeout=TIMEOUT).status_code == 401


def test_logout_ends_the_session_for_console_routes(gateway: str) -> None:
    agent = signed_in(gateway, AGENT)
    cookie = agent.cookies.get("tandem_session")
    assert agent.post(gateway + "/api/logout", timeout=TIMEOUT).status_code == 204
    replay = requests.get(gateway + "/api/canned", cookies={"tandem_session": cookie}, timeout=TIMEOUT)
    assert replay.status_code == 401


# ------------------------------------------------------------------------------------ closed conversations


async def _frames_until(ws: Any, ftype: str, **match: Any) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == ftype and all(frame.get(k) == v for k, v in match.items()):
                return frame
            if frame["type"] == "error":
                raise AssertionError(f"unexpected error frame: {frame}")

    return await asyncio.wait_for(wait(), TIMEOUT)


@pytest.fixture
async def closed_conversation(gateway: LiveGateway) -> AsyncIterator[str]:
    """A customer asks for a person, Cora claims and closes the chat (resolved), the customer rates it 4."""
    customer_name = f"Quinn {uuid.uuid4().hex[:6]}"
    context = sign_context({"name": customer_name, "customer_id": "HB-555"}, gateway.context_secret, 600)
    sid = signed_in(gateway, AGENT).cookies["tandem_session"]
    async with websockets.connect(gateway.ws + "/ws/customer") as customer, \
            websockets.connect(gateway.ws + "/ws/agent", extra_headers={"Cookie": f"tandem_session={sid}"}) as agent:
        await agent.send(json.dumps({"type": "hello"}))
        await _frames_until(agent, "welcome")
        await customer.send(json.dumps({"type": "hello", "context": context}))
        cid = (await _frames_until(customer, "welcome"))["conversation_id"]
        await customer.send(json.dumps({"type": "request_human"}))
        await _frames_until(customer, "state", state="queued")
        await agent.send(json.dumps({"type": "claim", "conversation_id": cid}))
        await _frames_until(agent, "claimed", conversation_id=cid)
        await agent.send(json.dumps({"type": "close", "conversation_id": cid, "resolution": "resolved"}))
        await _frames_until(customer, "rating_request")
        await customer.send(json.dumps({"type": "rating", "score": 4, "comment": "kind"}))
        await _frames_until(agent, "rating", conversation_id=cid)
    yield cid


async def test_closed_lists_my_conversations_of_the_day(gateway: str, closed_conversation: str) -> None:
    agent = signed_in(gateway, AGENT)
    today = date.today()
    offset = str(int(-time.localtime().tm_gmtoff / 60))  # what the browser's getTimezoneOffset() says
    resp = agent.get(gateway + "/api/closed", params={"day": today.isoformat(), "tz_offset": offset}, timeout=TIMEOUT)
    assert resp.status_code == 200
    rows = {r["conversation_id"]: r for r in resp.json()["conversations"]}
    row = rows[closed_conversation]
    assert row["resolution"] == "resolved"
    assert row["rating"] == {"score": 4, "comment": "kind"}
    assert row["customer"]["name"].startswith("Quinn ")
    assert row["reason"]["kind"] in ("explicit", "customer_request")  # the "talk to a person" button
    assert abs(row["closed_at"] - time.time() * 1000) < 120_000

    yesterday = agent.get(gateway + "/api/closed", timeout=TIMEOUT,
                          params={"day": (today - timedelta(days=1)).isoformat(), "tz_offset": offset})
    assert closed_conversation not in {r["conversation_id"] for r in yesterday.json()["conversations"]}


async def test_an_agent_sees_only_their_own_closed_conversations_an_admin_anyones(
        gateway: str, closed_conversation: str) -> None:
    day = {"day": date.today().isoformat(), "tz_offset": str(int(-time.localtime().tm_gmtoff / 60))}
    other = signed_in(gateway, OTHER).get(gateway + "/api/closed", params=day, timeout=TIMEOUT)
    assert closed_conversation not in {r["conversation_id"] for r in other.json()["conversations"]}
    admin = signed_in(gateway, ADMIN).get(gateway + "/api/closed", params={**day, "agent": AGENT[0]}, timeout=TIMEOUT)
    assert admin.status_code == 200
    assert closed_conversation in {r["conversation_id"] for r in admin.json()["conversations"]}


@pytest.mark.parametrize(("params", "message"), [
    ({"day": "yesterday"}, "day must be a date written YYYY-MM-DD"),
    ({}, "day must be a date written YYYY-MM-DD"),
    ({"day": "2024-11-25", "tz_offset": "lots"}, "tz_offset must be whole minutes"),
    ({"day": "2024-11-25", "tz_offset": "9999"}, "tz_offset must be between -840 and 840"),
    ({"day": "2024-11-25", "agent": "../../etc"}, "agent must be a username"),
])
def test_closed_day_must_be_a_date(gateway: str, params: dict[str, str], message: str) -> None:
    resp = signed_in(gateway, AGENT).get(gateway + "/api/closed", params=params, timeout=TIMEOUT)
    assert (resp.status_code, error_of(resp)) == (400, {"code": "invalid_frame", "message": message})


def test_day_window_follows_the_agents_time_zone() -> None:
    from handoff.gateway.console_routes import day_window

    utc_start, utc_end = day_window("2024-11-25", "0")
    assert utc_end - utc_start == 24 * 3600 * 1000
    # Berlin in winter is UTC+1: getTimezoneOffset() is -60 and the local day starts at 23:00 UTC the day before.
    berlin_start, _ = day_window("2024-11-25", "-60")
    assert utc_start - berlin_start == 3600 * 1000

