// The customer's story in a conversation's header: their earlier conversations (by the signed customer id
// from the site's context), each one click away, and a flag when they have another live chat right now.
// Data: GET /api/customers/<id>/conversations (handoff/gateway/history_routes.py).
import { api, ApiError } from "./api.js";
import { clear, h } from "../shared/dom.js";
import { formatWhen } from "./history.js";
import { reasonTitle } from "./queue.js";

const SHOWN = 5;

/**
 * Fill `el` with the story of `conversationId`'s customer. ctx: {open(conversationId), expired(), merge?(otherId)}
 * (merge: only while the chat is mine; a chat with another agent is not offered).
 * Anonymous visitors have no story: `el` stays empty.
 */
export async function renderStory(el, conversationId, customer, ctx) {
  clear(el);
  const customerId = customer && customer.customer_id;
  if (!customerId) return;
  let data;
  try {
    data = await api.customerConversations(customerId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) ctx.expired();
    return;
  }
  clear(el);
  const others = (data.live || []).filter((c) => c.conversation_id !== conversationId);
  for (const c of others) {
    const where = c.state === "agent" ? `with ${c.agent_name || c.agent}` : c.state === "queued" ? "in the queue" : "with the assistant";
    const mergeable = ctx.merge && (c.state === "bot" || c.state === "queued");
    el.append(h("span", { class: "story-live", role: "status" },
      `⚠ Also chatting now (${where}) `,
      h("button", { type: "button", class: "ghost", onclick: () => ctx.open(c.conversation_id) }, "Open"),
      mergeable ? h("button", { type: "button", class: "ghost", onclick: () => ctx.merge(c.conversation_id),
        title: "Its messages come here as a private note; it closes as a duplicate and the customer is told" },
      "Merge into this chat") : null));
  }
  const closed = (data.closed || []).filter((c) => c.conversation_id !== conversationId);
  if (closed.length) {
    el.append(h("span", { class: "muted" }, `Earlier (${data.closed_total}):`));
    for (const c of closed.slice(0, SHOWN)) {
      el.append(h("button", {
        type: "button",
        class: "ghost story-item",
        title: `Open read-only: ${reasonTitle(c.reason)}, ${c.resolution || "no resolution"}`,
        dataset: { conversationId: c.conversation_id },
        onclick: () => ctx.open(c.conversation_id),
      }, `${formatWhen(c.closed_at)} · ${reasonTitle(c.reason)} · ${c.resolution || "—"}`));
    }
  } else if (!others.length) {
    el.append(h("span", { class: "muted" }, "First conversation with this customer."));
  }
}
