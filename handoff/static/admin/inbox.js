// NLU inbox: customer messages the bot was unsure of, grouped by the intent it guessed. Select some, then
// label them (an existing intent, or a new one with its answer), ignore, reopen or delete them.
import { request } from "../shared/api.js";
import { byId, clear, h } from "../shared/dom.js";

const REASONS = {
  fallback: "fell back",
  low_confidence: "unsure",
  handover: "handed over",
  agent_correction: "agent corrected",
  agent_flag: "agent: bot got it wrong",
  thumbs_down: "thumbs-down",
  correction: "corrected next",
  rephrase: "asked again next",
  request_person: "asked for a person next",
  while_queued: "while queued",
  with_agent: "to an agent",
};
const NEW_INTENT = /^[a-z][a-z0-9_]{2,47}$/;

function pct(x) {
  return `${Math.round((x || 0) * 100)}%`;
}

function when(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  return d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export class InboxView {
  constructor({ guarded, toast }) {
    this.guarded = guarded;
    this.toast = toast;
    this.items = [];
    this.selected = new Set();
    this.intents = [];
    this.groupsEl = byId("inbox-groups");
    this.search = byId("inbox-search");
    this.status = byId("inbox-status");
    this.reason = byId("inbox-reason");
    this.bar = byId("label-bar");
    this.intentInput = byId("label-intent");
    this.answer = byId("label-answer");
    let debounce = null;
    this.search.addEventListener("input", () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => this.load(), 250);
    });
    this.status.addEventListener("change", () => this.load());
    this.reason.addEventListener("change", () => this.load());
    byId("inbox-refresh").addEventListener("click", () => this.load());
    // An error is cleared when the admin changes what they label, never by a refresh landing later.
    this.intentInput.addEventListener("input", () => { this.showError(""); this.renderBar(); });
    this.bar.addEventListener("submit", (e) => {
      e.preventDefault();
      this.label();
    });
    byId("action-ignore").addEventListener("click", () => this.decide("ignore", "ignored"));
    byId("action-reopen").addEventListener("click", () => this.decide("reopen", "back in the inbox"));
    byId("action-delete").addEventListener("click", () => {
      const n = this.selected.size;
      if (confirm(`Delete ${n} message${n === 1 ? "" : "s"} for good? A labelled one also leaves the training data.`)) {
        this.decide("delete", "deleted");
      }
    });
  }

  show() {
    this.loadIntents();
    this.load();
  }

  async loadIntents() {
    const data = await this.guarded(() => request("GET", "/api/admin/intents"));
    if (!data) return;
    this.intents = data.intents;
    const list = clear(byId("intent-list"));
    for (const name of this.intents) list.append(h("option", { value: name }));
    this.renderBar();
  }

  async load() {
    const params = new URLSearchParams({ status: this.status.value });
    if (this.search.value.trim()) params.set("q", this.search.value.trim());
    if (this.reason.value) params.set("reason", this.reason.value);
    const data = await this.guarded(() => request("GET", `/api/admin/inbox?${params}`));
    if (!data) return;
    this.items = data.items;
    this.groups = data.groups;
    const visible = new Set(this.items.map((i) => i.id));
    for (const id of [...this.selected]) if (!visible.has(id)) this.selected.delete(id);
    byId("inbox-count").textContent = String(data.counts.open);
    const shown = data.total > data.items.length ? ` (showing ${data.items.length})` : "";
    byId("inbox-summary").textContent =
      `${data.total} message${data.total === 1 ? "" : "s"} in ${data.groups.length} group${data.groups.length === 1 ? "" : "s"}${shown}`;
    this.render();
  }

  render() {
    clear(this.groupsEl);
    byId("inbox-empty").hidden = this.items.length > 0;
    const byIntent = new Map();
    for (const item of this.items) {
      const key = item.intent || "nlu_fallback";
      if (!byIntent.has(key)) byIntent.set(key, []);
      byIntent.get(key).push(item);
    }
    for (const group of this.groups || []) {
      const items = byIntent.get(group.intent) || [];
      if (items.length) this.groupsEl.append(this.renderGroup(group, items));
    }
    this.renderBar();
  }

  renderGroup(group, items) {
    const all = h("input", { type: "checkbox", "aria-label": `Select every message the bot took for ${group.intent}` });
    all.checked = items.every((i) => this.selected.has(i.id));
    all.addEventListener("change", () => {
      for (const item of items) {
        if (all.checked) this.selected.add(item.id);
        else this.selected.delete(item.id);
      }
      this.render();
    });
    const list = h("ul", { class: "items" }, items.map((item) => this.renderItem(item)));
    return h("section", { class: "group", dataset: { intent: group.intent } },
      h("header", { class: "group-head" }, all,
        h("span", { class: "muted" }, "Bot guessed"),
        h("strong", { class: "intent-name" }, group.intent),
        h("span", { class: "count" }, `${group.messages} message${group.messages === 1 ? "" : "s"}`)),
      list);
  }

  renderItem(item) {
    const box = h("input", { type: "checkbox", "aria-label": "Select this message" });
    box.checked = this.selected.has(item.id);
    box.addEventListener("change", () => {
      if (box.checked) this.selected.add(item.id);
      else this.selected.delete(item.id);
      li.classList.toggle("selected", box.checked);
      this.showError("");
      this.renderBar();
    });
    const ranking = (item.ranking || []).map((r) => `${r.name} ${pct(r.confidence)}`).join(" · ");
    const chips = item.reasons.map((r) => h("span", { class: `chip reason-${r}` }, REASONS[r] || r));
    const meta = [h("span", { class: "confidence", title: ranking || "" },
      h("span", { class: "meter" }, h("span", { style: `width:${pct(item.confidence)}` })), pct(item.confidence))];
    if (item.count > 1) meta.push(h("span", { class: "times" }, `×${item.count}`));
    meta.push(h("span", { class: "muted" }, when(item.last_ts)));
    if (item.label) meta.push(h("span", { class: "chip label" }, `→ ${item.label}`));
    if (item.suggested) meta.push(h("span", { class: "chip" }, `agent says ${item.suggested}`));
    if (item.conversation_id) {
      meta.push(h("a", { class: "open-conversation", href: `/console/?view=${encodeURIComponent(item.conversation_id)}`,
        target: "_blank", rel: "noopener", title: `Message ${item.seq} in its conversation (read-only)` }, "in its conversation"));
    }
    const li = h("li", { class: `item${box.checked ? " selected" : ""}`, dataset: { id: item.id } },
      box,
      h("div", { class: "item-body" },
        h("div", { class: "item-text" }, item.text),
        h("div", { class: "item-meta" }, ...chips, ...meta,
          ranking ? h("span", { class: "muted ranking" }, ranking) : null)),
      h("button", {
        type: "button", class: "ghost small", onclick: () => {
          this.selected = new Set([item.id]);
          this.showError("");
          this.render();
          this.intentInput.focus();
        },
      }, "Label…"));
    return li;
  }

  renderBar() {
    const n = this.selected.size;
    this.bar.hidden = n === 0;
    byId("label-selected").textContent = `${n} selected`;
    const status = this.status.value;
    byId("action-ignore").hidden = status === "ignored";
    byId("action-reopen").hidden = status === "open";
    const name = this.intentInput.value.trim();
    const isNew = name !== "" && !this.intents.includes(name);
    byId("new-intent").hidden = !isNew;
    byId("label-hint").textContent = !name ? "Pick an existing intent, or type a new name (lowercase and _)."
      : !isNew ? `Adds ${n === 1 ? "this message" : "these messages"} to the examples of ${name}.`
        : NEW_INTENT.test(name) ? `${name} is new: it gets the answer below and a rule that gives it.`
          : "A new intent name: 3-48 lowercase letters, digits and _, starting with a letter.";
  }

  async label() {
    const intent = this.intentInput.value.trim();
    if (!intent) return this.showError("Choose the intent these messages mean.");
    const isNew = !this.intents.includes(intent);
    const answer = this.answer.value.trim();
    if (isNew && !NEW_INTENT.test(intent)) return this.showError("That is not a valid intent name.");
    if (isNew && !answer) return this.showError("A new intent needs the answer the bot should give.");
    const ids = [...this.selected];
    const body = { ids, intent };
    if (isNew) body.answer = answer;
    const done = await this.guarded(() => request("POST", "/api/admin/inbox/label", body), (err) => this.showError(err.message));
    if (!done) return;
    this.showError("");
    this.toast(`${done.labelled} message${done.labelled === 1 ? "" : "s"} labelled ${intent}${done.new_intent ? " (new intent)" : ""}. Retrain to teach the bot.`);
    this.selected.clear();
    this.intentInput.value = "";
    this.answer.value = "";
    if (done.new_intent) this.loadIntents();
    this.load();
  }

  async decide(action, word) {
    const ids = [...this.selected];
    const done = await this.guarded(() => request("POST", `/api/admin/inbox/${action}`, { ids }), (err) => this.showError(err.message));
    if (!done) return;
    this.toast(`${ids.length} message${ids.length === 1 ? "" : "s"} ${word}.`);
    this.selected.clear();
    this.load();
  }

  showError(text) {
    const el = byId("label-error");
    el.hidden = !text;
    el.textContent = text;
  }
}
