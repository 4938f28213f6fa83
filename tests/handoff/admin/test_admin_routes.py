"""The admin API (handoff/admin/admin_routes.py) on a real gateway process, a real Redis and a scratch project.

The gateway runs without the Rasa model (LOAD_BOT=0): inbox items are put in the way the gateway's hook
does (handoff.admin.inbox.Inbox), and nothing here trains. Who may call what, and what bad input gets, is the
point; the whole learning loop with a real model is test_admin_loop.py.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from handoff.admin.inbox import Inbox
from handoff.storage import store as store_mod
from handoff.storage.inbox import InboxRecords
from tests.admin_workspace import admin_env, make_workspace, signed_in
from tests.gateway import ACCOUNTS, LiveGateway, seed_accounts, start_gateway
from tests.handoff.clients import Customer
from tests.support import ROOT, stop

ADMIN_DB = 7
T = 30


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("admin-routes") / "project")


@pytest.fixture(scope="module")
def gateway(redis_url: str, workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    url = redis_url.rsplit("/", 1)[0] + f"/{ADMIN_DB}"
    seed_accounts(url)
    gw = start_gateway(url, ROOT / "models" / "unused", "http://127.0.0.1:9/webhook",
                       tmp_path_factory.mktemp("admin-routes-gw"), "admin-routes",
                       extra_env=admin_env(workspace, LOAD_BOT="0"), timeout=120)
    try:
        yield gw
    finally:
        stop(gw.proc)


def as_user(gateway: str, username: str) -> requests.Session:
    return signed_in(gateway, username, ACCOUNTS[username][0])


def add_to_inbox(gateway: LiveGateway, *texts: str, intent: str = "card_arrival", confidence: float = 0.3) -> list[str]:
    async def run() -> list[str]:
        client = await store_mod.connect(gateway.redis_url)
        try:
            inbox = Inbox(InboxRecords(client))
            return [await inbox.maybe_add({"text": t, "intent": {"name": intent, "confidence": confidence},
                                           "intent_ranking": []}, conversation_id="c" * 32, seq=1) for t in texts]
        finally:
            await client.close()

    return asyncio.run(run())


ROUTES = [("GET", "/api/admin/inbox", None), ("POST", "/api/admin/inbox/label", {"ids": [], "intent": "x"}),
          ("POST", "/api/admin/inbox/ignore", {"ids": []}), ("POST", "/api/admin/inbox/reopen", {"ids": []}),
          ("POST", "/api/admin/inbox/delete", {"ids": []}), ("GET", "/api/admin/intents", None),
          ("GET", "/api/admin/audit", None), ("POST", "/api/admin/retrain", {}), ("GET", "/api/admin/retrain", None),
          ("POST", "/api/admin/retrain/cancel", {}), ("GET", "/api/admin/models", None),
          ("GET", "/api/admin/models/base/report", None), ("POST", "/api/admin/models/activate", {"version": "base"}),
          ("POST", "/api/admin/models/rollback", {}), ("GET", "/api/admin/escalation", None),
          ("PUT", "/api/admin/escalation", {"values": {}})]


def test_an_agent_is_refused_every_admin_route_and_a_stranger_is_asked_to_sign_in(gateway: LiveGateway) -> None:
    agent, stranger = as_user(gateway, "sam"), requests.Session()
    for method, path, body in ROUTES:
        resp = agent.request(method, gateway + path, json=body, timeout=T)
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["error"]["code"] == "forbidden"
        assert stranger.request(method, gateway + path, json=body, timeout=T).status_code == 401, (method, path)


def test_the_admin_page_is_served_with_a_strict_content_security_policy(gateway: LiveGateway) -> None:
    resp = requests.get(gateway + "/admin", timeout=T)
    assert resp.status_code == 200 and "Tandem admin" in resp.text
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    for asset in ("admin.js", "inbox.js", "training.js", "escalation.js", "admin.css"):
        assert requests.get(f"{gateway}/static/admin/{asset}", timeout=T).status_code == 200, asset


def test_a_foreign_origin_cannot_change_anything(gateway: LiveGateway) -> None:
    admin = as_user(gateway, "ada")
    resp = admin.post(gateway + "/api/admin/retrain", json={}, headers={"Origin": "https://evil.example"}, timeout=T)
    assert resp.status_code == 403


def test_label_a_group_then_ignore_reopen_and_delete_over_http(gateway: LiveGateway, workspace: Path) -> None:
    admin = as_user(gateway, "ada")
    a, b, c = add_to_inbox(gateway, "my plastic hasnt come", "where is the card i ordered", "lol ok")
    found = admin.get(gateway + "/api/admin/inbox", params={"q": "ORDERED"}, timeout=T).json()
    assert [i["text"] for i in found["items"]] == ["where is the card i ordered"]
    resp = admin.post(gateway + "/api/admin/inbox/label", json={"ids": [a, b], "intent": "card_arrival"}, timeout=T)
    assert resp.json() == {"labelled": 2, "intent": "card_arrival", "new_intent": False}
    labelled = (workspace / "data" / "nlu" / "inbox_labelled.yml").read_text()
    assert "    - my plastic hasnt come\n    - where is the card i ordered\n" in labelled
    assert admin.post(gateway + "/api/admin/inbox/ignore", json={"ids": [c]}, timeout=T).json() == {"ignore": 1}
    assert admin.get(gateway + "/api/admin/inbox", timeout=T).json()["total"] == 0
    done = admin.get(gateway + "/api/admin/inbox", params={"status": "labelled"}, timeout=T).json()["items"]
    assert {i["id"]: i["label"] for i in done} == {a: "card_arrival", b: "card_arrival"}
    assert admin.post(gateway + "/api/admin/inbox/reopen", json={"ids": [a]}, timeout=T).json() == {"reopen": 1}
    assert "my plastic" not in (workspace / "data" / "nlu" / "inbox_labelled.yml").read_text()
    assert admin.post(gateway + "/api/admin/inbox/delete", json={"ids": [a, c]}, timeout=T).json() == {"delete": 2}
    audit = [json.loads(line) for line in (workspace / "data" / "audit" / "labels.jsonl").read_text().splitlines()]
    assert [(r["action"], r["by"]) for r in audit][-6:] == [
        ("label", "ada"), ("label", "ada"), ("ignore", "ada"), ("reopen", "ada"), ("delete", "ada"), ("delete", "ada")]


def test_a_new_intent_over_http_needs_an_answer_and_then_appears_in_the_intent_list(gateway: LiveGateway,
                                                                                    workspace: Path) -> None:
    admin = as_user(gateway, "ada")
    (iid,) = add_to_inbox(gateway, "do you do mortgages", intent="nlu_fallback", confidence=0.2)
    resp = admin.post(gateway + "/api/admin/inbox/label", json={"ids": [iid], "intent": "mortgage_info"}, timeout=T)
    assert resp.status_code == 400 and "answer" in resp.json()["error"]["message"]
    resp = admin.post(gateway + "/api/admin/inbox/label", timeout=T, json={
        "ids": [iid], "intent": "mortgage_info", "answer": "We don't offer mortgages yet <b>sorry</b>."})
    assert resp.json()["new_intent"] is True
    intents = admin.get(gateway + "/api/admin/intents", timeout=T).json()
    assert "mortgage_info" in intents["intents"] and "card_arrival" in intents["intents"]
    assert intents["admin_intents"] == {"mortgage_info": "We don't offer mortgages yet <b>sorry</b>."}
    domain = yaml.safe_load((workspace / "domain" / "admin_intents.yml").read_text())
    assert domain["responses"]["utter_mortgage_info"] == [{"text": "We don't offer mortgages yet <b>sorry</b>."}]


def test_bad_input_gets_a_clear_error_and_changes_nothing(gateway: LiveGateway) -> None:
    admin = as_user(gateway, "ada")
    (iid,) = add_to_inbox(gateway, "bad input check")
    cases = [
        ("POST", "/api/admin/inbox/label", {"ids": [iid], "intent": "Not An Intent"}, 400, "invalid_frame"),
        ("POST", "/api/admin/inbox/label", {"ids": iid, "intent": "card_arrival"}, 400, "invalid_frame"),
        ("POST", "/api/admin/inbox/label", {"ids": ["0" * 16], "intent": "card_arrival"}, 404, "not_found"),
        ("POST", "/api/admin/inbox/ignore", {"ids": ["<script>"]}, 400, "invalid_frame"),
        ("GET", "/api/admin/inbox?status=all", None, 400, "invalid_frame"),
        ("GET", "/api/admin/inbox?reason=bored", None, 400, "invalid_frame"),
        ("GET", "/api/admin/retrain?after=x", None, 400, "invalid_frame"),
        ("GET", "/api/admin/models/..%2Fetc/report", None, 404, "not_found"),
        ("POST", "/api/admin/models/activate", {"version": "20990101-000000"}, 404, "not_found"),
        ("POST", "/api/admin/models/activate", {}, 400, "invalid_frame"),
        ("POST", "/api/admin/models/rollback", {}, 409, "bad_state"),
        ("POST", "/api/admin/retrain/cancel", {}, 409, "bad_state"),
        ("PUT", "/api/admin/escalation", {"values": {"rolling_threshold": 3}}, 400, "invalid_frame"),
        ("PUT", "/api/admin/escalation", {"values": [1]}, 400, "invalid_frame"),
    ]
    for method, path, body, status, code in cases:
        resp = admin.request(method, gateway + path, json=body, timeout=T)
        assert (resp.status_code, resp.json()["error"]["code"]) == (status, code), (method, path, resp.text)
        assert "<script>" not in resp.text
    resp = admin.post(gateway + "/api/admin/inbox/label", data="not json", timeout=T,
                      headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert admin.get(gateway + "/api/admin/inbox", params={"q": "bad input"}, timeout=T).json()["total"] == 1


def test_escalation_thresholds_are_live_at_once_kept_for_the_next_model_and_audited(gateway: LiveGateway,
                                                                                     workspace: Path) -> None:
    admin = as_user(gateway, "ada")
    before = admin.get(gateway + "/api/admin/escalation", timeout=T).json()
    assert before["live"]["rolling_threshold"] == next(f["default"] for f in before["fields"]
                                                       if f["name"] == "rolling_threshold")
    resp = admin.put(gateway + "/api/admin/escalation", json={"values": {"rolling_threshold": 0.65}}, timeout=T)
    assert resp.json() == {"overrides": {"rolling_threshold": 0.65}}
    after = admin.get(gateway + "/api/admin/escalation", timeout=T).json()
    assert after["overrides"] == {"rolling_threshold": 0.65}
    assert after["model"] == before["model"] == before["live"]  # the active model is unchanged ...
    assert after["live"] == {**before["live"], "rolling_threshold": 0.65}  # ... and the saved value is in force
    record = json.loads((workspace / "data" / "audit" / "models.jsonl").read_text().splitlines()[-1])
    assert (record["action"], record["by"], record["values"]) == ("thresholds", "ada", {"rolling_threshold": 0.65})


def test_models_lists_the_base_model_as_active(gateway: LiveGateway) -> None:
    models = as_user(gateway, "ada").get(gateway + "/api/admin/models", timeout=T).json()
    assert models["active"]["version"] == "base" and models["active"]["previous"] is None
    assert models["versions"][-1]["version"] == "base"
    assert models["this_instance"] == "admin-routes"


async def test_an_agent_flags_a_message_the_bot_got_wrong_into_the_inbox(gateway: LiveGateway) -> None:
    customer = await Customer.connect(gateway)
    cid, seq = customer.cid, (await customer.say("the app charged me twice for one coffee"))["seq"]
    await customer.close()
    path = gateway + "/api/inbox/correction"
    agent = as_user(gateway, "sam")
    resp = agent.post(path, json={"conversation_id": cid, "seq": seq}, timeout=T)
    assert resp.status_code == 403  # not sam's conversation
    admin = as_user(gateway, "ada")
    for body, status in (({"conversation_id": cid, "seq": seq + 50}, 404), ({"conversation_id": "x", "seq": seq}, 400),
                         ({"conversation_id": cid, "seq": seq, "intent": "not_an_intent"}, 400),
                         ({"conversation_id": cid, "seq": True}, 400)):
        assert admin.post(path, json=body, timeout=T).status_code == status, body
    resp = admin.post(path, json={"conversation_id": cid, "seq": seq, "intent": "transaction_charged_twice"},
                      timeout=T)
    assert resp.status_code == 201
    item = next(i for i in admin.get(gateway + "/api/admin/inbox", params={"reason": "agent_correction"},
                                     timeout=T).json()["items"] if i["id"] == resp.json()["id"])
    assert (item["text"], item["suggested"], item["suggested_by"]) == (
        "the app charged me twice for one coffee", "transaction_charged_twice", "ada")
    anonymous = await asyncio.to_thread(requests.post, path, json={"conversation_id": cid, "seq": seq}, timeout=T)
    assert anonymous.status_code == 401


def test_threshold_preview_replays_the_stored_conversations_as_by_hand(gateway: LiveGateway) -> None:
    """Three stored conversations (tests/handoff/admin/test_knob_preview.py works out each by hand): with
    spike_level 0.45 the annoyed one is handed over in addition; nothing is saved by a preview."""
    from tests.handoff.admin.test_knob_preview import ANNOYED, ASKED, CALM

    async def store_them() -> list[str]:
        client = await store_mod.connect(gateway.redis_url)
        try:
            store, ids = store_mod.Store(client), []
            for rec in (CALM, ANNOYED, ASKED):
                cid, _ = await store.create_conversation({}, "en")
                for m in rec.messages:
                    body = {k: v for k, v in m.items() if k in ("sender", "text", "event")}
                    seq, _, _ = await store.append(cid, body)  # type: ignore[arg-type]
                    if m["sender"] == "customer":
                        await store.annotate(cid, seq, {k: m[k] for k in ("intent", "confidence", "negativity",
                                                                          "emotions")})
                ids.append(cid)
            return ids
        finally:
            await client.close()

    ids = asyncio.run(store_them())
    admin = as_user(gateway, "ada")
    admin.put(gateway + "/api/admin/escalation", json={"values": {}}, timeout=T)
    resp = admin.post(gateway + "/api/admin/escalation/preview",
                      json={"values": {"spike_level": 0.45}, "last": 3}, timeout=T)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert {k: got[k] for k in ("conversations", "handovers_now", "handovers_proposed", "more", "fewer")} == {
        "conversations": 3, "handovers_now": 1, "handovers_proposed": 2, "more": 1, "fewer": 0}
    assert got["more_examples"][0]["conversation_id"] == ids[1]
    assert admin.get(gateway + "/api/admin/escalation", timeout=T).json()["overrides"] == {}
    bad = admin.post(gateway + "/api/admin/escalation/preview", json={"values": {"spike_level": 2}}, timeout=T)
    assert bad.status_code == 400 and "spike_level" in bad.text


def test_an_example_added_by_hand_is_redacted_written_and_audited_like_a_label(gateway: LiveGateway,
                                                                              workspace: Path) -> None:
    admin = as_user(gateway, "ada")
    resp = admin.post(gateway + "/api/admin/examples", json={
        "text": "can I order a metal card, my email is kim@example.com", "intent": "metal_card_order",
        "answer": "Yes: Cards → Order a metal card."}, timeout=T)
    assert resp.status_code == 201, resp.text
    assert resp.json()["new_intent"] is True and "kim@example.com" not in resp.json()["text"]
    written = (workspace / "data" / "nlu" / "inbox_labelled.yml").read_text()
    assert "can I order a metal card, my email is" in written and "kim@example.com" not in written
    record = json.loads((workspace / "data" / "audit" / "labels.jsonl").read_text().splitlines()[-1])
    assert (record["action"], record["intent"], record["by"]) == ("label", "metal_card_order", "ada")
    missing = admin.post(gateway + "/api/admin/examples", json={"text": "hi", "intent": "no_such_intent_x"}, timeout=T)
    assert missing.status_code == 400 and "answer" in missing.text
    assert as_user(gateway, "sam").post(gateway + "/api/admin/examples",
                                        json={"text": "x", "intent": "greet"}, timeout=T).status_code == 403
