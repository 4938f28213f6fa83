"""The services of one gateway instance, as the composition root (handoff/app.py) built them.

A typed record, not a locator: the channel (handoff/gateway/channel.py) names the fields each socket and
route module needs and passes them on as arguments; nothing below it ever sees the record.
"""

from __future__ import annotations

from dataclasses import dataclass

from handoff.accounts.auth import Accounts, Login
from handoff.admin.answer_feedback import AnswerFeedback
from handoff.admin.loop import AdminLoop
from handoff.assist.service import Assist
from handoff.assistant.bot_bridge import BotBridge
from handoff.assistant.nlu_workers import NluWorkers
from handoff.gateway.desk import Desk
from handoff.gateway.drain import Drain
from handoff.gateway.turns import Turns
from handoff.gateway.web import RequestAuth
from handoff.settings import Settings
from handoff.storage.backend import Storage


@dataclass(frozen=True)
class Services:
    settings: Settings
    storage: Storage  # every Redis-backed record class, and the hub
    accounts: Accounts
    login: Login
    who: RequestAuth  # who is behind a request's session cookie
    bot: BotBridge
    nlu_workers: NluWorkers | None  # None: customer messages are parsed in the gateway's process
    desk: Desk
    turns: Turns
    admin: AdminLoop | None  # None: the learning loop failed at start-up; its routes say so
    drain: Drain  # open sockets, and whether this instance is leaving (SIGTERM: handoff/gateway/drain.py)
    assist: Assist  # agent assist: drafts, summary, index of good replies (docs/assist.md)
    feedback: AnswerFeedback | None = None  # the bot's answers rated and flagged (handoff/admin/answer_feedback.py)
