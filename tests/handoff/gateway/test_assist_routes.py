"""Agent assist through a real gateway (no Rasa model: LOAD_BOT=0) and a real Redis: a chat that closed
resolved teaches the drafts of the next similar one, pushed to its agent and never to its customer; the
console's assist API answers only the agents who may see the chat; proposals reach the admins' list."""
from __future__ import annotations

import asyncio
from typing import Any

import requests

from tests.gateway import ACCOUNTS, LiveGateway
from tests.handoff.clients import WAIT, Agent, claimed

FIRST = "my new card never arrived, it has been two weeks"
REPLY = "Sorry about the wait. I've cancelled that card and ordered a replacement by tracked delivery."
SECOND = "my new card still hasn't come after two weeks"


def session(gateway: str, username: str) -> requests.Session:
    http = requests.Session()
    resp = http.post(gateway + "/api/login", json={"username": username, "password": ACCOUNTS[username][0]},
                     timeout=WAIT)
    assert resp.status_code == 200, resp.text
    return http


async def suggestions_for(agent: Agent, cid: str, seq: int) -> dict[str, Any]:
    while True:
        frame = await agent.expect("suggestions", timeout=WAIT * 3, conversation_id=cid)
        if frame["seq"] == seq:
            return frame


async def test_a_resolved_chat_teaches_the_next_similar_chat_and_only_its_agent_sees_the_drafts(
        bare_gateway: LiveGateway) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    first = await claimed(bare_gateway, sam)
    await first.say(FIRST)
    await sam.reply(first.cid, REPLY)
    await sam.do("close", conversation_id=first.cid, resolution="resolved")
    await first.expect("state", state="closed")

    second = await claimed(bare_gateway, sam)
    for _ in range(50):  # the index is fed in the background after the close
        ack = await second.say(SECOND)
        frame = await suggestions_for(sam, second.cid, ack["seq"])
        if frame["drafts"]:
            break
        await asyncio.sleep(0.2)
    past = [d for d in frame["drafts"] if d["kind"] == "past_reply"]
    assert past, frame
    assert past[0]["text"] == REPLY and past[0]["similarity"] >= 0.5
    assert not [f for f in second.seen if f.get("type") == "suggestions"]  # the customer never gets drafts
    assert REPLY not in str(second.seen)

    mine = await asyncio.to_thread(session(bare_gateway, "sam").get,
                                   f"{bare_gateway}/api/assist/conversations/{second.cid}", timeout=WAIT)
    assert mine.status_code == 200
    view = mine.json()
    assert view["seq"] == ack["seq"] and view["drafts"] == frame["drafts"]
    assert view["summary"]["lines"][0].startswith("The customer (not signed in)")

    other = session(bare_gateway, "alex")
    resp = await asyncio.to_thread(other.get, f"{bare_gateway}/api/assist/conversations/{second.cid}", timeout=WAIT)
    assert resp.status_code == 403
    resp = await asyncio.to_thread(requests.get, f"{bare_gateway}/api/assist/conversations/{second.cid}", timeout=WAIT)
    assert resp.status_code == 401


async def test_an_agent_proposes_a_sent_reply_and_the_admin_sees_and_rejects_it(bare_gateway: LiveGateway) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    customer = await claimed(bare_gateway, sam)
    await customer.say("how long does a new card take to arrive")
    sent = await sam.reply(customer.cid, "Usually 3-5 working days after you order it.")
    http = session(bare_gateway, "sam")
    body = {"conversation_id": customer.cid, "seq": sent["seq"], "kind": "answer", "intent": "card_arrival"}

    alex = await Agent.connect(bare_gateway, "alex")
    resp = await asyncio.to_thread(session(bare_gateway, "alex").post, f"{bare_gateway}/api/assist/proposals",
                                   json=body, timeout=WAIT)
    assert resp.status_code == 403  # not alex's chat, not alex's reply
    await alex.close()
    bad = await asyncio.to_thread(http.post, f"{bare_gateway}/api/assist/proposals",
                                  json={**body, "intent": "no_such_intent"}, timeout=WAIT)
    assert bad.status_code == 400 and "intent" in bad.json()["error"]["message"]
    made = await asyncio.to_thread(http.post, f"{bare_gateway}/api/assist/proposals", json=body, timeout=WAIT)
    assert made.status_code == 201, made.text
    iid = made.json()["id"]

    admin = session(bare_gateway, "ada")
    listed = (await asyncio.to_thread(admin.get, f"{bare_gateway}/api/admin/proposals", timeout=WAIT)).json()
    mine = next(i for i in listed["items"] if i["id"] == iid)
    assert mine["kind"] == "answer" and mine["proposed_intent"] == "card_arrival" and mine["agent"] == "sam"
    assert mine["reply"] == "Usually 3-5 working days after you order it."
    assert listed["counts"]["proposed"] >= 1
    assert (await asyncio.to_thread(http.get, f"{bare_gateway}/api/admin/proposals", timeout=WAIT)).status_code == 403
    rejected = await asyncio.to_thread(admin.post, f"{bare_gateway}/api/admin/proposals/reject", json={"id": iid},
                                       timeout=WAIT)
    assert rejected.status_code == 200
    after = (await asyncio.to_thread(admin.get, f"{bare_gateway}/api/admin/proposals?status=ignored",
                                     timeout=WAIT)).json()
    assert iid in [i["id"] for i in after["items"]]


async def test_draft_events_are_counted_and_bad_ones_refused(bare_gateway: LiveGateway) -> None:
    sam = await Agent.connect(bare_gateway, "sam")
    customer = await claimed(bare_gateway, sam)
    http = session(bare_gateway, "sam")
    admin = session(bare_gateway, "ada")
    before = (await asyncio.to_thread(admin.get, f"{bare_gateway}/api/admin/proposals", timeout=WAIT)).json()["counts"]
    for event, count, status in (("used", 1, 200), ("shown", 3, 200), ("shown", 4, 400), ("sent", 1, 400)):
        resp = await asyncio.to_thread(http.post, f"{bare_gateway}/api/assist/events",
                                       json={"conversation_id": customer.cid, "event": event, "count": count},
                                       timeout=WAIT)
        assert resp.status_code == status, (event, count, resp.text)
    after = (await asyncio.to_thread(admin.get, f"{bare_gateway}/api/admin/proposals", timeout=WAIT)).json()["counts"]
    assert after["used"] == before["used"] + 1 and after["shown"] == before["shown"] + 3
    dashboard = await asyncio.to_thread(http.get, f"{bare_gateway}/api/assist/counts", timeout=WAIT)
    assert dashboard.status_code == 200 and dashboard.json()["counts"] == after  # the dashboard's card
    anonymous = await asyncio.to_thread(requests.get, f"{bare_gateway}/api/assist/counts", timeout=WAIT)
    assert anonymous.status_code == 401
