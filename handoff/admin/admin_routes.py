"""The admin page's API: NLU inbox, labels, retraining, comparison, activation, rollback, thresholds.

Every route requires a signed-in account with role admin (checked against the account on each request,
as the console's routes do); the Origin check and JSON body rules are the gateway's (handoff.gateway.http_api).
The page itself is static (handoff/static/admin/) and served at /admin by the gateway.

The services behind the routes (handoff/admin/loop.py) are built and started by the composition root
(handoff/app.py), which hands them to `add_admin_routes`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import yaml
from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.escalation.signals import Thresholds
from handoff.admin import knob_preview, live_knobs
from handoff.admin.inbox import MAX_TEXT, REASONS, redact
from handoff.admin.loop import AdminLoop
from handoff.admin.model_registry import BASE
from handoff.admin.retrain import check_thresholds, config_thresholds, threshold_fields
from handoff.core import errors, protocol
from handoff.gateway.web import RequestAuth, guarded, json_body
from handoff.storage import analytics_store
from handoff.storage.store import Store

log = logging.getLogger(__name__)
QUERY_MAX = 200


def _ids(body: dict[str, Any]) -> list[str]:
    ids = body.get("ids")
    if not isinstance(ids, list):
        raise errors.InvalidFrame("ids must be a list of inbox item ids")
    return ids


def _str(body: dict[str, Any], name: str, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise errors.InvalidFrame(f"{name} must be a non-empty string")
    return value.strip()


def _active_config(admin: AdminLoop, active: str) -> dict[str, Any] | None:
    """The training config of the model every instance runs now (the project's for the base model); None when
    it cannot be read."""
    try:
        path = admin.registry.version_dir(active) / "config.yml" if active != BASE else None
    except errors.NotFound:
        path = None
    if path is None or not path.exists():
        path = Path(admin.settings.project_root) / admin.settings.retrain_config
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None


def _live_thresholds(config: dict[str, Any] | None) -> dict[str, Any]:
    """The escalation thresholds in that config (defaults where it is silent)."""
    defaults = {f["name"]: f["default"] for f in threshold_fields()}
    block = config_thresholds(config or {}) or {}
    return {k: block.get(k, v) for k, v in defaults.items()}


def _model_fallback(config: dict[str, Any] | None) -> float | None:
    """The FallbackClassifier threshold in that config (None: none in its pipeline, or no config)."""
    for step in (config or {}).get("pipeline") or []:
        if str(step.get("name", "")).endswith("FallbackClassifier"):
            return float(step.get("threshold", 0.3))  # Rasa's default
    return None


def add_admin_routes(bp: Blueprint, *, who: RequestAuth, loop: AdminLoop | None, store: Store) -> None:
    """/api/admin/* (docs/admin.md); all of them for role admin only. `loop` None: the learning loop is off on
    this instance, and every route says so (503)."""

    async def ready(request: Request) -> tuple[AdminLoop, dict[str, Any]]:
        user = await who.user(request, admin=True)
        if loop is None:
            raise errors.Unavailable("the admin loop is not running on this instance (it failed at start-up; "
                                     "see the server log)")
        return loop, user

    # ------------------------------------------------------------ inbox

    @bp.get("/api/admin/inbox")
    @guarded
    async def inbox_list(request: Request) -> HTTPResponse:
        admin, _ = await ready(request)
        q = request.args.get("q", "")[:QUERY_MAX]
        reason = request.args.get("reason", "")
        if reason and reason not in REASONS:
            raise errors.InvalidFrame(f"reason must be one of {', '.join(REASONS)}")
        found = await admin.inbox.search(status=request.args.get("status", "open"), q=q, reason=reason,
                                         intent=request.args.get("intent", "")[:64])
        return response.json(found)

    @bp.post("/api/admin/inbox/label")
    @guarded
    async def inbox_label(request: Request) -> HTTPResponse:
        admin, user = await ready(request)
        body = json_body(request)
        intent, answer = _str(body, "intent"), _str(body, "answer", required=False)
        items = await admin.inbox.items(_ids(body))
        new = await asyncio.to_thread(admin.data.label, [i["text"] for i in items], intent, user["username"],
                                      answer or None, [i["id"] for i in items])
        await admin.inbox.set_labelled([i["id"] for i in items], intent, user["username"])
        return response.json({"labelled": len(items), "intent": intent, "new_intent": new})

    async def decide(request: Request, action: str) -> HTTPResponse:
        admin, user = await ready(request)
        items = await admin.inbox.items(_ids(json_body(request)))
        ids = [i["id"] for i in items]
        # The training data first: if the file cannot be written, the inbox still says what it said.
        await asyncio.to_thread(admin.data.unlabel, [i["text"] for i in items], user["username"], action, ids)
        if action == "ignore":
            await admin.inbox.set_ignored(ids, user["username"])
        elif action == "reopen":
            await admin.inbox.reopen(ids)
        else:
            await admin.inbox.delete(ids)
        return response.json({action: len(ids)})

    @bp.post("/api/admin/inbox/ignore")
    @guarded
    async def inbox_ignore(request: Request) -> HTTPResponse:
        return await decide(request, "ignore")

    @bp.post("/api/admin/inbox/reopen")
    @guarded
    async def inbox_reopen(request: Request) -> HTTPResponse:
        return await decide(request, "reopen")

    @bp.post("/api/admin/inbox/delete")
    @guarded
    async def inbox_delete(request: Request) -> HTTPResponse:
        return await decide(request, "delete")

    @bp.post("/api/admin/examples")
    @guarded
    async def add_example(request: Request) -> HTTPResponse:
        """An example written by hand: `text` for `intent` (a new intent needs its `answer`), personal data
        removed as for inbox items, written and audited exactly as a label from the inbox."""
        admin, user = await ready(request)
        body = json_body(request)
        text, intent, answer = _str(body, "text"), _str(body, "intent"), _str(body, "answer", required=False)
        clean = redact(text)
        if len(text) > MAX_TEXT or not clean.strip():
            raise errors.InvalidFrame(f"text must be 1-{MAX_TEXT} characters")
        new = await asyncio.to_thread(admin.data.label, [clean], intent, user["username"], answer or None)
        return response.json({"text": clean, "intent": intent, "new_intent": new}, status=201)

    @bp.post("/api/inbox/correction")
    @guarded
    async def correction(request: Request) -> HTTPResponse:
        """An agent flags a customer message the bot got wrong (the agents' way into the inbox): the
        conversation's own agent or an admin; `intent`, optional, is what the customer meant."""
        user = await who.user(request)
        if loop is None:
            raise errors.Unavailable("the admin loop is not running on this instance (it failed at start-up; "
                                     "see the server log)")
        admin = loop
        body = json_body(request)
        cid, seq, intent = body.get("conversation_id"), body.get("seq"), body.get("intent") or ""
        if not isinstance(cid, str) or not protocol.ID_RE.match(cid):
            raise errors.InvalidFrame("conversation_id must be a conversation id")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise errors.InvalidFrame("seq must be the sequence number of a customer message")
        if not isinstance(intent, str) or (intent and intent not in await asyncio.to_thread(admin.data.intents)):
            raise errors.InvalidFrame("intent must be one of the assistant's intents")
        conv = await store.get(cid)
        if conv is None:
            raise errors.NotFound("conversation not found")
        if user["role"] != "admin" and conv.get("agent") != user["username"]:
            raise errors.Forbidden("only the conversation's agent or an admin can flag its messages")
        found = await store.read_log(cid, after_seq=seq - 1, count=1, with_nlu=True)
        if not found or found[0]["seq"] != seq or found[0].get("sender") != "customer":
            raise errors.NotFound("no customer message with that seq in this conversation")
        msg = found[0]
        parse = {"intent": {"name": msg.get("intent") or "", "confidence": msg.get("confidence") or 0.0}}
        iid = await admin.inbox.add(msg["text"], parse, "agent_correction", conversation_id=cid, seq=seq,
                                    suggested=intent, suggested_by=user["username"])
        return response.json({"id": iid}, status=201)

    @bp.get("/api/admin/intents")
    @guarded
    async def intents(request: Request) -> HTTPResponse:
        admin, _ = await ready(request)
        names = await asyncio.to_thread(admin.data.intents)
        created = await asyncio.to_thread(admin.data.admin_intents)
        return response.json({"intents": names, "admin_intents": created})

    @bp.get("/api/admin/audit")
    @guarded
    async def audit(request: Request) -> HTTPResponse:
        admin, _ = await ready(request)
        return response.json({"labels": await asyncio.to_thread(admin.data.read_audit, "labels", 50),
                              "models": await asyncio.to_thread(admin.data.read_audit, "models", 50)})

    # ------------------------------------------------------------ retraining

    @bp.post("/api/admin/retrain")
    @guarded
    async def retrain_start(request: Request) -> HTTPResponse:
        admin, user = await ready(request)
        job = await admin.retrainer.start(user["username"])
        return response.json({"job": job}, status=202)

    @bp.get("/api/admin/retrain")
    @guarded
    async def retrain_status(request: Request) -> HTTPResponse:
        admin, _ = await ready(request)
        return response.json(await admin.retrainer.status(request.args.get("after", "0-0")))

    @bp.post("/api/admin/retrain/cancel")
    @guarded
    async def retrain_cancel(request: Request) -> HTTPResponse:
        admin, _ = await ready(request)
        await admin.retrainer.cancel()
        return response.json({"cancelled": True})

    # ------------------------------------------------------------ models

    @bp.get("/api/admin/models")
    @guarded
    async def models(request: Request) -> HTTPResponse:
        admin, _ = await ready(request)
        active = await admin.registry.active()
        return response.json({
            "active": active, "versions": await asyncio.to_thread(admin.registry.versions),
            "instances": await admin.registry.instances(), "history": await admin.registry.history(),
            "this_instance": admin.settings.instance})

    @bp.get("/api/admin/models/<version:str>/report")
    @guarded
    async def report(request: Request, version: str) -> HTTPResponse:
        admin, _ = await ready(request)
        return response.json({"version": version, "report": await asyncio.to_thread(admin.registry.report, version)})

    @bp.post("/api/admin/models/activate")
    @guarded
    async def activate(request: Request) -> HTTPResponse:
        admin, user = await ready(request)
        version = _str(json_body(request), "version")
        active = await admin.registry.activate(version, user["username"])
        await asyncio.to_thread(admin.data.audit, "models", {"action": "activate", "by": user["username"],
                                                             "version": version, "previous": active["previous"]})
        return response.json({"active": active})

    @bp.post("/api/admin/models/rollback")
    @guarded
    async def rollback(request: Request) -> HTTPResponse:
        admin, user = await ready(request)
        active = await admin.registry.rollback(user["username"])
        await asyncio.to_thread(admin.data.audit, "models", {"action": "rollback", "by": user["username"],
                                                             "version": active["version"],
                                                             "previous": active["previous"]})
        return response.json({"active": active})

    # ------------------------------------------------------------ escalation thresholds

    @bp.get("/api/admin/escalation")
    @guarded
    async def escalation(request: Request) -> HTTPResponse:
        admin, _ = await ready(request)
        active = (await admin.registry.active())["version"]
        config = await asyncio.to_thread(_active_config, admin, active)
        model = _live_thresholds(config)
        overrides = await admin.retrainer.thresholds()
        # "model": what the active model was trained with; "live": what every instance decides with now, the
        # saved values on top (handoff/admin/live_knobs.py), which the next retrained model is built with too.
        model_cut = _model_fallback(config)
        live_cut = await admin.retrainer.records.fallback_threshold()
        return response.json({"fields": threshold_fields(), "overrides": overrides, "model": model,
                              "live": {**model, **overrides}, "active_version": active,
                              "fallback": {"model": model_cut, "live": live_cut if live_cut is not None else model_cut,
                                           "override": live_cut}})

    @bp.put("/api/admin/fallback")
    @guarded
    async def fallback_save(request: Request) -> HTTPResponse:
        """{threshold: 0..1 | null}: the FallbackClassifier's cut, live on every instance within seconds."""
        admin, user = await ready(request)
        value = json_body(request).get("threshold")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1):
            raise errors.InvalidFrame("threshold must be a number between 0 and 1, or null for the model's own")
        await admin.retrainer.records.set_fallback_threshold(None if value is None else float(value))
        await live_knobs.announce(store.publish)
        await asyncio.to_thread(admin.data.audit, "models", {"action": "fallback_threshold", "by": user["username"],
                                                             "value": value})
        return response.json({"threshold": value})

    @bp.put("/api/admin/escalation")
    @guarded
    async def escalation_save(request: Request) -> HTTPResponse:
        admin, user = await ready(request)
        values = json_body(request).get("values")
        if not isinstance(values, dict):
            raise errors.InvalidFrame("values must be an object of threshold name -> number")
        saved = await admin.retrainer.save_thresholds(values)
        await live_knobs.announce(store.publish)  # every instance's policy uses them from its next turn
        await asyncio.to_thread(admin.data.audit, "models", {"action": "thresholds", "by": user["username"],
                                                             "values": saved})
        return response.json({"overrides": saved})

    @bp.post("/api/admin/escalation/preview")
    @guarded
    async def escalation_preview(request: Request) -> HTTPResponse:
        """What `values` would have done to the last `last` conversations (handoff/admin/knob_preview.py)."""
        admin, _ = await ready(request)
        body = json_body(request)
        values, last = body.get("values"), body.get("last", knob_preview.DEFAULT_LAST)
        if not isinstance(values, dict):
            raise errors.InvalidFrame("values must be an object of threshold name -> number")
        if isinstance(last, bool) or not isinstance(last, int) or not 1 <= last <= knob_preview.MAX_LAST:
            raise errors.InvalidFrame(f"last must be a whole number from 1 to {knob_preview.MAX_LAST}")
        proposed_values = check_thresholds(values)
        active = (await admin.registry.active())["version"]
        model = _live_thresholds(await asyncio.to_thread(_active_config, admin, active))
        current = Thresholds.from_config({**model, **await admin.retrainer.thresholds()})
        proposed = Thresholds.from_config({**model, **proposed_values})
        records = await analytics_store.latest_records(store, last)
        result = await asyncio.to_thread(knob_preview.preview, records, current, proposed)
        return response.json({**result, "last": last})
