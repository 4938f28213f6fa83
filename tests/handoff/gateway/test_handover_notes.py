"""Hand-overs between people and back (issue #24), on a real gateway without the bot (bare_gateway):
a transfer's note reaches the receiver first and the receiver's system line is in agents' words; after a
hand-back the agent keeps seeing the chat and may take it back; nobody else may.
"""
from __future__ import annotations

from tests.handoff.clients import Agent, claimed


async def test_a_transfer_note_arrives_with_the_assignment_and_the_agents_see_their_own_wording(bare_gateway: str) -> None:
    sam, alex = await Agent.connect(bare_gateway, "sam"), await Agent.connect(bare_gateway, "alex")
    customer = await claimed(bare_gateway, sam)
    await sam.do("transfer", conversation_id=customer.cid, to="alex", note="Card blocked; wants a new PIN")
    assigned = await alex.expect("assigned", conversation_id=customer.cid)
    assert (assigned["note"], assigned["from"], assigned["from_name"]) == ("Card blocked; wants a new PIN", "sam", "Sam")
    await alex.do("open", conversation_id=customer.cid)
    transcript = (await alex.expect("transcript", conversation_id=customer.cid))["transcript"]
    note = next(m for m in transcript if m.get("event") == "transfer_note")
    assert (note["sender"], note["text"], note["agent"]) == ("note", "Card blocked; wants a new PIN", "sam")
    line = next(m for m in transcript if m.get("event") == "transferred")
    assert line["agent_text"] == "Sam transferred the chat to Alex."
    seen = await customer.expect("message", event="transferred")
    assert "agent_text" not in seen and "Card blocked" not in str(customer.seen)


async def test_after_hand_back_the_agent_sees_the_customers_next_message_and_takes_the_chat_back(bare_gateway: str) -> None:
    sam, alex = await Agent.connect(bare_gateway, "sam"), await Agent.connect(bare_gateway, "alex")
    customer = await claimed(bare_gateway, sam)
    await sam.do("handback", conversation_id=customer.cid)
    state = await sam.expect("state", conversation_id=customer.cid, state="bot")
    assert state["handed_back_by"] == "sam" and state["watch_until"] > 0
    await customer.expect("state", state="bot")
    await customer.say("the bot does not understand me")
    seen = await sam.expect("message", conversation_id=customer.cid, sender="customer")
    assert seen["text"] == "the bot does not understand me"

    await alex.do("takeback", conversation_id=customer.cid)
    refused = await alex.expect("error", frame="takeback")
    assert refused["code"] == "forbidden"

    await sam.do("takeback", conversation_id=customer.cid)
    claimed_again = await sam.expect("claimed", conversation_id=customer.cid)
    assert claimed_again["conversation"]["agent"] == "sam"
    await customer.expect("state", state="agent")
    joined = await customer.expect("message", event="taken_back")
    assert joined["text"] == "Sam has joined the chat again."
    await sam.reply(customer.cid, "I'm back, let me help")
