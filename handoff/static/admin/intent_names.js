// "Intent names": admins rename how intents read for agents in the console (card_payment_fee_charged →
// "Card payment fee charged"). GET /api/intent-names, PUT|DELETE /api/intent-names/<intent>; renames are kept
// in Redis over the shipped data/intent_names.yml (handoff/gateway/intent_names_routes.py).
import { request } from "../shared/api.js";
import { byId, clear, h } from "../shared/dom.js";

export class IntentNamesDialog {
  /** guarded(call) and toast(text) are the admin page's (admin.js). */
  constructor({ guarded, toast }) {
    this.guarded = guarded;
    this.toast = toast;
    document.body.append(h("dialog", { id: "intent-names-dialog", class: "canned-dialog", "aria-labelledby": "intent-names-title" },
      h("form", { method: "dialog", class: "canned-dialog-body" },
        h("h2", { id: "intent-names-title" }, "Intent names agents see"),
        h("p", { class: "muted", id: "intent-names-help" }),
        h("input", { type: "search", id: "intent-names-filter", placeholder: "Filter", "aria-label": "Filter intents",
          oninput: () => this.render() }),
        h("ul", { id: "intent-names-list", class: "canned-admin-list" }),
        h("div", { class: "row" }, h("span", { class: "spacer" }), h("button", { value: "close", class: "ghost" }, "Done")))));
    this.dialog = byId("intent-names-dialog");
    this.data = { names: {}, renamed: [] };
  }

  async open() {
    const data = await this.guarded(() => request("GET", "/api/intent-names"));
    if (!data) return;
    this.data = data;
    byId("intent-names-help").textContent =
      `Shown beside a customer's message when the assistant is at least ${Math.round(data.min_confidence * 100)}% sure of it.`;
    this.render();
    this.dialog.showModal();
  }

  render() {
    const filter = byId("intent-names-filter").value.trim().toLowerCase();
    const ul = clear(byId("intent-names-list"));
    for (const [intent, name] of Object.entries(this.data.names).sort()) {
      if (filter && !intent.toLowerCase().includes(filter) && !name.toLowerCase().includes(filter)) continue;
      const input = h("input", { value: name, maxlength: "60", "aria-label": `Name of ${intent}` });
      ul.append(h("li", { dataset: { intent } },
        h("code", {}, intent), input,
        h("div", { class: "row" },
          h("button", { type: "button", class: "primary small", onclick: () => this.save(intent, input.value) }, "Save"),
          this.data.renamed.includes(intent)
            ? h("button", { type: "button", class: "ghost small", onclick: () => this.reset(intent) }, "Back to default") : null)));
    }
  }

  async save(intent, name) {
    const done = await this.guarded(() => request("PUT", `/api/intent-names/${encodeURIComponent(intent)}`, { name }));
    if (!done) return;
    this.data.names[intent] = done.name;
    if (!this.data.renamed.includes(intent)) this.data.renamed.push(intent);
    this.render();
    this.toast(`${intent} now reads "${done.name}" for agents.`);
  }

  async reset(intent) {
    const done = await this.guarded(() => request("DELETE", `/api/intent-names/${encodeURIComponent(intent)}`));
    if (!done) return;
    this.data.names[intent] = done.name || intent;
    this.data.renamed = this.data.renamed.filter((i) => i !== intent);
    this.render();
  }
}
