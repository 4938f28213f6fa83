// The supervisor's tab (admins): every chat with a person or waiting for one — state, wait, agent,
// negativity — the agents with status and load, and the queue. "Open" reads a chat live without taking it
// (the socket's `open`); "Take over" claims a queued chat or transfers an agent's chat to me.
// Data: GET /api/supervisor (handoff/gateway/supervisor_routes.py), refreshed while the tab is shown.
import { api, ApiError } from "./api.js";
import { byId, clear, formatWait, h } from "../shared/dom.js";
import { emotionBadge } from "./emotion.js";
import { customerLabel, reasonTitle } from "./queue.js";

const REFRESH_MS = 5000;

export class SupervisorPane {
  /** ctx: {me(), open(conversationId), takeOver(row), expired()} */
  constructor(ctx) {
    this.ctx = ctx;
    this.timer = null;
  }

  show() {
    this.load();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.load(), REFRESH_MS);
  }

  hide() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async load() {
    let data;
    try {
      data = await api.supervisor();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return this.ctx.expired();
      byId("supervisor-status").textContent = err.message;
      return;
    }
    const me = this.ctx.me();
    const chats = data.chats || [];
    byId("supervisor-status").textContent =
      `${chats.filter((c) => c.state === "agent").length} with agents · ${(data.queue || []).length} in the queue`;
    const body = clear(byId("supervisor-chats"));
    for (const c of chats) {
      const mine = c.agent && me && c.agent === me.username;
      body.append(h("tr", { dataset: { conversationId: c.conversation_id } },
        h("td", {}, customerLabel(c.customer)),
        h("td", {}, c.state === "queued" ? "waiting" : "with an agent"),
        h("td", { title: c.state === "queued" ? "in the queue so far" : "since the customer asked for a person" },
          formatWait(data.now - c.since)),
        h("td", {}, c.agent_name || c.agent || "—"),
        h("td", {}, emotionBadge({ label: c.emotion.label, negativity: c.emotion.negativity, score: null }) || "",
          ` ${Number(c.emotion.negativity).toFixed(2)}`),
        h("td", {}, reasonTitle(c.reason)),
        h("td", {},
          h("button", { type: "button", class: "ghost", onclick: () => this.ctx.open(c.conversation_id) }, "Open"),
          mine ? null : h("button", { type: "button", class: "ghost", onclick: () => this.ctx.takeOver(c) }, "Take over"))));
    }
    byId("supervisor-empty").hidden = chats.length > 0;
    const agents = clear(byId("supervisor-agents"));
    for (const a of data.agents || []) {
      agents.append(h("tr", { dataset: { username: a.username } },
        h("td", {}, a.display_name || a.username),
        h("td", {}, h("span", { class: `status status-${a.status}` }, a.status)),
        h("td", {}, `${a.active} / ${a.capacity}`),
        h("td", {}, a.role)));
    }
  }
}
