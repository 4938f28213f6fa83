"""The customer and the agent of the across-hosts test, run inside the client's own namespace:
`python -m tests.reliability.netns_client REDIS_URL GATEWAY_A GATEWAY_B` prints one JSON line of what
they saw. The customer is on gateway A, the agent on gateway B; Redis and the action server are other hosts."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request

from tests.gateway import seed_accounts
from tests.handoff.clients import BOT_WAIT, Agent, Customer, close_all
from tests.support import TIME_SCALE


def wait_ready(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout * TIME_SCALE
    while True:
        try:
            with urllib.request.urlopen(url + "/health/ready", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} not ready")
        time.sleep(0.5)


async def journey(gw_a: str, gw_b: str) -> dict:
    customer = await Customer.connect(gw_a)
    hello = await customer.say("hello")
    bot = await customer.expect("message", sender="bot", after_seq=hello["seq"], timeout=BOT_WAIT)
    sam = await Agent.connect(gw_b, "sam")
    await customer.send(type="request_human")
    await customer.expect("state", state="queued")
    await sam.do("claim", conversation_id=customer.cid)
    await sam.expect("claimed", conversation_id=customer.cid)
    agent_state = await customer.expect("state", state="agent")
    said = await customer.say("my card was charged twice")
    heard = await sam.expect("message", conversation_id=customer.cid, sender="customer", after_seq=said["seq"] - 1)
    reply = await sam.reply(customer.cid, "I can see both charges; refunding one now")
    answer = await customer.expect("message", sender="agent")
    await sam.do("close", conversation_id=customer.cid, resolution="resolved")
    closed = await customer.expect("state", state="closed")
    result = {"bot_text": bot.get("text", ""), "agent_name": agent_state.get("agent_name"),
              "agent_heard": heard["text"], "customer_got": answer["text"], "reply_seq": reply["seq"],
              "answer_seq": answer["seq"], "closed": closed["state"], "sam_instance": sam.welcome["instance"]}
    await close_all()
    return result


def main() -> None:
    redis_url, gw_a, gw_b = sys.argv[1:4]
    seed_accounts(redis_url)
    wait_ready(gw_a)
    wait_ready(gw_b)
    print(json.dumps(asyncio.run(journey(gw_a, gw_b))), flush=True)


if __name__ == "__main__":
    main()
