// Agent assist in a conversation pane (docs/assist.md): the situation at a glance, up to three drafts for the
// customer's latest message, and "teach the bot" from a reply the agent sent. Nothing is ever sent from here:
// a draft only goes into the reply box, where the agent edits and sends it. Text only via textContent (h()).
import { ApiError, request } from "../shared/api.js";
import { clear, h } from "../shared/dom.js";

const KIND_LABEL = { bot_answer: "Bot's answer", past_reply: "Agents' reply" };
let intentsOnce = null; // the assistant's intents, fetched once per page for the teach form

function intents() {
  if (!intentsOnce) intentsOnce = request("GET", "/api/assist/intents").then((r) => r.intents || []).catch(() => { intentsOnce = null; return []; });
  return intentsOnce;
}

function words(intent) {
  return String(intent || "").replace(/_/g, " ");
}

export class AssistPanel {
  /** view: the ConversationView (its id, textarea, isMine, ordered messages, ctx.toast). */
  constructor(view) {
    this.view = view;
    this.seq = null; // the customer message the drafts are for
    this.drafts = [];
    this.shownFor = new Set(); // seqs whose drafts were counted as shown
    this.inserted = null; // the draft text last put in the reply box, until the reply is sent
    this.summaryEl = h("section", { class: "card assist-summary", "aria-label": "At a glance" });
    this.draftsEl = h("section", { class: "card assist-drafts", "aria-label": "Suggested replies" });
    this.teachEl = h("section", { class: "card assist-teach", "aria-label": "Teach the bot", hidden: true });
    this.el = [this.summaryEl, this.draftsEl, this.teachEl];
    this.renderSummary(null);
    this.renderDrafts();
  }

  // ---- data in --------------------------------------------------------------------------------------

  /** On claim/open (and reconnect): the summary and the drafts for the latest customer message. */
  async refresh() {
    try {
      const data = await request("GET", `/api/assist/conversations/${encodeURIComponent(this.view.id)}`);
      this.renderSummary(data.summary);
      if (data.seq !== null && (this.seq === null || data.seq >= this.seq)) this.setDrafts(data.seq, data.drafts);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 403) this.renderSummary(null, err.message);
    }
  }

  /** A `suggestions` frame: drafts for customer message `seq`, pushed as soon as they were made. `partial`:
   * the past replies came first; the full set (the bot's answers too) replaces them when the parse is in. */
  setDrafts(seq, drafts, partial = false) {
    if (this.seq !== null && seq < this.seq) return; // an older message's drafts arrived late
    if (partial && seq === this.seq && !this.waiting) return; // the full set is already here
    this.seq = seq;
    this.drafts = Array.isArray(drafts) ? drafts.slice(0, 3) : [];
    this.waiting = Boolean(partial);
    this.renderDrafts();
    if (!partial && this.drafts.length && !this.shownFor.has(seq) && this.view.isMine) {
      this.shownFor.add(seq);
      this.report("shown", this.drafts.length);
    }
  }

  /** Every message the pane gets: a new customer message makes the drafts wait for its own. */
  onMessage(msg, isNew) {
    if (!isNew) return;
    if (msg.sender === "customer" && (this.seq === null || msg.seq > this.seq)) {
      this.waiting = true;
      this.renderDrafts();
    }
    const me = this.view.ctx.me();
    if (msg.sender === "agent" && me && msg.agent === me.username) this.renderTeach(msg);
  }

  /** The agent pressed Send with `text` (a reply, not a note): was it a draft, edited or not? */
  onSend(text) {
    if (this.inserted === null) return;
    this.report(text.trim() === this.inserted.trim() ? "unchanged" : "edited", 1);
    this.inserted = null;
  }

  report(event, count) {
    request("POST", "/api/assist/events", { conversation_id: this.view.id, event, count }).catch(() => {});
  }

  // ---- DOM ------------------------------------------------------------------------------------------

  renderSummary(summary, error) {
    clear(this.summaryEl).append(h("h3", {}, "At a glance"));
    if (error) {
      this.summaryEl.append(h("p", { class: "muted" }, `No summary: ${error}`));
      return;
    }
    if (!summary) {
      this.summaryEl.append(h("p", { class: "muted" }, "Loading…"));
      return;
    }
    this.summaryEl.append(h("ul", { class: "assist-lines" }, (summary.lines || []).map((line) => h("li", {}, String(line)))));
  }

  renderDrafts() {
    clear(this.draftsEl).append(h("h3", {}, "Suggested replies"));
    if (this.waiting) {
      this.draftsEl.append(h("p", { class: "muted assist-waiting" },
        this.drafts.length ? "More drafts coming…" : "Drafting for the new message…"));
    }
    if (!this.drafts.length) {
      if (!this.waiting) this.draftsEl.append(h("p", { class: "muted" }, "No drafts for this message."));
      return;
    }
    const list = h("ol", { class: "assist-draft-list", dataset: { seq: String(this.seq) } });
    for (const d of this.drafts) {
      const why = d.kind === "bot_answer"
        ? `${KIND_LABEL.bot_answer} · ${words(d.intent)} ${Math.round((d.confidence || 0) * 100)}%`
        : `${KIND_LABEL.past_reply} · ${Math.round((d.similarity || 0) * 100)}% similar`;
      const insert = h("button", { type: "button", class: "ghost assist-insert", disabled: !this.view.isMine,
        onclick: () => this.insert(d.text) }, "Insert");
      list.append(h("li", { class: `assist-draft assist-${d.kind}`, dataset: { kind: d.kind } },
        h("div", { class: "assist-why muted" }, why), h("div", { class: "assist-text" }, String(d.text)), insert));
    }
    this.draftsEl.append(list);
  }

  insert(text) {
    if (!this.view.isMine) return;
    this.view.textarea.value = text; // only the reply box: the agent edits and sends
    this.view.textarea.focus();
    this.view.onInput();
    this.inserted = text;
    this.report("used", 1);
  }

  async renderTeach(reply) {
    const list = await intents();
    const kind = h("select", { class: "assist-teach-kind", "aria-label": "Propose as" },
      h("option", { value: "answer" }, "My reply as the answer for…"),
      h("option", { value: "example" }, "The customer's message as an example of…"));
    const intent = h("select", { class: "assist-teach-intent", "aria-label": "Intent" },
      h("option", { value: "" }, "Choose an intent"), list.map((i) => h("option", { value: i }, words(i))));
    const last = [...this.drafts].find((d) => d.intent);
    if (last && list.includes(last.intent)) intent.value = last.intent;
    const status = h("span", { class: "assist-teach-status muted", role: "status" });
    const button = h("button", { type: "button", class: "ghost assist-propose", onclick: async () => {
      if (!intent.value) { status.textContent = "Choose an intent first."; return; }
      button.disabled = true;
      try {
        await request("POST", "/api/assist/proposals", { conversation_id: this.view.id, seq: reply.seq, kind: kind.value, intent: intent.value });
        status.textContent = "Proposed to the admins.";
      } catch (err) {
        status.textContent = `Not proposed: ${err.message}`;
        button.disabled = false;
      }
    } }, "Propose");
    clear(this.teachEl).append(h("h3", {}, "Teach the bot"),
      h("p", { class: "assist-teach-reply" }, h("q", {}, String(reply.text || ""))), kind, intent, button, status);
    this.teachEl.hidden = false;
  }
}
