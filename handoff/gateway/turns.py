"""What happens to a stored customer message: NLU for the agents, and in bot mode only, a Rasa turn.

Runs through Desk.submit, one message at a time per conversation and independent of the socket that
sent it, so a customer who closes the tab still finds the bot's answer when they come back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from bot import live_fallback
from handoff.admin import mistakes
from handoff.admin.inbox import Inbox
from handoff.assist.service import Assist
from handoff.assistant.bot_bridge import BotBridge
from handoff.core import conversation as sm
from handoff.core import errors, protocol
from handoff.core.protocol import State
from handoff.gateway.desk import Desk
from handoff.reporting import metrics
from handoff.settings import Settings
from handoff.storage import keys
from handoff.storage.store import Echo, Store

log = logging.getLogger(__name__)
# A pending turn older than the bot timeout plus this is orphaned: the instance that took it is gone.
ORPHAN_GRACE_S = 5.0
TYPING_OFF = {"kind": "typing", "sender": "bot", "on": False}


class Turns:
    """Built once by the composition root; the customer socket hands each stored message to `process`.

    `echo`: hands a published event to this instance's listeners at once (Hub.echo): the customer waiting
    for an answer is almost always connected here."""

    def __init__(self, desk: Desk, store: Store, bot: BotBridge, inbox: Inbox, echo: Echo,
                 settings: Settings, assist: Assist | None = None) -> None:
        self.desk, self.store, self.bot, self.inbox, self.echo = desk, store, bot, inbox, echo
        self.settings = settings
        self.assist = assist  # drafts for the agent, the parse noted for the summary (handoff/assist/)

    async def process(self, cid: str, customer: dict[str, Any], seq: int, text: str, state: State,
                      announce: bool = False, parsing: asyncio.Future | None = None,
                      metadata: dict[str, Any] | None = None) -> None:
        """The bot's turn for customer message `seq`. Its "typing" was announced by the append that stored the
        message (handoff/storage/lua.py APPEND); `announce` says it again (a turn re-run by `recover`).
        `parsing`: the message's parse, started before it was stored (BotBridge.parse_soon). `metadata`: more
        Rasa metadata for the turn ({"proactive": true} for an accepted site event).

        While queued the bot still answers, marked `while_queued`, unless the customer switched that off:
        nobody waits in silence for a person to answer a routine question."""
        desk, bot, store, echo = self.desk, self.bot, self.store, self.echo
        queued = state is State.QUEUED and await self._answers_while_queued(cid)
        if queued:
            announce = True  # the append announces typing only in bot mode

        def parse_started() -> asyncio.Future:
            """The message's parse: the one started before it was stored, else one started now."""
            return parsing if parsing is not None else asyncio.ensure_future(bot.parse(text))

        if state is not State.BOT and not queued:
            # Agent mode (or queued with the bot switched off): the bot must not see it, but the agent still gets
            # the emotions, and the agent's drafts come from the same parse.
            parse = parse_started() if bot.ready else None

            async def annotate() -> None:
                if parse is not None:
                    try:
                        parse_data = await parse
                        await desk.annotate(cid, seq, parse_data)
                        # An unsure parse is a candidate for the inbox too, marked as sent to the queue or a person.
                        await self.inbox.maybe_add(parse_data, conversation_id=cid, seq=seq,
                                                   threshold=self.settings.inbox_threshold, state=state.value)
                        if self.assist is not None and state is State.QUEUED:  # for the summary and drafts at claim
                            await self.assist.note_parse(cid, seq, parse_data)
                    except Exception as exc:  # noqa: BLE001 - emotions are a nicety; the message is already stored
                        log.warning("NLU for an agent-mode message failed (%s)", type(exc).__name__)

            jobs = [annotate()]
            if self.assist is not None and state is State.AGENT:  # drafts for the agent, from the same parse
                jobs.append(self.assist.on_agent_message(cid, seq, text, parse))
            await asyncio.gather(*jobs)
            return
        if announce:
            await store.publish(keys.ch_conv(cid), {"kind": "typing", "sender": "bot", "on": True})
        # Rasa takes the conversation's lock and reads its tracker while the parse is still running
        # (handoff/assistant/awaitable_parse.py), as its REST channel does before its in-process parse.
        parse = live_fallback_applied(parse_started())  # the admin's live fallback threshold, if any
        ended = False
        form: str | None = None
        try:
            started = time.perf_counter()
            if queued:
                await bot.resume_if_paused(cid)  # the escalation paused it; a person has not taken over yet
            turn = await bot.turn(cid, text, customer, parse, metadata)
            if queued and turn.handoff is not None:
                # Already on the way to a person: not a second hand-over, just say that one is still coming.
                turn.messages = [{"text": sm.STILL_QUEUED_TEXT}]
                turn.handoff = None
            form = turn.form
            if not turn.messages and turn.handoff is None:
                # Rasa swallows a failed custom action (action server down) and answers nothing: never silence.
                raise errors.Unavailable("the bot turn produced no answer")
            log.debug("bot turn (NLU included): %.0f ms", (time.perf_counter() - started) * 1000)
            # Stored only while the bot or the queue has the chat: after a takeover the bot stays silent.
            ended = True  # reply() ends the turn whatever it stores
            mark = {protocol.WHILE_QUEUED: True} if queued else {}
            await store.reply(cid, seq, [{"sender": "bot", **shown, **mark} for shown in turn.messages],
                              (State.BOT, State.QUEUED), TYPING_OFF, echo=echo)
            if turn.messages:
                metrics.record_bot_reply(time.perf_counter() - started)
        except Exception as exc:
            if isinstance(exc, (errors.Unavailable, asyncio.TimeoutError)):
                log.warning("the bot is unavailable (%s) for conversation %s", type(exc).__name__, cid)
            else:
                log.exception("the bot failed on conversation %s", cid)
            # Never silence: say so, and offer a person (unless one is already coming).
            if not queued:
                await store.append(cid, sm.bot_unavailable_note().message(), echo=echo)
            return
        finally:
            if not ended:
                await store.end_turn(cid, seq, TYPING_OFF, echo=echo)
            parse_data = await _parsed(parse)  # a failed turn's message still gets its emotions
            if parse_data is not None and form:
                parse_data = {**parse_data, "form": form}
            if parse_data is not None:
                await self._annotate(cid, seq, parse_data)
        if turn.handoff is not None:
            await desk.escalate(cid, turn.handoff, paused_by_bot=True)

    async def _answers_while_queued(self, cid: str) -> bool:
        """The desk allows it (BOT_WHILE_QUEUED), the bot is loaded, and the customer did not switch it off."""
        if not self.settings.bot_while_queued or not self.bot.ready:
            return False
        conv = await self.desk.conv(cid)
        return conv["state"] is State.QUEUED and conv.get("bot_while_queued") != "0"

    async def recover(self, cid: str, customer: dict[str, Any]) -> None:
        """Answer the customer message whose bot turn died with its instance (kill -9 after the ack).

        The append that stored the message marked its turn pending (handoff/storage/lua.py APPEND); the turn
        clears it. A customer who reconnects to any instance runs this: a marker older than the bot timeout
        plus a grace is taken over by exactly one instance (TAKE_STALE_TURN) and the turn runs again there; a
        younger one may still be answered by its owner, so this waits and asks again. Only the latest pending
        message is answered, as the bot would have answered it.
        """
        desk, store = self.desk, self.store
        grace_ms = int((self.settings.bot_timeout_s + ORPHAN_GRACE_S) * 1000)
        for _ in range(3):  # each wait restarts only if a newer message was sent meanwhile
            seq = await store.take_stale_turn(cid, grace_ms)
            if seq == 0:
                return
            if seq < 0:
                await asyncio.sleep(-seq / 1000 + 0.05)
                continue
            conv = await desk.conv(cid)
            since = await store.read_log(cid, seq - 1, count=100)
            answered = any(m.get("sender") != "customer" for m in since[1:])
            if conv["state"] is not State.BOT or not since or since[0]["seq"] != seq or answered:
                await store.end_turn(cid, seq)  # answered after all, or no longer the bot's to answer
                return
            log.warning("re-running the orphaned bot turn of message %d in conversation %s", seq, cid)
            text = str(since[0].get("text") or "")
            desk.submit(cid, lambda seq=seq, text=text: self.process(cid, customer, seq, text, State.BOT, True))
            return

    async def _annotate(self, cid: str, seq: int, parse_data: dict[str, Any]) -> None:
        """The agents' emotions and the admin's NLU inbox for a bot-mode message. Run after the answer is
        out, not beside it: on one event loop, work done during a turn is waited for by its customer (the
        websocket turn must cost no more than Rasa's REST channel), and before a hand-over, whose priority
        reads the negativity stored here. Failures are only logged."""
        results = await asyncio.gather(
            self.desk.annotate(cid, seq, parse_data),
            # Unsure or fallback parses (never raises; handoff/admin/inbox.py).
            self.inbox.maybe_add(parse_data, conversation_id=cid, seq=seq, threshold=self.settings.inbox_threshold),
            # The previous answer, when this message corrects it, asks again or asks for a person (never raises).
            mistakes.after_message(self.store, self.inbox, cid, seq, parse_data),
            *([self.assist.note_parse(cid, seq, parse_data)] if self.assist is not None else []),
            return_exceptions=True)
        for failure in results:
            if isinstance(failure, Exception):
                log.warning("annotating message %d of %s failed (%s)", seq, cid, type(failure).__name__)


def live_fallback_applied(parse: asyncio.Future) -> asyncio.Future:
    """The parse re-decided at the live fallback threshold (bot/live_fallback.py); itself when none is set."""
    if live_fallback.threshold() is None:
        return parse

    async def adjusted() -> dict[str, Any]:
        return live_fallback.apply(await parse)

    return asyncio.ensure_future(adjusted())


async def _parsed(parse: asyncio.Future) -> dict[str, Any] | None:
    """The parse's result once it has finished; None if it failed or was cancelled (a timed-out turn)."""
    try:
        return await asyncio.shield(parse)
    except asyncio.CancelledError:
        if parse.cancelled():
            return None
        raise  # this task itself is being cancelled
    except Exception:  # noqa: BLE001 - the turn has already reported it, or answered without it
        return None
