// Every figure leads to its conversations: a button beside each figure opens the list behind it
// (GET /api/dashboard/conversations, the same population the figure counts), each row a link to the
// conversation's read-only transcript in the console. Every table has a CSV button (csv.js).
import { ESCALATION_KINDS } from "/vocabulary.js";
import { downloadTable } from "./csv.js";

const byId = (id) => document.getElementById(id);

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

/** A button that lists the conversations behind `figure` (with `value`: a reason, intent, agent, text). */
export function drillButton(figure, value, label) {
  const b = el("button", { type: "button", class: "drill", "data-figure": figure, "aria-label": `Conversations: ${label}` },
    "list");
  if (value !== undefined && value !== null) b.dataset.value = String(value);
  b.dataset.label = label;
  return b;
}

const when = (ms) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
const kindLabel = (k) => ESCALATION_KINDS[k]?.label || k.replace(/_/g, " ");

function row(c) {
  const tr = el("tr", { "data-conversation": c.conversation_id });
  const link = el("a", { href: c.view, target: "_blank", rel: "noopener" }, c.conversation_id.slice(0, 8));
  const first = el("td", { "data-csv": c.conversation_id });
  first.append(link);
  const answers = `${c.thumbs_up} up · ${c.thumbs_down} down${c.flagged ? ` · ${c.flagged} flagged` : ""}`;
  tr.append(first, el("td", {}, `${when(c.created)} UTC`), el("td", {}, c.handled_by),
    el("td", {}, c.agents.join(", ") || "—"), el("td", {}, c.escalations.map(kindLabel).join(", ") || "—"),
    el("td", { class: "num" }, c.rating === null ? "—" : String(c.rating)), el("td", {}, answers));
  return tr;
}

async function openList(range, figure, value, label) {
  const panel = byId("drill");
  const params = new URLSearchParams({ ...range(), figure });
  if (value) params.set("value", value);
  panel.hidden = false;
  panel.dataset.state = "loading";
  byId("drill-title").textContent = `Conversations behind: ${label}`;
  byId("drill-status").textContent = "Loading…";
  const body = byId("drill-table").querySelector("tbody");
  body.replaceChildren();
  let data = null;
  try {
    const resp = await fetch(`/api/dashboard/conversations?${params}`, { credentials: "same-origin",
      headers: { Accept: "application/json" } });
    data = await resp.json().catch(() => null);
    if (!resp.ok) throw new Error(data?.error?.message || `HTTP ${resp.status}`);
  } catch (err) {
    byId("drill-status").textContent = `The list could not be loaded: ${err.message}`;
    panel.dataset.state = "error";
    return;
  }
  for (const c of data.conversations) body.append(row(c));
  const shown = data.conversations.length;
  byId("drill-status").textContent = `${data.total} conversation${data.total === 1 ? "" : "s"}` +
    (shown < data.total ? ` (the first ${shown} listed)` : "") + "; each opens read-only in the console.";
  panel.dataset.state = "ready";
  panel.dataset.figure = figure;
  byId("drill-title").focus();
}

/** Wire the list buttons and CSV buttons of the page; `range()` gives the page's {since, until}. */
export function initExplore(range) {
  document.addEventListener("click", (ev) => {
    const drill = ev.target.closest("button[data-figure]");
    if (drill) {
      openList(range, drill.dataset.figure, drill.dataset.value, drill.dataset.label);
      return;
    }
    const csv = ev.target.closest("button[data-csv]");
    if (csv) downloadTable(byId(csv.dataset.csv), csv.dataset.name || csv.dataset.csv);
  });
  byId("drill-close").addEventListener("click", () => {
    byId("drill").hidden = true;
  });
}
