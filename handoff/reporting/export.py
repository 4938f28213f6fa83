"""`python -m handoff.reporting.export --since 2025-03-01 --until 2025-03-07 [--out file.jsonl]`: conversations as
JSON lines, personal data redacted, for analysts.

What leaves: every message's text through `redaction` (spaCy PERSON names, the customer's and agents' own
names, cards, IBANs, e-mails, phones, account numbers), the bot's intents and emotions, the escalation
reason, timings, resolution and rating — the same per-conversation facts the dashboard counts.
What stays behind: the customer's name, id and cards, client ids, conversation tokens, agents' display
names; agents appear as "agent-1", "agent-2", ... numbered within one export.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from handoff import settings as settings_mod
from handoff.core import errors
from handoff.reporting import analytics, redaction
from handoff.reporting.analytics import ConversationRecord
from handoff.storage import analytics_store, local_redis
from handoff.storage import store as store_mod

# Fields of a stored message an analyst gets (after redaction of `text`).
MESSAGE_FIELDS = ("seq", "ts", "sender", "event", "intent", "confidence", "negativity", "emotions")


class Pseudonyms:
    """agent username -> "agent-N", stable within one export."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, username: str) -> str:
        return self.names.setdefault(username, f"agent-{len(self.names) + 1}")


def export_record(record: ConversationRecord, ner: redaction.NameFinder | None, agents: Pseudonyms) -> dict[str, Any]:
    """One JSON line: the conversation without its personal data."""
    known = record.names

    def clean(text: str) -> str:
        return redaction.redact(text, names=known, ner=ner)

    messages = []
    for m in record.messages:
        out: dict[str, Any] = {k: m[k] for k in MESSAGE_FIELDS if m.get(k) is not None}
        if m.get("text"):
            out["text"] = clean(str(m["text"]))
        if m.get("agent"):
            out["agent"] = agents(str(m["agent"]))
        if m.get("buttons"):
            out["buttons"] = [clean(str(b.get("title", ""))) for b in m["buttons"]]
        messages.append(out)
    f = analytics.facts(record)
    return {
        "conversation_id": record.conversation_id,
        "created_ms": record.created_ms,
        "state": record.state,
        "resolution": record.resolution or None,
        "rating": record.rating,
        "rating_comment": clean(record.rating_comment) if record.rating_comment else None,
        "handled_by": f.handled_by,
        "contained": f.contained,
        "escalations": f.escalations,
        "handovers": [{"queue_wait_s": h.queue_wait_s, "first_response_s": h.first_response_s,
                       "handle_s": h.handle_s, "negativity_before": h.negativity_before,
                       "negativity_after": h.negativity_after} for h in f.handovers],
        "messages": messages,
    }


def write_lines(records: Iterable[ConversationRecord], out: TextIO, ner: redaction.NameFinder | None) -> int:
    agents = Pseudonyms()
    n = 0
    for record in records:
        out.write(json.dumps(export_record(record, ner, agents), ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        n += 1
    return n


async def export(redis_url: str, since_ms: int, until_ms: int, out: TextIO,
                 ner: redaction.NameFinder | None) -> int:
    client = await store_mod.connect(redis_url)
    try:
        records, _ = await analytics_store.records_between(store_mod.Store(client), since_ms, until_ms,
                                                           limit=10**9)
    finally:
        await client.close()
    return write_lines(records, out, ner)


def _write_atomically(path: Path, write: Any) -> int:
    """All lines or no file: a failed export never leaves half a file that looks complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            n = write(fh)
        os.replace(tmp, path)
        return n
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff.reporting.export",
                                     description="Conversations as JSON lines, personal data redacted.")
    parser.add_argument("--since", required=True, help="ISO date or date-time (UTC), or ms since the epoch")
    parser.add_argument("--until", required=True, help="exclusive; a bare date includes that whole day")
    parser.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    parser.add_argument("--redis-url", default=None, help="default: REDIS_URL, else the desk's own Redis")
    args = parser.parse_args(argv)
    try:
        since, until = analytics.parse_time(args.since, "since"), analytics.parse_until(args.until)
    except ValueError as exc:
        parser.error(str(exc))
    if until <= since:
        parser.error("--until must be after --since")
    cfg = settings_mod.load()
    url = args.redis_url or cfg.redis_url
    started = None
    if not url:
        url, started = local_redis.ensure_project_redis(Path(cfg.data_dir))  # loads the desk's saved data
    try:
        ner = redaction.spacy_person_finder()

        def write(fh: TextIO) -> int:
            return asyncio.run(export(url, since, until, fh, ner))

        n = _write_atomically(args.out, write) if args.out else write(sys.stdout)
    except errors.TandemError as exc:
        print(f"export failed: {exc.message}", file=sys.stderr)
        return 1
    finally:
        local_redis.stop_started(started)
    print(f"exported {n} conversation(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
