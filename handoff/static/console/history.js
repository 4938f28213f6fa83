// History: search every closed conversation (server-side, paged: GET /api/conversations) and open any
// conversation read-only (GET /api/conversations/<id>; the URL /console/?view=<id> opens one directly).
// With an empty search form the table lists the agent's own chats closed on the chosen day ("closed today").
import { api, ApiError } from "./api.js";
import { byId, clear, formatTime, h, localDay } from "../shared/dom.js";
import { emotionBadge } from "./emotion.js";
import { customerLabel, reasonTitle } from "./queue.js";

const PAGE = 20;

export function stars(rating) {
  if (!rating || typeof rating.score !== "number") return h("span", { class: "muted" }, "—");
  return h("span", { class: "stars", title: rating.comment || "", "aria-label": `rated ${rating.score} of 5` },
    `${"★".repeat(rating.score)}${"☆".repeat(5 - rating.score)}`);
}

/** Date and time: history rows reach back weeks, so the day matters. */
export function formatWhen(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  return localDay(d) === localDay() ? formatTime(ts) : `${localDay(d)} ${formatTime(ts)}`;
}

/** The id in /console/?view=<id>, or null. */
export function viewParam() {
  const id = new URLSearchParams(window.location.search).get("view");
  return id && /^[0-9a-f]{32}$/.test(id) ? id : null;
}

export class HistoryPane {
  /** ctx: {open(conversationId), expired(), agentName(username)} */
  constructor(ctx) {
    this.ctx = ctx;
    this.offset = 0;
    this.searching = false;
    this.form = byId("history-form");
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.offset = 0;
      this.load();
    });
    byId("history-reset").addEventListener("click", () => {
      this.form.reset();
      this.offset = 0;
      this.load();
    });
    byId("history-prev").addEventListener("click", () => this.page(-1));
    byId("history-next").addEventListener("click", () => this.page(1));
    byId("closed-day").addEventListener("change", () => this.load());
  }

  page(step) {
    this.offset = Math.max(0, this.offset + step * PAGE);
    this.load();
  }

  /** The form's filters as URL arguments; empty when nothing is filled in. */
  filters() {
    const out = {};
    for (const name of ["q", "customer", "conversation", "agent", "reason", "rating", "resolution", "from", "to"]) {
      const value = (this.form.elements[name]?.value || "").trim();
      if (value) out[name] = value;
    }
    return out;
  }

  async load() {
    const filters = this.filters();
    this.searching = Object.keys(filters).length > 0;
    byId("closed-day-label").hidden = this.searching;
    const status = byId("history-status");
    try {
      let rows, total;
      if (this.searching) {
        const data = await api.searchConversations({ ...filters, offset: this.offset, limit: PAGE,
          tz_offset: new Date().getTimezoneOffset() });
        rows = data.conversations || [];
        total = data.total || 0;
        this.more = Boolean(data.more);
        const of = data.more ? `more than ${total}` : String(total);
        status.textContent = total ? `${this.offset + 1}–${this.offset + rows.length} of ${of} closed conversations`
          : "No closed conversation matches.";
      } else {
        const input = byId("closed-day");
        if (!input.value) input.value = localDay();
        const data = await api.closed(input.value, new Date().getTimezoneOffset());
        rows = data.conversations || [];
        total = rows.length;
        status.textContent = rows.length ? `You closed ${rows.length} that day.` : "No closed conversations that day.";
      }
      this.render(rows);
      byId("history-prev").hidden = !this.searching || this.offset === 0;
      byId("history-next").hidden = !this.searching || (this.offset + rows.length >= total && !this.more);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return this.ctx.expired();
      status.textContent = err.message;
      this.render([]);
    }
  }

  render(rows) {
    const body = clear(byId("closed-body"));
    for (const c of rows) {
      const open = h("button", { type: "button", class: "ghost open-history", onclick: () => this.ctx.open(c.conversation_id),
        "aria-label": `Open the conversation with ${customerLabel(c.customer)}` }, "Open");
      body.append(h("tr", { dataset: { conversationId: c.conversation_id } },
        h("td", {}, formatWhen(c.closed_at)),
        h("td", {}, customerLabel(c.customer), c.customer && c.customer.customer_id && c.customer.name
          ? h("span", { class: "muted" }, ` · ${c.customer.customer_id}`) : null, " ",
        emotionBadge(c.emotion ? { label: c.emotion.label, negativity: c.emotion.negativity } : null, { compact: true }) || ""),
        h("td", {}, c.agent ? this.ctx.agentName(c.agent) : "—"),
        h("td", {}, reasonTitle(c.reason)),
        h("td", {}, h("span", { class: `resolution res-${c.resolution || "none"}` }, c.resolution || "—")),
        h("td", {}, stars(c.rating)),
        h("td", {}, open)));
    }
  }
}

/** The read-only record of one conversation, closed or live (GET /api/conversations/<id>). */
export async function fetchConversation(conversationId) {
  return api.conversation(conversationId);
}
