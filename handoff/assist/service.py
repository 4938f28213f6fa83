"""Agent assist for one gateway instance: the I/O around the pure parts (drafts.py, summary.py,
similarity.py, proposals.py).

- Every customer message's parse is noted as assist needs it (intent ranking, entities): the parse the
  gateway already makes (handoff/gateway/turns.py), never a second one.
- In agent mode, each customer message gets drafts at once, pushed to the conversation's agents as a
  `suggestions` event; the console asks for the summary and the latest drafts when it opens a chat.
- A conversation that closed well (resolved, or rated 4-5) adds its (customer message, agent reply) pairs to
  the index in Redis (redacted, with the message's MiniLM vector); every instance follows that stream.

The encoder runs on its own thread (onnxruntime releases the GIL), so the event loop never waits on it.
Nothing here may fail a customer's turn or an agent's action: errors are logged and the drafts are fewer.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from handoff.admin.inbox import Inbox
from handoff.assist import answers as answers_mod
from handoff.assist import drafts as drafts_mod
from handoff.assist import proposals, summary
from handoff.assist.encoder import TextEncoder
from handoff.assist.similarity import Entry, VectorIndex, closed_well, reply_pairs
from handoff.core import errors
from handoff.core.clock import now_ms
from handoff.reporting import redaction
from handoff.storage import keys
from handoff.storage.assist_index import AssistRecords
from handoff.storage.store import Store

log = logging.getLogger(__name__)
RANKING_KEPT = 4
MAX_TEXT = 2000


def parse_record(parse_data: dict[str, Any]) -> dict[str, Any]:
    """What assist keeps of a parse: the top intents and the entities (never the text: it is in the log)."""
    ranking = [{"name": str(r.get("name")), "confidence": round(float(r.get("confidence") or 0.0), 4)}
               for r in (parse_data.get("intent_ranking") or [])[:RANKING_KEPT] if r.get("name")]
    if not ranking and (parse_data.get("intent") or {}).get("name"):
        intent = parse_data["intent"]
        ranking = [{"name": str(intent["name"]), "confidence": round(float(intent.get("confidence") or 0), 4)}]
    entities = [{"entity": str(e.get("entity")), "value": str(e.get("value"))[:100]}
                for e in (parse_data.get("entities") or [])[:10] if isinstance(e, dict) and e.get("entity")]
    return {"ranking": ranking, "entities": entities}


def _vector_b64(v: np.ndarray) -> str:
    return base64.b64encode(np.asarray(v, np.float32).tobytes()).decode()


def _vector(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), np.float32)


class Assist:
    def __init__(self, records: AssistRecords, store: Store, inbox: Inbox, root: Path,
                 use_encoder: bool = True) -> None:
        self.records, self.store, self.inbox, self.root = records, store, inbox, Path(root)
        self.use_encoder = use_encoder
        self.encoder: TextEncoder | None = None
        self.index = VectorIndex()
        self._cursor = "0-0"
        self._sync_lock = asyncio.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="assist-encoder")
        self._answers: tuple[float, dict[str, list[str]]] | None = None
        self._loading: asyncio.Future | None = None  # the encoder being loaded (start)

    # ------------------------------------------------------------ life

    async def start(self) -> None:
        """Load the encoder (a few seconds, on its thread); the composition root calls it before the server
        serves. Whatever needs a vector waits for the load (`ready`); without an encoder (it failed, or
        ASSIST_ENCODER=0) drafts are the bot's answers only."""
        if self.use_encoder:
            self._loading = asyncio.ensure_future(self._load())
            await asyncio.shield(self._loading)

    async def _load(self) -> None:
        try:
            self.encoder = await asyncio.get_running_loop().run_in_executor(self._pool, self._load_encoder)
            await self._sync()
            log.info("agent assist: encoder ready; %d past replies in the index", len(self.index))
        except Exception:
            log.exception("agent assist: the encoder could not be loaded; drafts will be the bot's answers only")
            self.encoder = None

    @staticmethod
    def _load_encoder() -> TextEncoder:
        encoder = TextEncoder.configured()
        encoder.encode(["warm up"])  # builds the onnxruntime session now, not in the first agent's chat
        return encoder

    def stop(self) -> None:
        if self._loading is not None:
            self._loading.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def ready(self) -> bool:
        """Wait for the encoder to finish loading; True when there is one."""
        if self._loading is not None:
            await asyncio.shield(self._loading)
        return self.encoder is not None

    async def _encode(self, texts: list[str]) -> np.ndarray | None:
        if not texts or not await self.ready():
            return None
        encoder = self.encoder
        assert encoder is not None  # ready() said so
        return await asyncio.get_running_loop().run_in_executor(self._pool, encoder.encode, texts)

    def answers(self) -> dict[str, list[str]]:
        """The answers per intent, re-read when a domain file or the accepted answers change."""
        files = sorted((self.root / "domain").glob("*.yml")) + [self.root / answers_mod.ACCEPTED_FILE]
        stamp = max((f.stat().st_mtime for f in files if f.exists()), default=0.0)
        if self._answers is None or self._answers[0] != stamp:
            self._answers = (stamp, answers_mod.answers(self.root))
        return self._answers[1]

    async def _sync(self) -> None:
        """Follow the index stream: entries other instances (or this one) added since the last look."""
        async with self._sync_lock:
            while True:
                found = await self.records.read_index(self._cursor, 2000)
                if not found:
                    return
                entries, vectors = [], []
                for eid, e in found:
                    try:
                        v = _vector(e["v"])
                        if v.shape[0] != self.index.dim:
                            continue  # written by another encoder size
                        entries.append(Entry(eid, str(e["c"]), str(e["r"]), str(e.get("i") or "")))
                        vectors.append(v)
                    except (KeyError, ValueError, TypeError):
                        continue
                if entries:
                    self.index.add(entries, np.stack(vectors))
                self._cursor = found[-1][0]

    # ------------------------------------------------------------ per customer message

    async def note_parse(self, cid: str, seq: int, parse_data: dict[str, Any] | None) -> None:
        """Keep a bot-mode message's parse for the summary and the drafts of a later claim (never raises)."""
        if not parse_data:
            return
        try:
            await self.records.note_parse(cid, seq, parse_record(parse_data))
        except Exception as exc:  # noqa: BLE001 — a by-product; the customer's turn must not fail
            log.warning("assist: could not note the parse of message %d (%s)", seq, type(exc).__name__)

    async def on_agent_message(self, cid: str, seq: int, text: str, parsing: asyncio.Future | None) -> None:
        """A customer message in an agent's chat: drafts pushed to the agents watching (never raises).

        The vector is computed while the parse is still running. When the vector is ready first and the parse
        is not, the past replies go out at once (`partial`: the bot's answers follow with the parse), so a slow
        parse never holds back what does not need it; then the full set."""
        try:
            encoding = asyncio.ensure_future(self._encode([text]))
            vectors = await encoding
            vector = None if vectors is None else vectors[0]
            conv = await self.store.get(cid) or {}
            if parsing is not None and not parsing.done() and vector is not None:
                partial = await self._drafts(cid, seq, [], vector, conv, save=False)
                if partial:
                    await self.store.publish(keys.ch_conv(cid), {"kind": "suggestions", "seq": seq,
                                                                 "drafts": partial, "partial": True})
            parse_data = None
            if parsing is not None:
                try:
                    parse_data = await asyncio.shield(parsing)
                except Exception:  # noqa: BLE001 — drafts without the bot's answers, then
                    parse_data = None
            record = parse_record(parse_data) if parse_data else {"ranking": [], "entities": []}
            if parse_data:
                await self.records.note_parse(cid, seq, record)
            drafts = await self._drafts(cid, seq, record["ranking"], vector, conv)
            await self.store.publish(keys.ch_conv(cid), {"kind": "suggestions", "seq": seq, "drafts": drafts})
        except Exception as exc:  # noqa: BLE001
            log.warning("assist: no drafts for message %d of %s (%s)", seq, cid, type(exc).__name__)

    async def _drafts(self, cid: str, seq: int, ranking: list[dict[str, Any]], vector: np.ndarray | None,
                      conv: dict[str, Any], save: bool = True) -> list[dict[str, Any]]:
        neighbours = []
        if vector is not None:
            await self._sync()
            neighbours = self.index.search(vector, k=drafts_mod.MAX_DRAFTS)
        names = [n for n in ((conv.get("customer") or {}).get("name"), conv.get("agent_name")) if n]
        chosen = drafts_mod.suggest(ranking, self.answers(), neighbours, names)
        out = [d.as_json() for d in chosen]
        if save:
            await self.records.save_drafts(cid, seq, out)
        return out

    async def view(self, cid: str) -> dict[str, Any]:
        """What the console shows on opening a chat: the summary and the drafts for the latest customer message
        (made now from its noted parse if none were made yet, e.g. the message that led to the hand-over)."""
        conv = await self.store.get(cid)
        if conv is None:
            raise errors.NotFound("conversation not found")
        transcript = await self.store.read_log(cid, 0, count=10_000, with_nlu=True)
        parses = await self.records.parses(cid)
        out: dict[str, Any] = {"conversation_id": cid, "summary": summary.summarize(conv, transcript, parses),
                               "seq": None, "drafts": []}
        last = next((m for m in reversed(transcript) if m.get("sender") == "customer"), None)
        if last is not None:
            seq = int(last["seq"])
            drafts = await self.records.drafts(cid, seq)
            if drafts is None:
                vectors = await self._encode([str(last.get("text") or "")])
                ranking = (parses.get(seq) or {}).get("ranking") or []
                drafts = await self._drafts(cid, seq, ranking, None if vectors is None else vectors[0], conv)
            out["seq"], out["drafts"] = seq, drafts
        return out

    # ------------------------------------------------------------ the index

    async def on_closed(self, cid: str) -> int:
        """A closed (or just rated) conversation: its replies join the index if it went well (never raises)."""
        try:
            conv = await self.store.get(cid)
            if conv is None or not closed_well(conv):
                return 0
            return await self.index_conversation(cid, conv)
        except Exception as exc:  # noqa: BLE001
            log.warning("assist: could not index conversation %s (%s)", cid, type(exc).__name__)
            return 0

    async def index_conversation(self, cid: str, conv: dict[str, Any]) -> int:
        transcript = await self.store.read_log(cid, 0, count=10_000, with_nlu=True)
        pairs = reply_pairs([dict(m) for m in transcript])
        if not pairs or not await self.ready():
            return 0
        names = [n for n in ((conv.get("customer") or {}).get("name"), conv.get("agent_name")) if n]
        names += [str(r.get("agent_name")) for _, r in pairs if r.get("agent_name")]
        customers = [redaction.redact(str(c["text"])[:MAX_TEXT], names) for c, _ in pairs]
        vectors = await self._encode(customers)
        if vectors is None:
            return 0
        entries = [{"c": c, "r": redaction.redact(str(r["text"])[:MAX_TEXT], names), "i": str(m.get("intent") or ""),
                    "v": _vector_b64(v), "cid": cid, "ts": now_ms()}
                   for c, (m, r), v in zip(customers, pairs, vectors)]
        added = await self.records.add_to_index(cid, entries)
        if added:
            log.info("assist: %d replies of conversation %s joined the index", added, cid)
        return added

    # ------------------------------------------------------------ counts and proposals

    async def record(self, counter: str, n: int = 1) -> None:
        await self.records.count(counter, n)

    async def counts(self) -> dict[str, int]:
        return await self.records.counts()

    async def propose(self, user: dict[str, Any], body: dict[str, Any], intents: list[str]) -> str:
        """An agent's "teach the bot": into the NLU inbox (source agent_proposal) with its details kept."""
        cid, seq, kind, intent = proposals.parse(body, intents)
        conv = await self.store.get(cid)
        if conv is None:
            raise errors.NotFound("conversation not found")
        transcript = await self.store.read_log(cid, 0, count=10_000)
        customer, reply = proposals.check_reply([dict(m) for m in transcript], seq, user["username"])
        parse = (await self.records.parse(cid, int(customer["seq"]))) or {}
        ranking = parse.get("ranking") or []
        parse_data = {"intent": ranking[0] if ranking else {}, "intent_ranking": ranking}
        iid = await self.inbox.add(str(customer["text"]), parse_data, proposals.SOURCE, conversation_id=cid,
                                   seq=int(customer["seq"]), suggested=intent, suggested_by=user["username"])
        if iid is None:
            raise errors.InvalidFrame("the customer's message is empty once personal data is removed")
        names = [n for n in ((conv.get("customer") or {}).get("name"), user.get("display_name")) if n]
        await self.records.save_proposal(iid, {
            "kind": kind, "intent": intent, "reply": redaction.redact(str(reply["text"]), names),
            "agent": user["username"], "conversation_id": cid, "seq": seq, "ts": now_ms()})
        await self.records.count("proposed")
        return iid

    def intents(self) -> list[str]:
        """The assistant's intents (the domain's, the admin's included), for the propose form; reads files."""
        from handoff.admin.training_data import TrainingData

        return TrainingData(self.root).intents()
