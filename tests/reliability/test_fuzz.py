"""Property-based fuzzing of every frame type of both sockets and of the JSON HTTP endpoints: whatever
arrives, the answer is a documented error code (never `internal`), the socket stays usable, the process
stays up."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff.core import errors, protocol
from tests.gateway import seed_accounts
from tests.handoff.clients import WAIT, login

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
FUZZ_AGENT = {"fuzzer": ("fuzzer-password-123", "agent", "Fuzz", 2)}
FUZZ_ADMIN = {"fuzzadmin": ("fuzzadmin-password-123", "admin", "Fuzz Admin", 2)}
DOCUMENTED = set(errors.ERROR_CODES) - {errors.INTERNAL}  # `internal` means a bug

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=60),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def frames(schema: dict[str, dict[str, protocol.Field]]) -> st.SearchStrategy[dict[str, Any]]:
    """A frame of a listed type whose fields are sometimes right, sometimes anything at all."""

    def of(ftype: str) -> st.SearchStrategy[dict[str, Any]]:
        fields = {
            name: st.one_of(
                json_value, st.from_regex(protocol.ID_RE, fullmatch=True), st.text(min_size=1, max_size=30)
            )
            for name in schema[ftype]
        }
        return st.fixed_dictionaries({"type": st.just(ftype)}, optional={**fields, "extra": json_value})

    return st.sampled_from(sorted(schema)).flatmap(of)


async def exchange(url: str, opening: list[str], fuzz: str, headers: dict[str, str] | None = None) -> None:
    """Open a socket, send the opening frames and the fuzz frame, then prove the socket still answers
    `ping`; every error on the way must carry a documented code."""
    async with websockets.connect(url, max_size=2**22, extra_headers=headers or {}) as ws:
        for raw in opening:
            await ws.send(raw)
            while (reply := json.loads(await asyncio.wait_for(ws.recv(), WAIT)))["type"] != "welcome":
                assert reply["type"] != "error", reply  # broadcasts (queue, agents) may come first
        await ws.send(fuzz)
        await ws.send(json.dumps({"type": "ping"}))
        while True:
            reply = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            if reply["type"] == "error":
                assert reply["code"] in DOCUMENTED, reply
                assert isinstance(reply["message"], str) and reply["message"]
            if reply["type"] == "pong":
                return
            if reply["type"] == "error" and reply.get("frame") == "ping":  # e.g. bad_state before hello
                return


@FUZZ
@given(frame=frames(protocol.CUSTOMER_FRAMES))
def test_fuzzed_customer_frames_get_documented_errors(rel_gateway: str, frame: dict[str, Any]) -> None:
    hello = [] if frame["type"] == "hello" else [json.dumps({"type": "hello"})]
    asyncio.run(exchange(rel_gateway.replace("http", "ws", 1) + "/ws/customer", hello, json.dumps(frame)))


@FUZZ
@given(raw=st.one_of(st.text(max_size=200), json_value.map(json.dumps)))
def test_fuzzed_raw_text_gets_documented_errors(rel_gateway: str, raw: str) -> None:
    asyncio.run(
        exchange(rel_gateway.replace("http", "ws", 1) + "/ws/customer", [json.dumps({"type": "hello"})], raw)
    )


_cookies: dict[str, str] = {}


def cookie_for(gw: Any, accounts: dict[str, tuple[str, str, str, int]]) -> str:
    username, (password, *_) = next(iter(accounts.items()))
    if username not in _cookies:
        seed_accounts(gw.redis_url, accounts)
        _cookies[username] = login(gw, username, password)
    return _cookies[username]


@FUZZ
@given(frame=frames(protocol.AGENT_FRAMES))
def test_fuzzed_agent_frames_get_documented_errors(rel_gateway, frame: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    headers = {"Cookie": cookie_for(rel_gateway, FUZZ_AGENT)}
    asyncio.run(
        exchange(
            rel_gateway.replace("http", "ws", 1) + "/ws/agent",
            [json.dumps({"type": "hello"})],
            json.dumps(frame),
            headers,
        )
    )


def http(
    gw: str, method: str, path: str, body: bytes, content_type: str, cookie: str = ""
) -> tuple[int, bytes]:
    req = urllib.request.Request(gw + path, method=method, data=body, headers={"Content-Type": content_type})
    if cookie:
        req.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


ENDPOINTS = [
    ("POST", "/api/login", None),
    ("POST", "/api/canned", FUZZ_ADMIN),
    ("PUT", "/api/canned/1", FUZZ_ADMIN),
    ("POST", "/api/inbox/correction", FUZZ_AGENT),
    ("POST", "/api/admin/inbox/label", FUZZ_ADMIN),
    ("POST", "/api/logout", FUZZ_AGENT),
]


@FUZZ
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    body=st.one_of(
        json_value.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=300),
        st.fixed_dictionaries(
            {},
            optional={
                "username": json_value,
                "password": json_value,
                "title": json_value,
                "text": json_value,
                "conversation_id": json_value,
                "seq": json_value,
                "intent": json_value,
            },
        ).map(lambda d: json.dumps(d).encode()),
    ),
    content_type=st.sampled_from(["application/json", "text/plain", "application/json; charset=utf-8"]),
)
def test_fuzzed_http_bodies_get_documented_errors(
    rel_gateway,
    endpoint,
    body: bytes,  # type: ignore[no-untyped-def]
    content_type: str,
) -> None:
    method, path, accounts = endpoint
    cookie = cookie_for(rel_gateway, accounts) if accounts else ""
    if path == "/api/logout":
        cookie = "tandem_session=" + body.hex()[:40]  # a forged session must not end anybody's
    status, answer = http(rel_gateway, method, path, body, content_type, cookie)
    assert status < 500 or status == 503, (status, answer[:200])
    if status >= 400:
        assert json.loads(answer)["error"]["code"] in DOCUMENTED


def test_the_gateway_is_up_and_healthy_after_the_fuzzing(rel_gateway: str) -> None:
    with urllib.request.urlopen(rel_gateway + "/health", timeout=WAIT) as resp:
        assert resp.status == 200 and json.loads(resp.read())["redis"] is True
    assert rel_gateway.proc.poll() is None  # type: ignore[attr-defined]
