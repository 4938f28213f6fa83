"""A bot turn that starts before its message's parse has finished.

handoff/gateway/turns.py hands Rasa a message whose `parse_data` is still running (an awaitable: the parse in an
NLU worker, handoff/assistant/nlu_workers.py), so the turn's lock, tracker read and session check (~3-4 ms) run
while the worker parses, as Rasa's REST channel does before its in-process parse. Rasa 3.6 reads
`parse_data` as a dict, so `apply()` makes MessageProcessor._handle_message_with_tracker (where Rasa first
reads it, after the tracker is fetched) await it first. A dict passes through unchanged; a failed parse
fails the turn, and Rasa gives the conversation's lock back as for any failed turn.

This is not a speed-up of Rasa (bot/rasa_speedups.py): the gateway's turns depend on it, so it is applied
by handoff/assistant/bot_bridge.py and guarded the same way (bot/rasa_patching.py: a tested Rasa version, a target
that is Rasa's own member).
"""

from __future__ import annotations

import inspect
from typing import Any

from bot.rasa_patching import Patch, install

_rasa_handle_message_with_tracker: Any = None  # Rasa's own, called once the parse is in


async def _handle_message_with_tracker(self: Any, message: Any, tracker: Any) -> None:
    """MessageProcessor._handle_message_with_tracker, once a pending parse (an awaitable) has finished."""
    if inspect.isawaitable(message.parse_data):
        message.parse_data = await message.parse_data
    # The form the message answered, if one was waiting for it: the dashboard and the NLU inbox never count a
    # slot answer ("1234", "£950") as the bot's failure (handoff/reporting/analytics.py, handoff/admin/inbox.py).
    message.tandem_form = tracker.active_loop_name
    message.tandem_tracker = tracker  # the turn's own tracker: answered_form reads what the form did with it
    await _rasa_handle_message_with_tracker(self, message, tracker)


def answered_form(message: Any) -> str | None:
    """After the turn: the form this message answered, i.e. one was waiting for it and did not reject it.
    A message that switched to another flow or left the form (ActionExecutionRejected) answered nothing."""
    form = getattr(message, "tandem_form", None) or None
    tracker = getattr(message, "tandem_tracker", None)
    if form is None or tracker is None:
        return form
    from rasa.shared.core.events import ActionExecutionRejected, UserUttered

    for event in reversed(list(tracker.events)):
        if isinstance(event, UserUttered):
            break  # this turn's events all come after its message
        if isinstance(event, ActionExecutionRejected) and event.action_name == form:
            return None
    return form


PATCH = Patch("rasa.core.processor", "MessageProcessor", "_handle_message_with_tracker",
              ("self", "message", "tracker"), _handle_message_with_tracker)


def apply() -> None:
    """Let a UserMessage's `parse_data` be an awaitable (idempotent). Raises bot.rasa_patching.RasaPatchRefused
    on an untested Rasa version or where the target is not the member this was written against."""
    global _rasa_handle_message_with_tracker
    if _rasa_handle_message_with_tracker is None:
        _rasa_handle_message_with_tracker = install([PATCH])[PATCH.target]
