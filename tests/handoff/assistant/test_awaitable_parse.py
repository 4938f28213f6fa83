"""A turn may start before its message's parse has finished (handoff/assistant/awaitable_parse.py), on Rasa's
own classes; the patch is installed only on a tested Rasa and its own target."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest

from bot import rasa_patching, rasa_speedups
from handoff.assistant import awaitable_parse

rasa_speedups.apply()  # as handoff.assistant.bot_bridge.load_agent applies both
awaitable_parse.apply()


def test_after_apply_rasas_turn_handler_is_the_awaiting_one() -> None:
    from rasa.core.processor import MessageProcessor

    assert awaitable_parse.PATCH.installed() is awaitable_parse._handle_message_with_tracker
    assert MessageProcessor._handle_message_with_tracker is awaitable_parse._handle_message_with_tracker
    awaitable_parse.apply()  # idempotent
    assert awaitable_parse.PATCH.installed() is awaitable_parse._handle_message_with_tracker


def test_it_refuses_an_untested_rasa_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(awaitable_parse, "_rasa_handle_message_with_tracker", None)  # as before a first apply
    monkeypatch.setattr(rasa_patching, "rasa_version", lambda: "3.7.0")
    with pytest.raises(rasa_patching.RasaPatchRefused, match=r"Rasa 3\.7\.0 is untested"):
        awaitable_parse.apply()


def test_it_refuses_a_target_rasa_no_longer_defines(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.processor import MessageProcessor

    monkeypatch.setattr(awaitable_parse, "_rasa_handle_message_with_tracker", None)
    monkeypatch.delattr(MessageProcessor, "_handle_message_with_tracker")
    with pytest.raises(rasa_patching.RasaPatchRefused,
                       match="MessageProcessor._handle_message_with_tracker: MessageProcessor defines no"):
        awaitable_parse.apply()


@pytest.fixture(scope="module")
def reduced_agent(reduced_model: Path) -> Any:
    from rasa.core.agent import Agent

    return Agent.load(str(reduced_model))


def _shown(events) -> list:  # type: ignore[no-untyped-def]
    """Events as a caller compares them: everything but when they happened and their message's id."""
    out = []
    for event in events:
        data = event.as_dict()
        data.pop("timestamp", None)
        data.pop("message_id", None)
        if isinstance(data.get("parse_data"), dict):
            data["parse_data"].pop("message_id", None)  # each message's own id
        out.append(data)
    return out


async def test_a_turn_reads_its_tracker_while_its_parse_runs_and_answers_as_with_the_parse_given(reduced_agent) -> None:  # type: ignore[no-untyped-def]
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    text = "my card still hasn't arrived"
    parse = await reduced_agent.processor.parse_message(UserMessage(text))
    given, waited = CollectingOutputChannel(), CollectingOutputChannel()
    await reduced_agent.handle_message(UserMessage(text, given, sender_id="parse-given", parse_data=copy.deepcopy(parse)))

    pending = asyncio.get_running_loop().create_future()
    parse_done_at_fetch: list[bool] = []
    store = reduced_agent.tracker_store
    original = store.retrieve

    async def retrieve(sender_id: str):  # type: ignore[no-untyped-def]
        parse_done_at_fetch.append(pending.done())
        found = await original(sender_id)
        if not pending.done():
            asyncio.get_running_loop().call_soon(pending.set_result, parse)  # the parse ends after the fetch
        return found

    store.retrieve = retrieve
    try:
        await reduced_agent.handle_message(UserMessage(text, waited, sender_id="parse-pending", parse_data=pending))
    finally:
        del store.retrieve
    assert parse_done_at_fetch and parse_done_at_fetch[0] is False
    answers = [[{k: v for k, v in m.items() if k != "recipient_id"} for m in out.messages] for out in (waited, given)]
    assert answers[0] == answers[1] and answers[1]
    assert _shown((await store.retrieve("parse-pending")).events) == _shown((await store.retrieve("parse-given")).events)


async def test_a_failed_pending_parse_fails_the_turn_and_frees_the_conversation(reduced_agent) -> None:  # type: ignore[no-untyped-def]
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    failing = asyncio.get_running_loop().create_future()
    failing.set_exception(TimeoutError("the worker did not answer"))
    with pytest.raises(TimeoutError, match="did not answer"):
        await reduced_agent.handle_message(UserMessage("hi", CollectingOutputChannel(), sender_id="parse-failed",
                                                       parse_data=failing))
    out = CollectingOutputChannel()
    parse = await reduced_agent.processor.parse_message(UserMessage("hi"))
    await asyncio.wait_for(reduced_agent.handle_message(UserMessage("hi", out, sender_id="parse-failed",
                                                                    parse_data=parse)), 30)
    assert out.messages  # the lock was given back: the next message is answered




async def test_a_turn_knows_which_form_its_message_answered(reduced_model: Path, action_server_url: str) -> None:
    """Slot answers are told apart from questions (the dashboard and the inbox never count them as the bot's):
    "Apple Pay" answers the top-up form's question; a switch to another flow answers no form."""
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.utils.endpoints import EndpointConfig

    awaitable_parse.apply()
    agent = Agent.load(str(reduced_model), action_endpoint=EndpointConfig(action_server_url))
    answered = []
    for text in ("top up failed", "Apple Pay", "what is the exchange rate for euros"):
        message = UserMessage(text, CollectingOutputChannel(), sender_id="form-answers")
        await agent.handle_message(message)
        answered.append(awaitable_parse.answered_form(message))
    assert answered == [None, "topup_form", None]
