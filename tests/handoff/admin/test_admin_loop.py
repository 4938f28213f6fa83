"""The whole learning loop on real parts, while a customer's websocket stays open throughout:

customer messages the running bot gets wrong → the NLU inbox → an admin labels them (a new intent with its
answer) → retraining (`python -m bot.train --config config.reduced.yml --max-per-intent 25`) → the comparison
report → activation on the running gateway → the same message on the same socket now gets the new answer →
one-click rollback brings the old model back.

Real gateway process, real Redis, real action server, real Rasa training; the project is a scratch copy
(tests/admin_workspace.py) so the repository's data/ is never written. CPU-heavy (a few minutes): marked
`model` like the other tests that need the trained reduced model.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.admin_workspace import admin_env, make_workspace, signed_in, wait_for_job, wait_until_live
from tests.gateway import ACCOUNTS, LiveGateway, seed_accounts, start_gateway
from tests.handoff.clients import BOT_WAIT, Customer
from tests.support import TIME_SCALE, stop

pytestmark = [pytest.mark.model, pytest.mark.timeout(int(2400 * TIME_SCALE))]
LOOP_DB = 8
INTENT = "branch_opening_hours"
ANSWER = "Harbour Bank branches are open 9:00 to 17:00 on weekdays and 9:00 to 13:00 on Saturdays."
# Branch opening hours are not among Banking77's intents: the running bot cannot get these right.
MESSAGES = [
    "what time does the branch on harbour street open on saturday",
    "what are the opening times of my local branch",  # "are your branches open..." now reads as a product question
    "when does my local branch close today",
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("admin-loop") / "project")


@pytest.fixture(scope="module")
def gateway(redis_url: str, reduced_model: Path, action_server_url: str, workspace: Path,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    url = redis_url.rsplit("/", 1)[0] + f"/{LOOP_DB}"
    seed_accounts(url)
    # Unsure below 0.8 goes to the inbox; the comparison uses 2 held-out examples per intent to stay quick.
    gw = start_gateway(url, reduced_model, action_server_url, tmp_path_factory.mktemp("admin-loop-gw"), "gw-admin",
                       extra_env=admin_env(workspace, INBOX_THRESHOLD="0.8", RETRAIN_EVAL_MAX_PER_INTENT="2"))
    try:
        yield gw
    finally:
        stop(gw.proc)


async def bot_reply(customer: Customer, text: str) -> str:
    """Say `text`; the bot's next message after its ack."""
    ack = await customer.say(text)
    while True:
        frame = await customer.expect("message", timeout=BOT_WAIT, sender="bot")
        if frame["seq"] > ack["seq"]:
            return frame["text"]


async def still_connected(customer: Customer) -> None:
    await customer.send(type="ping")
    await customer.expect("pong")


async def test_label_retrain_compare_activate_and_the_open_socket_gets_the_new_answer(
        gateway: LiveGateway, workspace: Path) -> None:
    # `customer` is the witness: connected before anything is labelled, it greets the bot now and asks
    # MESSAGES[0] after activation. It does not ask MESSAGES[0] before as well: asking the same question
    # again after a fallback is, rightly, the escalation policy's "repeated failure". The wrong answers
    # before come from customers of their own.
    customer = await Customer.connect(gateway)
    admin = signed_in(gateway, "ada", ACCOUNTS["ada"][0])
    agent = signed_in(gateway, "sam", ACCOUNTS["sam"][0])

    # 1. The running bot gets them wrong, and (being unsure) puts them in the inbox.
    assert await bot_reply(customer, "hello")  # the witness is live before anything changes
    before, asked_by = [], {}
    for text in MESSAGES:
        other = await Customer.connect(gateway)
        before.append(await bot_reply(other, text))
        asked_by[text] = other.cid
        await other.close()
    assert ANSWER not in before
    inbox = admin.get(gateway + "/api/admin/inbox", timeout=30).json()
    waiting = {i["text"]: i for i in inbox["items"]}
    assert set(MESSAGES) <= set(waiting), f"not all in the inbox: {sorted(waiting)}"
    assert waiting[MESSAGES[0]]["conversation_id"] == asked_by[MESSAGES[0]]
    assert all(waiting[t]["intent"] != INTENT for t in MESSAGES)
    assert agent.get(gateway + "/api/admin/inbox", timeout=30).status_code == 403

    # 2. The admin labels them with a new intent and its answer.
    resp = admin.post(gateway + "/api/admin/inbox/label", timeout=30,
                      json={"ids": [waiting[t]["id"] for t in MESSAGES], "intent": INTENT, "answer": ANSWER})
    assert resp.json() == {"labelled": 3, "intent": INTENT, "new_intent": True}
    labelled = (workspace / "data" / "nlu" / "inbox_labelled.yml").read_text()
    assert "".join(f"    - {t}\n" for t in sorted(MESSAGES)) in labelled  # sorted, one per line
    assert (workspace / "data" / "core" / "admin_rules.yml").exists()

    # 3. Retrain in the background; the customer's socket stays connected and answered meanwhile.
    job = admin.post(gateway + "/api/admin/retrain", json={}, timeout=30).json()["job"]
    assert job["state"] == "preparing" and job["running_version"] == "base"
    assert admin.post(gateway + "/api/admin/retrain", json={}, timeout=30).status_code == 409
    loop = asyncio.get_running_loop()
    pings = 0

    def keep_alive(_job: dict) -> None:
        nonlocal pings
        asyncio.run_coroutine_threadsafe(still_connected(customer), loop).result(30)
        pings += 1

    job, lines = await asyncio.to_thread(wait_for_job, admin, gateway, 1800, keep_alive)
    assert job["state"] == "ready", f"{job['error']}: {lines[-10:]}"
    assert pings >= 3
    assert any(line.startswith("trained ") for line in lines)  # bot.train's own last line came through
    assert any("inbox messages now right" in line for line in lines)
    version = job["version"]
    assert job["report"]["now_right"] == 3

    # 4. The comparison: same held-out sample for both, per-intent changes, the inbox messages now right.
    report = admin.get(f"{gateway}/api/admin/models/{version}/report", timeout=30).json()["report"]
    assert report["running"]["version"] == "base" and report["candidate"]["version"] == version
    assert report["running"]["examples"] == report["candidate"]["examples"] > 100
    for side in ("running", "candidate"):
        assert 0 < report[side]["accuracy"] <= 1 and 0 < report[side]["macro_f1"] <= 1
    assert report["verdict"] in ("better", "same", "worse")
    assert all(r["delta"] > 0 for r in report["better"]) and all(r["delta"] < 0 for r in report["worse"])
    now_right = {r["text"]: r for r in report["inbox"]["now_right"]}
    assert set(now_right) == set(MESSAGES)
    assert all(r["candidate"] == INTENT and r["running"] != INTENT for r in now_right.values())
    # The new intent's own line: three labels are all trained on (a fourth would have one kept back to score).
    assert [(r["intent"], r["trained_on"], r["held_out"]) for r in report["new_intents"]] == [(INTENT, 3, 0)]
    meta = json.loads((workspace / "models" / "versions" / version / "meta.json").read_text())
    assert meta["by"] == "ada" and meta["config"] == "config.reduced.yml" and meta["max_per_intent"] == 25

    # 5. Activate: the gateway swaps the model in-process; the same socket gets the new answer.
    await still_connected(customer)
    assert admin.post(gateway + "/api/admin/models/activate", json={"version": version}, timeout=30).status_code == 200
    models = await asyncio.to_thread(wait_until_live, admin, gateway, version)
    assert models["active"]["previous"] == "base"
    assert await bot_reply(customer, MESSAGES[0]) == ANSWER
    assert not any(f.get("type") == "error" for f in customer.seen)

    # 6. One click back: the old model answers again; the witness is still connected.
    assert admin.post(gateway + "/api/admin/models/rollback", json={}, timeout=30).json()["active"]["version"] == "base"
    await asyncio.to_thread(wait_until_live, admin, gateway, "base")
    later = await Customer.connect(gateway)
    assert await bot_reply(later, MESSAGES[0]) != ANSWER
    await later.close()
    await still_connected(customer)
    audit = [json.loads(x) for x in (workspace / "data" / "audit" / "models.jsonl").read_text().splitlines()]
    assert [(r["action"], r["version"], r["by"]) for r in audit] == [("activate", version, "ada"),
                                                                      ("rollback", "base", "ada")]
    await customer.close()
