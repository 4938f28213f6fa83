// Tandem dashboard: fetches /api/dashboard and draws every chart as inline SVG. No libraries, no network
// beyond this gateway; every piece of text from the server goes in through textContent.
import { ESCALATION_KINDS, UNKNOWN_KIND_COLOR } from "/vocabulary.js";
import { drillButton, initExplore } from "./explore.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 640;
const H = 230;
const PAD = { top: 14, right: 14, bottom: 34, left: 46 };
const COLORS = {
  containment: "#0f766e", escalation: "#d92d20", first: "#1570ef", handle: "#7a5af8",
  before: "#dc6803", after: "#039855", bot: "#667085", agent: "#0f766e",
};
const SPARE = ["#7a5af8", "#039855", "#b54708", "#155eef", "#6941c6", "#0e9384"];
const DAY_MS = 86400000;

const byId = (id) => document.getElementById(id);

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

// ---------------------------------------------------------------- formatting

const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
const num = (x, d = 2) => (x === null || x === undefined ? "—" : x.toFixed(d));

function duration(s) {
  if (s === null || s === undefined) return "—";
  const total = Math.round(s);
  if (total < 60) return `${total} s`;
  if (total < 3600) {
    const m = Math.floor(total / 60);
    const rest = total % 60;
    return rest ? `${m} min ${rest} s` : `${m} min`;
  }
  const h = Math.floor(total / 3600);
  return `${h} h ${Math.floor((total % 3600) / 60)} min`;
}

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function bucketLabel(ms, bucket, short) {
  const d = new Date(ms);
  const day = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  if (bucket === "day") return day;
  const hour = `${String(d.getUTCHours()).padStart(2, "0")}:00`;
  return short && d.getUTCHours() !== 0 ? hour : `${day} ${hour}`;
}

// ---------------------------------------------------------------- chart primitives

function frame(container, label) {
  container.replaceChildren();
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "plot" });
  container.append(root);
  return root;
}

// The top of an axis with four gridlines at round values: 4 × a step of 1, 2, 2.5 (fractions only), 3, 4, 5,
// 6 or 8 times a power of ten.
function niceMax(value, whole = false) {
  if (!(value > 0)) return whole ? 4 : 1;
  const raw = value / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const steps = whole && p < 10 ? [1, 2, 3, 4, 5, 6, 8, 10] : [1, 2, 2.5, 3, 4, 5, 6, 8, 10];
  const step = steps.map((m) => m * p).find((v) => raw <= v + 1e-9);
  return 4 * (whole ? Math.max(1, Math.ceil(step)) : step);
}

function axes(root, labels, bucket, yMax, yFormat) {
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + ih - (ih * i) / 4;
    root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: "grid" }));
    root.append(svg("text", { x: PAD.left - 6, y: y + 4, class: "tick", "text-anchor": "end" },
      yFormat((yMax * i) / 4)));
  }
  const n = labels.length;
  const step = Math.max(1, Math.ceil(n / 8));
  for (let i = 0; i < n; i += step) {
    const x = PAD.left + (iw * (i + 0.5)) / n;
    root.append(svg("text", { x, y: H - PAD.bottom + 16, class: "tick", "text-anchor": "middle" },
      bucketLabel(labels[i], bucket, true)));
  }
  return { iw, ih, x: (i) => PAD.left + (iw * (i + 0.5)) / n, y: (v) => PAD.top + ih - (ih * v) / yMax };
}

function legend(container, items) {
  const box = el("div", { class: "legend" });
  for (const { name, color } of items) {
    const item = el("span", { class: "legend-item" });
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = color;
    item.append(swatch, document.createTextNode(name));
    box.append(item);
  }
  container.append(box);
}

function empty(container, text) {
  container.replaceChildren(el("p", { class: "empty muted" }, text));
}

function lineChart(container, { labels, bucket, series, yMax, yFormat, label }) {
  if (!series.some((s) => s.values.some((v) => v !== null && v !== undefined))) {
    empty(container, "No data in this period.");
    return;
  }
  const root = frame(container, label);
  const top = yMax ?? niceMax(Math.max(...series.flatMap((s) => s.values.filter((v) => v !== null))));
  const a = axes(root, labels, bucket, top, yFormat);
  for (const s of series) {
    let path = "";
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      path += `${pen ? "L" : "M"}${a.x(i).toFixed(1)},${a.y(v).toFixed(1)} `;
      pen = true;
    });
    root.append(svg("path", { d: path.trim(), class: "line", stroke: s.color }));
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const dot = svg("circle", { cx: a.x(i), cy: a.y(v), r: 3, fill: s.color, class: "dot" });
      dot.append(svg("title", {}, `${s.name} · ${bucketLabel(labels[i], bucket, false)}: ${yFormat(v)}`));
      root.append(dot);
    });
  }
  legend(container, series);
}

function stackedBars(container, { labels, bucket, stacks, label }) {
  const totals = labels.map((_, i) => stacks.reduce((t, s) => t + (s.values[i] || 0), 0));
  if (!totals.some((t) => t > 0)) {
    empty(container, "No escalations in this period.");
    return;
  }
  const root = frame(container, label);
  const top = niceMax(Math.max(...totals), true);
  const a = axes(root, labels, bucket, top, (v) => String(v));
  const bw = Math.max(2, (a.iw / labels.length) * 0.7);
  labels.forEach((start, i) => {
    let base = 0;
    for (const s of stacks) {
      const v = s.values[i] || 0;
      if (!v) continue;
      const y0 = a.y(base);
      const y1 = a.y(base + v);
      const bar = svg("rect", { x: a.x(i) - bw / 2, y: y1, width: bw, height: Math.max(1, y0 - y1), fill: s.color,
        class: "bar" });
      bar.append(svg("title", {}, `${s.name} · ${bucketLabel(start, bucket, false)}: ${v}`));
      root.append(bar);
      base += v;
    }
  });
  legend(container, stacks);
}

function groupedBars(container, { categories, groups, label, yFormat }) {
  const all = groups.flatMap((g) => g.values);
  if (!all.some((v) => v > 0)) {
    empty(container, "No ratings in this period.");
    return;
  }
  const root = frame(container, label);
  const top = niceMax(Math.max(...all), true);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + ih - (ih * v) / top;
  for (let i = 0; i <= 4; i++) {
    const gy = PAD.top + ih - (ih * i) / 4;
    root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: gy, y2: gy, class: "grid" }));
    root.append(svg("text", { x: PAD.left - 6, y: gy + 4, class: "tick", "text-anchor": "end" }, yFormat((top * i) / 4)));
  }
  const slot = iw / categories.length;
  const bw = (slot * 0.7) / groups.length;
  categories.forEach((cat, i) => {
    const x0 = PAD.left + slot * i + slot * 0.15;
    groups.forEach((g, j) => {
      const v = g.values[i];
      const bar = svg("rect", { x: x0 + bw * j, y: y(v), width: bw - 2, height: Math.max(0, PAD.top + ih - y(v)),
        fill: g.color, class: "bar" });
      bar.append(svg("title", {}, `${g.name} · ${cat}: ${v}`));
      root.append(bar);
    });
    root.append(svg("text", { x: x0 + slot * 0.35, y: H - PAD.bottom + 16, class: "tick", "text-anchor": "middle" }, cat));
  });
  legend(container, groups);
}

// ---------------------------------------------------------------- the page

function kpi(id, value, sub) {
  const card = byId(id);
  card.querySelector(".value").textContent = value;
  card.querySelector(".sub").textContent = sub;
}

/** A top list: the value, its count, and the list of conversations behind it (`figure` with the row's value). */
function fillTable(id, rows, key, figure) {
  const body = byId(id).querySelector("tbody");
  body.replaceChildren();
  if (!rows.length) {
    const tr = el("tr");
    tr.append(el("td", { colspan: "3", class: "muted" }, "Nothing in this period."));
    body.append(tr);
    return;
  }
  for (const row of rows) {
    const tr = el("tr");
    const drill = el("td", { class: "no-csv" });
    if (figure) drill.append(drillButton(figure, row[key], `${row[key]}`));
    tr.append(el("td", {}, row[key]), el("td", { class: "num" }, String(row.count)), drill);
    body.append(tr);
  }
}

function fillReasons(reasons) {
  const rows = Object.entries(reasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const body = byId("table-reasons").querySelector("tbody");
  body.replaceChildren();
  if (!rows.length) {
    const tr = el("tr");
    tr.append(el("td", { colspan: "3", class: "muted" }, "No escalations in this period."));
    body.append(tr);
    return;
  }
  for (const [kind, count] of rows) {
    const label = ESCALATION_KINDS[kind]?.label || kind.replace(/_/g, " ");
    const tr = el("tr", { "data-kind": kind });
    const drill = el("td", { class: "no-csv" });
    drill.append(drillButton("reason", kind, label));
    tr.append(el("td", { "data-csv": `${label} (${kind})` }, label), el("td", { class: "num" }, String(count)), drill);
    body.append(tr);
  }
}

function fillAgents(agents) {
  const body = byId("table-agents").querySelector("tbody");
  body.replaceChildren();
  if (!agents.length) {
    const tr = el("tr");
    tr.append(el("td", { colspan: "8", class: "muted" }, "No agent took a conversation in this period."));
    body.append(tr);
    return;
  }
  for (const a of agents) {
    const tr = el("tr", { "data-agent": a.agent });
    const drill = el("td", { class: "no-csv" });
    drill.append(drillButton("agent", a.agent, `agent ${a.agent}`));
    tr.append(el("td", {}, a.agent), el("td", { class: "num" }, String(a.conversations)),
      el("td", { class: "num" }, String(a.handovers)),
      el("td", { class: "num" }, duration(a.first_response_s.median)),
      el("td", { class: "num" }, duration(a.handle_s.median)),
      el("td", { class: "num" }, a.negativity.n ? `${num(a.negativity.before)} → ${num(a.negativity.after)}` : "—"),
      el("td", { class: "num" }, a.ratings.n ? `${num(a.ratings.mean, 1)} (${a.ratings.n})` : "—"), drill);
    body.append(tr);
  }
}

function reasonColor(kind, i) {
  if (kind === "unknown") return UNKNOWN_KIND_COLOR;
  return ESCALATION_KINDS[kind]?.color || SPARE[i % SPARE.length];
}

function render(d) {
  const t = d.totals;
  const labels = d.series.map((b) => b.start);
  const bucket = d.bucket;
  kpi("kpi-containment", pct(t.containment),
    `${t.contained} of ${t.conversations} conversations resolved without a person`);
  kpi("kpi-escalation", pct(t.escalation_rate),
    `${t.escalated} conversations escalated (${t.escalations} escalations)`);
  kpi("kpi-first-response", duration(t.first_response_s.median),
    `median of ${t.first_response_s.n} · p90 ${duration(t.first_response_s.p90)} · queue wait ${duration(t.queue_wait_s.median)}`);
  kpi("kpi-handle", duration(t.handle_s.median), `median of ${t.handle_s.n} handovers · p90 ${duration(t.handle_s.p90)}`);
  const r = t.ratings;
  kpi("kpi-ratings", `${num(r.bot.mean, 1)} · ${num(r.agent.mean, 1)}`,
    `bot ${r.bot.n} rating${r.bot.n === 1 ? "" : "s"} · agents ${r.agent.n} rating${r.agent.n === 1 ? "" : "s"}`);
  const ans = t.answers;
  kpi("kpi-answers", `${ans.up} · ${ans.down}`,
    `${ans.approval === null ? "no answers rated" : `${pct(ans.approval)} up`} · ${ans.flagged} flagged by agents`);
  const n = t.negativity;
  kpi("kpi-negativity", `${num(n.before)} → ${num(n.after)}`,
    n.n ? `calmer after the handover in ${n.improved} of ${n.n}` : "no handovers with messages on both sides");

  lineChart(byId("chart-containment").querySelector(".chart"), {
    labels, bucket, yMax: 1, yFormat: pct, label: "Containment and escalation rate per period",
    series: [
      { name: "Containment", color: COLORS.containment, values: d.series.map((b) => b.containment) },
      { name: "Escalation rate", color: COLORS.escalation, values: d.series.map((b) => b.escalation_rate) },
    ],
  });
  const kinds = Object.keys(t.reasons);
  stackedBars(byId("chart-reasons").querySelector(".chart"), {
    labels, bucket, label: "Escalations per period, stacked by reason",
    stacks: kinds.map((k, i) => ({ name: ESCALATION_KINDS[k]?.label || k.replace(/_/g, " "), color: reasonColor(k, i),
      values: d.series.map((b) => b.reasons[k] || 0) })),
  });
  const minutes = (s) => (s === null ? null : s / 60);
  lineChart(byId("chart-times").querySelector(".chart"), {
    labels, bucket, yFormat: (v) => `${Math.round(v * 100) / 100}`, label: "Median minutes per period",
    series: [
      { name: "First agent response", color: COLORS.first, values: d.series.map((b) => minutes(b.first_response_s.median)) },
      { name: "Handle time", color: COLORS.handle, values: d.series.map((b) => minutes(b.handle_s.median)) },
    ],
  });
  lineChart(byId("chart-negativity").querySelector(".chart"), {
    labels, bucket, yMax: 1, yFormat: (v) => v.toFixed(2), label: "Mean negativity before and after the handover",
    series: [
      { name: "Before the handover", color: COLORS.before, values: d.series.map((b) => b.negativity.before) },
      { name: "With the agent", color: COLORS.after, values: d.series.map((b) => b.negativity.after) },
    ],
  });
  const stars = ["1", "2", "3", "4", "5"];
  groupedBars(byId("chart-ratings").querySelector(".chart"), {
    categories: stars.map((s) => `${s} ★`), label: "How many ratings of each score, bot and agents",
    yFormat: (v) => String(v),
    groups: [
      { name: `Bot (${r.bot.n})`, color: COLORS.bot, values: stars.map((s) => r.bot.distribution[s]) },
      { name: `Agents (${r.agent.n})`, color: COLORS.agent, values: stars.map((s) => r.agent.distribution[s]) },
    ],
  });
  fillReasons(t.reasons);
  fillAgents(d.agents);
  fillTable("table-fallbacks", d.top_fallbacks, "text", "fallback");
  fillTable("table-intents", d.top_intents, "intent", "intent");
  fillTable("table-escalation-intents", d.escalation_intents, "intent", "escalation_intent");
}

function showError(text) {
  const box = byId("error");
  box.textContent = text;
  box.hidden = !text;
}

async function load() {
  const params = new URLSearchParams({ since: byId("since").value, until: byId("until").value,
    bucket: byId("bucket").value });
  history.replaceState(null, "", `?${params}`);
  byId("status").textContent = "Loading…";
  document.body.dataset.state = "loading";
  let resp;
  try {
    resp = await fetch(`/api/dashboard?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    showError("The gateway cannot be reached. Check your connection and try again.");
    byId("status").textContent = "";
    document.body.dataset.state = "error";
    return;
  }
  if (resp.status === 401) {
    window.location.assign("/console");
    return;
  }
  const body = await resp.json().catch(() => null);
  if (!resp.ok || !body) {
    showError(body?.error?.message || `The dashboard could not be loaded (HTTP ${resp.status}).`);
    byId("status").textContent = "";
    document.body.dataset.state = "error";
    return;
  }
  showError("");
  render(body);
  const when = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  byId("status").textContent = `Updated ${when}${body.truncated ? " · too many conversations: showing the oldest 50 000" : ""}.`;
  document.body.dataset.state = "ready";
}

function init() {
  const q = new URLSearchParams(window.location.search);
  const today = Date.now();
  byId("until").value = q.get("until") || isoDate(today);
  byId("since").value = q.get("since") || isoDate(today - 13 * DAY_MS);
  byId("bucket").value = q.get("bucket") === "hour" ? "hour" : "day";
  // The lists behind the figures cover the range the figures were drawn for (the URL's, set by load()).
  initExplore(() => {
    const q = new URLSearchParams(window.location.search);
    return { since: q.get("since"), until: q.get("until") };
  });
  byId("range-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  load();
}

init();
