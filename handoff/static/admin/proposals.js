// The admin page's "Proposals" tab (docs/assist.md): what agents proposed to teach the bot from their replies.
// Accept: the customer's message becomes a training example of the intent (next retrain), and an answer
// proposal's reply becomes an accepted answer the console's drafts offer. Reject: the item is ignored.
// Also the live counts of what agents did with the drafts. Text only via textContent (h()).
import { guarded, toast } from "./admin.js";
import { request } from "../shared/api.js";
import { byId, clear, h } from "../shared/dom.js";

const TABS = ["inbox", "training", "escalation"];
const COUNT_LABELS = [["shown", "Drafts shown"], ["used", "Inserted"], ["edited", "Sent after editing"],
  ["unchanged", "Sent unchanged"], ["proposed", "Proposed"], ["accepted", "Accepted"], ["rejected", "Rejected"]];

function words(intent) {
  return String(intent || "").replace(/_/g, " ");
}

class ProposalsView {
  constructor() {
    this.tab = byId("tab-proposals");
    this.pane = byId("pane-proposals");
    this.list = byId("proposals-list");
    this.status = byId("proposals-status");
    this.tab.addEventListener("click", () => this.select());
    byId("proposals-refresh").addEventListener("click", () => this.load());
    this.status.addEventListener("change", () => this.load());
    for (const name of TABS) byId(`tab-${name}`).addEventListener("click", () => this.deselect());
  }

  select() {
    for (const name of TABS) {
      byId(`tab-${name}`).setAttribute("aria-selected", "false");
      byId(`pane-${name}`).hidden = true;
    }
    this.tab.setAttribute("aria-selected", "true");
    this.pane.hidden = false;
    history.replaceState(null, "", "#proposals");
    this.load();
  }

  deselect() {
    this.tab.setAttribute("aria-selected", "false");
    this.pane.hidden = true;
  }

  async load() {
    const data = await guarded(() => request("GET", `/api/admin/proposals?status=${encodeURIComponent(this.status.value)}`));
    if (!data) return;
    this.renderCounts(data.counts || {});
    clear(this.list);
    byId("proposals-empty").hidden = (data.items || []).length > 0;
    for (const item of data.items || []) this.list.append(this.row(item));
  }

  renderCounts(counts) {
    clear(byId("assist-counts")).append(...COUNT_LABELS.map(([key, label]) =>
      h("div", { class: "assist-count", dataset: { counter: key } }, h("strong", {}, String(counts[key] ?? 0)), " ", label)));
  }

  row(item) {
    const open = item.status === "open";
    const intent = h("select", { class: "proposal-intent", "aria-label": "Intent", disabled: !open },
      h("option", { value: item.proposed_intent }, words(item.proposed_intent)));
    const what = item.kind === "answer" ? "as the answer for" : "the customer's message as an example of";
    const li = h("li", { class: "proposal card", dataset: { id: item.id, kind: item.kind } },
      h("p", { class: "muted" }, `${item.agent || "An agent"} proposes ${what} `, h("strong", {}, words(item.proposed_intent))),
      h("p", {}, "Customer: ", h("q", { class: "proposal-customer" }, String(item.text || ""))));
    if (item.reply) li.append(h("p", {}, "Agent's reply: ", h("q", { class: "proposal-reply" }, String(item.reply))));
    if (open) {
      const accept = h("button", { type: "button", class: "primary proposal-accept" }, "Accept");
      const reject = h("button", { type: "button", class: "ghost proposal-reject" }, "Reject");
      accept.addEventListener("click", () => this.decide("accept", item.id, intent.value));
      reject.addEventListener("click", () => this.decide("reject", item.id));
      li.append(h("div", { class: "row" }, intent, accept, reject));
    } else {
      li.append(h("p", { class: "muted" }, item.status === "labelled" ? `Accepted as ${words(item.label)}` : "Rejected"));
    }
    return li;
  }

  async decide(action, id, intent) {
    const body = action === "accept" ? { id, intent } : { id };
    const done = await guarded(() => request("POST", `/api/admin/proposals/${action}`, body));
    if (!done) return;
    toast(action === "accept" ? "Accepted: it is in the training data for the next retrain." : "Rejected.");
    this.load();
  }
}

new ProposalsView();
