"""Every Redis-backed part of the desk over one client, built without I/O and started by the server.

`Storage.build(settings)` is what the composition root (handoff/app.py) calls: it makes the client and every
record class on it, so nothing outside handoff.storage ever holds the client. `start()` waits for Redis
(bounded retries, then a loud failure) and starts the pub/sub hub; `stop()` undoes both.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from handoff.settings import Settings
from handoff.storage import store as store_mod
from handoff.storage.accounts import AccountRecords, LoginFailures, Sessions
from handoff.storage.assist_index import AssistRecords
from handoff.storage.canned import CannedResponses
from handoff.storage.history import History
from handoff.storage.hub import Hub
from handoff.storage.inbox import InboxRecords
from handoff.storage.intent_names import IntentNames
from handoff.storage.models import ModelRecords
from handoff.storage.my_canned import PersonalCanned
from handoff.storage.retraining import RetrainRecords
from handoff.storage.topology import Topology


@dataclass(frozen=True)
class Storage:
    store: store_mod.Store  # conversations, transcripts, queue, presence
    hub: Hub  # this instance's one pub/sub connection
    accounts: AccountRecords
    sessions: Sessions
    login_failures: LoginFailures
    canned: CannedResponses
    inbox: InboxRecords
    models: ModelRecords
    retraining: RetrainRecords
    history: History  # closed conversations, indexed for search (issue #24)
    my_canned: PersonalCanned  # each agent's own canned replies (issue #24)
    intent_names: IntentNames  # admins' readable names of intents (issue #24)
    assist: AssistRecords  # agent assist (handoff/assist/)
    client: aioredis.Redis  # for start() and stop(); the record classes above are the way in

    @classmethod
    def build(cls, settings: Settings) -> Storage:
        client = Topology.of(settings).client(health_check_interval=30)
        store = store_mod.Store(client, settings.conversation_ttl_s, wait_replicas=settings.redis_wait_replicas,
                                wait_timeout_ms=settings.redis_wait_timeout_ms)
        return cls(store=store, hub=Hub.for_client(client),
                   accounts=AccountRecords(client), sessions=Sessions(client, settings.session_ttl_s),
                   login_failures=LoginFailures(client, settings.login_window_s), canned=CannedResponses(client),
                   inbox=InboxRecords(client), models=ModelRecords(client), retraining=RetrainRecords(client),
                   history=History(client, settings.conversation_ttl_s), my_canned=PersonalCanned(client),
                   intent_names=IntentNames(client),
                   assist=AssistRecords(client, settings.conversation_ttl_s),
                   client=client)

    async def start(self) -> None:
        """Wait for Redis (errors.Unavailable after bounded retries), then start the hub."""
        await store_mod.wait_until_reachable(self.client)
        await store_mod.warn_if_old_keys(self.client)
        await self.hub.start()

    async def stop(self) -> None:
        await self.hub.stop()
        if getattr(self.client, "is_cluster", False):
            await self.client.aclose()  # its per-node clients too (handoff/storage/cluster.py)
        else:
            await self.client.close()
