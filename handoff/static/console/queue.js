// The live queue: one row per waiting customer — who, why, how they feel, how long they have waited.
import { clear, formatWait, h } from "../shared/dom.js";
import { emotionBadge, emotionOf, negativityClass } from "./emotion.js";
import { ESCALATION_KINDS } from "/vocabulary.js"; // reason.kind's words, from bot/escalation/kinds.py

/** Human words for reason.kind; an unknown kind is shown as it is, underscores turned to spaces. */
export function reasonTitle(reason) {
  if (!reason || !reason.kind) return "Escalated";
  return ESCALATION_KINDS[reason.kind]?.label || String(reason.kind).replace(/_/g, " ");
}

export function customerLabel(customer) {
  if (!customer) return "Anonymous visitor";
  return customer.name || customer.customer_id || "Anonymous visitor";
}

/**
 * Same order as the server (docs/protocol.md QueueItem): priority and waiting time together, one unit of
 * priority worth 10 minutes of waiting. Re-sorting here keeps the order right while waits tick.
 */
export function sortQueue(items, now = Date.now()) {
  const score = (item) => (Number(item.priority) || 0) * 600000 + (now - (Number(item.waiting_since) || now));
  return [...items].sort((a, b) => score(b) - score(a));
}

export class QueueView {
  /** onClaim(conversationId) is called when the agent presses Claim. */
  constructor(list, empty, count, { onClaim }) {
    this.list = list;
    this.empty = empty;
    this.count = count;
    this.onClaim = onClaim;
    this.items = [];
    this.fresh = new Set();
    this.pending = new Set();
    this.canClaim = true;
    setInterval(() => this.tick(), 1000);
  }

  /** Replace the whole snapshot (the server sends the full queue on every change). */
  set(items) {
    const ids = new Set(items.map((i) => i.conversation_id));
    for (const id of this.pending) if (!ids.has(id)) this.pending.delete(id);
    this.items = items;
    this.render();
  }

  /** Highlight a new escalation for a few seconds (the row may arrive before or after the snapshot). */
  flash(conversationId) {
    this.fresh.add(conversationId);
    setTimeout(() => {
      this.fresh.delete(conversationId);
      this.render();
    }, 6000);
    if (!this.items.some((i) => i.conversation_id === conversationId)) return;
    this.render();
  }

  /** A claim that failed (conflict, capacity) makes the button usable again. */
  release(conversationId) {
    this.pending.delete(conversationId);
    this.render();
  }

  setCanClaim(canClaim) {
    if (this.canClaim === canClaim) return;
    this.canClaim = canClaim;
    this.render();
  }

  render() {
    const now = Date.now();
    const items = sortQueue(this.items, now);
    clear(this.list);
    this.count.textContent = String(items.length);
    this.empty.hidden = items.length > 0;
    items.forEach((item, index) => this.list.append(this.row(item, index, now)));
  }

  row(item, index, now) {
    const id = item.conversation_id;
    const emotion = emotionOf(item);
    const reason = item.reason || {};
    const waiting = h("span", { class: "wait", dataset: { since: String(item.waiting_since || now) } },
      formatWait(now - (item.waiting_since || now)));
    const pending = this.pending.has(id);
    const claim = h("button", {
      type: "button",
      class: "primary small claim",
      disabled: pending || !this.canClaim,
      title: this.canClaim ? "Take this conversation" : "You are at capacity",
      onclick: () => {
        this.pending.add(id);
        claim.disabled = true;
        this.onClaim(id);
      },
    }, pending ? "Claiming…" : "Claim");
    const said = Array.isArray(reason.messages) && reason.messages.length ? reason.messages[reason.messages.length - 1] : null;
    const quote = said ? h("q", { class: "quote" }, String(said))
      : reason.detail ? h("span", { class: "quote" }, String(reason.detail)) : null;
    const classes = ["queue-item", negativityClass(emotion && emotion.negativity)];
    if (this.fresh.has(id)) classes.push("fresh");
    return h("li", { class: classes.join(" "), dataset: { conversationId: id }, "data-testid": "queue-item" },
      h("div", { class: "queue-line" },
        h("span", { class: "pos", "aria-label": `position ${index + 1}` }, String(index + 1)),
        h("strong", { class: "who" }, customerLabel(item.customer)),
        emotionBadge(emotion, { compact: true }),
        h("span", { class: "spacer" }),
        waiting),
      h("div", { class: "queue-line" },
        h("span", { class: "reason" }, reasonTitle(reason)),
        h("span", { class: "spacer" }),
        claim),
      quote);
  }

  /** Waits tick every second without rebuilding rows (keeps focus and hover stable). */
  tick() {
    const now = Date.now();
    for (const el of this.list.querySelectorAll(".wait")) {
      el.textContent = formatWait(now - Number(el.dataset.since));
    }
  }
}
