"""/metrics, /dashboard and /api/dashboard against a real gateway (reduced Rasa model, action server, Redis),
after driving a desk's worth of conversations whose every number the test knows: each metric and each
dashboard figure is checked against that truth."""
from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.handoff.clients import BOT_WAIT, WAIT, Agent, Customer, login

pytestmark = pytest.mark.model
METRICS_DB = 6
TOKEN = "scrape-token-for-tests"


@pytest.fixture(scope="module")
def desk_gateway(redis_url: str, reduced_model: Path, action_server_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh gateway process on its own Redis database: its counters start at zero and the dashboard
    sees only the conversations driven here."""
    from tests.gateway import seed_accounts, start_gateway
    from tests.support import stop

    url = redis_url.rsplit("/", 1)[0] + f"/{METRICS_DB}"
    seed_accounts(url)
    gw = start_gateway(url, reduced_model, action_server_url, tmp_path_factory.mktemp("gateway-metrics"),
                       "gw-metrics", extra_env={"METRICS_TOKEN": TOKEN})
    try:
        yield gw
    finally:
        stop(gw.proc)


def http(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    """(status, headers (case-insensitive), body), without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=WAIT) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@dataclass
class Truth:
    since_ms: int = 0
    customer_messages: int = 0
    agent_messages: int = 0
    bot_turns: int = 0  # customer messages the bot answered (each is one bot-reply observation)
    customers: list[Customer] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # scenario name -> conversation id
    transcripts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # agent view, annotated
    agents: list[Agent] = field(default_factory=list)  # kept open: open sockets are part of what is measured

    def frames(self, name: str) -> list[dict[str, Any]]:
        c = next(c for c in self.customers if c.cid == self.ids[name])
        return c.messages()

    def event_ts(self, name: str, event: str) -> int:
        return next(m["ts"] for m in self.frames(name) if m.get("event") == event)

    def first_ts(self, name: str, sender: str) -> int:
        return next(m["ts"] for m in self.frames(name) if m.get("sender") == sender)


async def bot_turn(truth: Truth, c: Customer, text: str) -> None:
    """A customer message in bot mode and the bot's whole answer."""
    before = len([m for m in c.messages() if m.get("sender") == "bot"])
    start = len(c.seen)
    await c.say(text)
    truth.customer_messages += 1
    await c.expect("message", timeout=BOT_WAIT, sender="bot")
    await c.drain(0.5)
    assert len([m for m in c.messages() if m.get("sender") == "bot"]) > before
    assert not [f for f in c.seen[start:] if f.get("type") == "state" and f.get("state") == "queued"], \
        "the bot escalated a routine question on its own; the scenario assumes it answers"
    truth.bot_turns += 1


async def escalate(truth: Truth, c: Customer, agents: list[Agent]) -> None:
    await c.send(type="request_human")
    await c.expect("state", state="queued")
    for a in agents:
        await a.expect("escalation")


async def claim(a: Agent, c: Customer) -> None:
    await a.do("claim", conversation_id=c.cid)
    await a.expect("claimed", conversation_id=c.cid)
    await c.expect("state", state="agent")


async def agent_reply(truth: Truth, a: Agent, c: Customer, text: str) -> None:
    await asyncio.sleep(0.3)  # a measurable first response
    await a.reply(c.cid, text)
    truth.agent_messages += 1
    await c.expect("message", sender="agent")


async def customer_says(truth: Truth, c: Customer, text: str) -> None:
    await c.say(text)
    truth.customer_messages += 1


async def drive(gw: str) -> Truth:
    truth = Truth(since_ms=int(time.time() * 1000) - 1)
    sam, ada = await Agent.connect(gw, "sam"), await Agent.connect(gw, "ada")
    agents = truth.agents = [sam, ada]

    async def customer(name: str) -> Customer:
        c = await Customer.connect(gw)
        truth.customers.append(c)
        truth.ids[name] = c.cid
        return c

    # Contained: the bot answers two questions; an admin closes the chat and the customer rates the bot 2.
    c1 = await customer("c1")
    await bot_turn(truth, c1, "when will my new card arrive?")
    await bot_turn(truth, c1, "can I top up by bank transfer?")
    await ada.do("close", conversation_id=c1.cid, resolution="resolved")
    await c1.expect("rating_request")
    await c1.send(type="rating", score=2)
    await c1.expect("message", event="rated")
    # Contained: one question.
    c2 = await customer("c2")
    await bot_turn(truth, c2, "how do I change my PIN?")
    # Escalated, claimed, answered, closed by the agent, rated 5. Sam also tries to claim it twice (conflict).
    c3 = await customer("c3")
    await bot_turn(truth, c3, "I want to know why my card payment was declined")
    await escalate(truth, c3, agents)
    await claim(sam, c3)
    await agent_reply(truth, sam, c3, "Hello, Sam here. Let me look at that payment.")
    await customer_says(truth, c3, "thank you, that is kind")
    await sam.do("claim", conversation_id=c3.cid)
    await sam.expect("error", code="conflict")
    await sam.do("close", conversation_id=c3.cid, resolution="resolved")
    await c3.expect("rating_request")
    await c3.send(type="rating", score=5)
    await c3.expect("message", event="rated")
    # Escalated, claimed, answered, handed back; the bot answers again.
    c4 = await customer("c4")
    await bot_turn(truth, c4, "my card is not working in shops")
    await escalate(truth, c4, agents)
    await claim(sam, c4)
    await agent_reply(truth, sam, c4, "I have reset the card, please try again.")
    await customer_says(truth, c4, "ok it works now")
    await sam.do("handback", conversation_id=c4.cid)
    await c4.expect("state", state="bot")
    await bot_turn(truth, c4, "what is the exchange rate for euros?")
    # Asks for a person straight away, then leaves a call-back message.
    c5 = await customer("c5")
    await escalate(truth, c5, agents)
    await c5.send(type="callback", text="please call me about my account")
    truth.customer_messages += 1
    await c5.expect("state", state="closed")
    # Opens the widget and never writes; sends one frame that is not JSON.
    c6 = await customer("c6")
    await c6.ws.send("this is not json")
    await c6.expect("error", code="bad_json")
    # Still waiting in the queue at the end.
    c7 = await customer("c7")
    await bot_turn(truth, c7, "how long does a transfer to another bank take?")
    await escalate(truth, c7, agents)
    # Claimed and still with Sam at the end, no reply yet.
    c8 = await customer("c8")
    await escalate(truth, c8, agents)
    await claim(sam, c8)
    for c in truth.customers:
        await c.drain(0.3)
    # The agent view of every transcript, once every customer message has its NLU annotation.
    deadline = time.monotonic() + BOT_WAIT
    for name, cid in truth.ids.items():
        while True:
            await ada.do("open", conversation_id=cid)
            transcript = (await ada.expect("transcript", conversation_id=cid))["transcript"]
            pending = [m for m in transcript if m["sender"] == "customer" and "negativity" not in m
                       and m["text"] != "please call me about my account"]  # call-backs skip the NLU
            if not pending or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert not pending, f"{name}: customer messages never annotated"
        truth.transcripts[name] = transcript
    # /metrics refreshes the desk-wide gauges at most every DeskGauges.max_age_s: let a scrape taken before
    # the scenario (the access tests) age out.
    await asyncio.sleep(max(0.0, 6 - (time.time() - truth.since_ms / 1000)))
    return truth


@pytest.fixture(scope="module")
async def scenario(desk_gateway: str) -> Truth:
    return await drive(desk_gateway)


def scrape(gw: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, _, body = http(gw + "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def dashboard(gw: str, cookie: str, **params: Any) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, _, body = http(f"{gw}/api/dashboard?{query}", {"Cookie": cookie})
    assert status == 200, body
    return json.loads(body)


# ---------------------------------------------------------------- access


def test_metrics_need_the_configured_token(desk_gateway: str) -> None:
    assert http(desk_gateway + "/metrics")[0] == 401
    assert http(desk_gateway + "/metrics", {"Authorization": "Bearer wrong"})[0] == 401
    status, headers, body = http(desk_gateway + "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert b"tandem_messages_total" in body


def test_dashboard_page_and_api_need_a_signed_in_agent(desk_gateway: str) -> None:
    status, headers, _ = http(desk_gateway + "/dashboard")
    assert status == 303 and headers["Location"] == "/console"
    status, _, body = http(desk_gateway + "/api/dashboard")
    assert status == 401 and json.loads(body)["error"]["code"] == "unauthorized"
    cookie = login(desk_gateway, "sam", "sam-password-123")
    status, headers, body = http(desk_gateway + "/dashboard", {"Cookie": cookie})
    assert status == 200 and b"dashboard.js" in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_bad_ranges_are_refused_with_the_reason(desk_gateway: str) -> None:
    cookie = login(desk_gateway, "sam", "sam-password-123")
    for query, words in (("bucket=week", "bucket"), ("since=yesterday", "since"),
                         ("since=2025-03-14&until=2025-03-13", "after"),
                         ("since=2020-01-01&until=2025-01-01&bucket=hour", "at most")):
        status, _, body = http(f"{desk_gateway}/api/dashboard?{query}", {"Cookie": cookie})
        assert status == 400, query
        err = json.loads(body)["error"]
        assert err["code"] == "invalid_frame" and words in err["message"]


# ---------------------------------------------------------------- the metrics, against the scenario


def test_messages_by_sender_match_what_was_sent_and_delivered(desk_gateway: str, scenario: Truth) -> None:
    m = scrape(desk_gateway)
    bot_frames = sum(1 for c in scenario.customers for f in c.messages() if f["sender"] == "bot")
    system_frames = sum(1 for c in scenario.customers for f in c.messages() if f["sender"] == "system")
    assert system_frames == 14  # 5 queued, 3 claimed, 2 closed, 2 rated, 1 handback, 1 callback
    assert value(m, "tandem_messages_total", sender="customer") == scenario.customer_messages == 10
    assert value(m, "tandem_messages_total", sender="agent") == scenario.agent_messages == 2
    assert value(m, "tandem_messages_total", sender="bot") == bot_frames
    assert value(m, "tandem_messages_total", sender="system") == system_frames
    assert value(m, "tandem_messages_total", sender="note") == 0


def test_escalations_queue_and_conversation_gauges(desk_gateway: str, scenario: Truth) -> None:
    m = scrape(desk_gateway)
    assert value(m, "tandem_escalations_total", reason="explicit") == 5
    assert value(m, "tandem_escalations_total", reason="negativity") == 0
    assert value(m, "tandem_queue_length") == 1  # c7
    waited = (time.time() * 1000 - scenario.event_ts("c7", "queued")) / 1000
    assert 0 < value(m, "tandem_queue_oldest_wait_seconds") <= waited + 1
    assert value(m, "tandem_conversations_active", state="queued") == 1
    assert value(m, "tandem_conversations_active", state="agent") == 1  # c8
    assert value(m, "tandem_conversations_active", state="bot") == 3  # c2, c4 (handed back), c6
    assert value(m, "tandem_agents_online") == 2
    waits = [scenario.event_ts(n, "claimed") - scenario.event_ts(n, "queued") for n in ("c3", "c4", "c8")]
    assert value(m, "tandem_queue_wait_seconds_count") == 3
    assert value(m, "tandem_queue_wait_seconds_sum") == pytest.approx(sum(waits) / 1000, abs=0.5)


def test_latency_histograms(desk_gateway: str, scenario: Truth) -> None:
    m = scrape(desk_gateway)
    first = [scenario.first_ts(n, "agent") - scenario.event_ts(n, "queued") for n in ("c3", "c4")]
    assert value(m, "tandem_agent_first_response_seconds_count") == 2
    assert value(m, "tandem_agent_first_response_seconds_sum") == pytest.approx(sum(first) / 1000, abs=1e-3)
    assert value(m, "tandem_bot_reply_seconds_count") == scenario.bot_turns == 7
    elapsed = time.time() - scenario.since_ms / 1000
    assert 0 < value(m, "tandem_bot_reply_seconds_sum") < elapsed
    assert value(m, "tandem_bot_reply_seconds_bucket", le="+Inf") == scenario.bot_turns


async def test_open_customer_sockets_are_counted_while_open(desk_gateway: str, scenario: Truth) -> None:
    """Counted here, with the event loop running: idle sockets of earlier (sync) tests may have been
    closed by the server's ping timeout, so only the change this test makes is asserted."""
    def count() -> float:
        return scrape(desk_gateway).get(
            ("tandem_websocket_connections", (("side", "customer"),)), 0.0)

    before = await asyncio.to_thread(count)
    customers = [await Customer.connect(desk_gateway) for _ in range(3)]
    assert await asyncio.to_thread(count) == before + 3
    for c in customers:
        await c.ws.close()
    await asyncio.sleep(0.5)
    assert await asyncio.to_thread(count) == before


def test_errors_and_model(desk_gateway: str, scenario: Truth) -> None:
    m = scrape(desk_gateway)
    assert value(m, "tandem_errors_total", code="bad_json", side="customer") == 1
    assert value(m, "tandem_errors_total", code="conflict", side="agent") == 1
    assert sum(v for (name, _), v in m.items() if name == "tandem_errors_total") == 2
    info = next(dict(labels) for (name, labels), v in m.items() if name == "tandem_model_info" and v == 1)
    assert info["version"] == "tandem" and info["model_id"] != "none"


# ---------------------------------------------------------------- the dashboard, against the scenario


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def test_dashboard_figures_match_the_scenario(desk_gateway: str, scenario: Truth) -> None:
    cookie = login(desk_gateway, "ada", "ada-password-123")
    until = int(time.time() * 1000) + 1
    d = dashboard(desk_gateway, cookie, since=scenario.since_ms, until=until, bucket="hour")
    t = d["totals"]
    assert t["conversations"] == 7  # c6 never wrote nor asked for anyone
    assert (t["contained"], t["containment"]) == (2, round(2 / 7, 4))
    assert (t["escalated"], t["escalation_rate"], t["escalations"]) == (5, round(5 / 7, 4), 5)
    assert t["reasons"] == {"explicit": 5}
    assert t["handovers"] == 3
    ts = scenario.event_ts
    waits = sorted((ts(n, "claimed") - ts(n, "queued")) / 1000 for n in ("c3", "c4", "c8"))
    assert t["queue_wait_s"]["n"] == 3 and t["queue_wait_s"]["median"] == pytest.approx(waits[1], abs=1e-3)
    first = sorted((scenario.first_ts(n, "agent") - ts(n, "queued")) / 1000 for n in ("c3", "c4"))
    assert t["first_response_s"]["n"] == 2
    assert t["first_response_s"]["median"] == pytest.approx(sum(first) / 2, abs=1e-3)
    handle = sorted([(ts("c3", "closed") - ts("c3", "claimed")) / 1000, (ts("c4", "handback") - ts("c4", "claimed")) / 1000])
    assert t["handle_s"]["n"] == 2 and t["handle_s"]["median"] == pytest.approx(sum(handle) / 2, abs=1e-3)
    assert t["ratings"]["bot"]["n"] == 1 and t["ratings"]["bot"]["mean"] == 2.0
    assert t["ratings"]["agent"]["n"] == 1 and t["ratings"]["agent"]["mean"] == 5.0
    # Bucket sums equal the totals, whatever hour boundary the scenario crossed.
    assert sum(b["conversations"] for b in d["series"]) == 7
    assert sum(b["escalations"] for b in d["series"]) == 5


def test_dashboard_negativity_and_intents_match_the_annotated_transcripts(desk_gateway: str,
                                                                        scenario: Truth) -> None:
    """Truth from the agent view (the emotions agents saw on each message), computed here independently."""
    tr = scenario.transcripts

    def customer_negs(name: str, before_event: str | None, after_event: str | None) -> list[float]:
        out, on = [], after_event is None
        for m in tr[name]:
            if after_event is not None and m.get("event") == after_event:
                on = True
            if before_event is not None and m.get("event") == before_event:
                break
            if on and m["sender"] == "customer" and "negativity" in m:
                out.append(m["negativity"])
        return out

    pairs = [(mean(customer_negs(n, "claimed", None)), mean(customer_negs(n, end, "claimed")))
             for n, end in (("c3", "closed"), ("c4", "handback"))]
    def bot_phase(msgs: list[dict]) -> list[dict]:
        """The customer messages sent while the bot had the chat (docs/metrics.md: only those are the bot's)."""
        out, with_bot = [], True
        for m in msgs:
            if m.get("event") in ("queued", "no_agents", "claimed", "closed"):
                with_bot = False
            elif m.get("event") == "handback":
                with_bot = True
            elif with_bot and m["sender"] == "customer":
                out.append(m)
        return out

    judged = [m for msgs in tr.values() for m in bot_phase(msgs)]
    intents = Counter(m["intent"] for m in judged if m.get("intent") and m["intent"] != "nlu_fallback")
    fallbacks = [m["text"] for m in judged if m.get("intent") == "nlu_fallback"]

    cookie = login(desk_gateway, "sam", "sam-password-123")
    d = dashboard(desk_gateway, cookie, since=scenario.since_ms, until=int(time.time() * 1000) + 1, bucket="day")
    neg = d["totals"]["negativity"]
    assert neg["n"] == 2
    assert neg["before"] == pytest.approx(mean([b for b, _ in pairs]), abs=1e-3)
    assert neg["after"] == pytest.approx(mean([a for _, a in pairs]), abs=1e-3)
    assert neg["improved"] == sum(1 for b, a in pairs if a < b)
    expected = sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert [(i["intent"], i["count"]) for i in d["top_intents"]] == expected
    assert sum(f["count"] for f in d["top_fallbacks"]) == len(fallbacks)
    last_intents = []
    for name in ("c3", "c4", "c5", "c7", "c8"):
        before = [m for m in tr[name] if m["sender"] == "customer"
                  and m["seq"] < next(x["seq"] for x in tr[name] if x.get("event") == "queued")]
        last_intents.append(before[-1].get("intent", "none") if before else "none")
    assert sorted((i["intent"], i["count"]) for i in d["escalation_intents"]) == sorted(Counter(last_intents).items())
