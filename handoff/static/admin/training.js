// Retraining with live progress (polls GET /api/admin/retrain, which any instance answers from Redis),
// the candidate-vs-running report, activation on every instance, and one-click rollback.
import { request } from "../shared/api.js";
import { byId, clear, h } from "../shared/dom.js";

const RUNNING = new Set(["preparing", "training", "evaluating"]);
const POLL_MS = 1500;
const LOG_LINES_KEPT = 300;
const STATE_TEXT = {
  preparing: "Preparing…", training: "Training…", evaluating: "Comparing with the running model…",
  ready: "Candidate ready", failed: "Failed", cancelled: "Cancelled", lost: "Lost (its instance stopped)",
};
const FIGURES = [
  ["accuracy", "Accuracy"], ["macro_f1", "Macro-F1"], ["banking77_accuracy", "Banking77 accuracy"],
  ["fallback_rate", "Fallback rate"],
];

const fmt = (x) => (typeof x === "number" ? x.toFixed(3) : "–");
const signed = (x) => (x > 0 ? `+${x.toFixed(3)}` : x.toFixed(3));

function elapsedText(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

export class TrainingView {
  constructor({ guarded, toast }) {
    this.guarded = guarded;
    this.toast = toast;
    this.next = "0-0";
    this.job = null;
    this.timer = null;
    this.models = null;
    this.modelsAsked = 0; // refresh tickets: see loadModels
    this.modelsShown = 0;
    this.reportVersion = null;
    this.logEl = byId("retrain-log");
    byId("retrain-start").addEventListener("click", () => this.retrain());
    byId("retrain-cancel").addEventListener("click", () => this.cancel());
    byId("report-activate").addEventListener("click", () => this.reportVersion && this.activate(this.reportVersion));
    byId("models-rollback").addEventListener("click", () => this.rollback());
  }

  /** After sign-in: pick up a job that may already be running (started by another admin, or before a reload). */
  async start() {
    await this.poll();
    await this.loadModels();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  show() {
    this.loadModels();
    if (this.job && this.job.state === "ready" && this.reportVersion !== this.job.version) this.loadReport(this.job.version);
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  async poll() {
    const data = await this.guarded(() => request("GET", `/api/admin/retrain?after=${encodeURIComponent(this.next)}`));
    if (!data) return;
    const before = this.job ? this.job.state : null;
    if (data.job && this.job && data.job.version !== this.job.version) clear(this.logEl);
    this.job = data.job;
    this.next = data.next;
    this.appendLog(data.lines);
    this.renderFacts(data.facts);
    this.renderJob();
    if (this.job && RUNNING.has(this.job.state)) {
      this.schedule();
    } else if (this.job && this.job.state === "ready" && before && RUNNING.has(before)) {
      this.toast(`Candidate ${this.job.version} is ready: see how it compares.`);
      await this.loadReport(this.job.version);
      await this.loadModels();
    } else if (this.job && this.job.state === "ready" && !this.reportVersion) {
      await this.loadReport(this.job.version);
    }
  }

  /** How long the last retraining took, and how many labels the next one would add or change. */
  renderFacts(facts) {
    if (!facts) return;
    const took = facts.last_took_s ? `The last retraining took ${elapsedText(facts.last_took_s * 1000)}.` : "No retraining has finished yet.";
    const since = facts.since_version ? `since candidate ${facts.since_version}` : "in all";
    const removed = facts.labels_removed ? `, ${facts.labels_removed} removed` : "";
    byId("retrain-facts").textContent = `${took} Labels new or changed ${since}: ${facts.labels_new}${removed}.`;
  }

  appendLog(lines) {
    for (const line of lines) this.logEl.append(h("div", { class: `line phase-${line.phase}` }, line.text));
    while (this.logEl.childElementCount > LOG_LINES_KEPT) this.logEl.firstElementChild.remove();
    if (lines.length) this.logEl.scrollTop = this.logEl.scrollHeight;
  }

  renderJob() {
    const job = this.job;
    const running = !!job && RUNNING.has(job.state);
    byId("retrain-start").disabled = running;
    byId("retrain-cancel").hidden = !running;
    const badge = byId("job-badge");
    badge.hidden = !running;
    badge.textContent = running ? "training" : "";
    const chip = byId("retrain-state");
    chip.textContent = job ? `${STATE_TEXT[job.state] || job.state} — ${job.version}` : "No retraining yet.";
    chip.className = `state-chip state-${job ? job.state : "none"}`;
    const order = ["preparing", "training", "evaluating", "ready"];
    const at = job ? order.indexOf(job.state) : -1;
    for (const li of byId("retrain-phases").children) {
      const i = order.indexOf(li.dataset.phase);
      li.className = at < 0 ? "" : i < at || job.state === "ready" ? "done" : i === at ? "now" : "";
    }
    const progress = byId("retrain-progress");
    const bar = byId("retrain-bar");
    let percent = 0;
    if (job) {
      const end = job.finished || Date.now();
      const spent = end - job.started;
      if (job.state === "ready") percent = 100;
      else if (running && job.estimate_s) percent = Math.min(95, Math.round((spent / (job.estimate_s * 1000)) * 100));
      else if (running) percent = { preparing: 5, training: 40, evaluating: 80 }[job.state];
      byId("retrain-elapsed").textContent = running
        ? `Running for ${elapsedText(spent)}${job.estimate_s ? ` (last time: ${elapsedText(job.estimate_s * 1000)})` : ""}, started by ${job.by}.`
        : `Took ${elapsedText(spent)}, started by ${job.by}.`;
    }
    progress.setAttribute("aria-valuenow", String(percent));
    bar.style.width = `${percent}%`;
    bar.classList.toggle("indeterminate", running && !job.estimate_s);
    const err = byId("retrain-error");
    err.hidden = !(job && job.error);
    err.textContent = job && job.error ? job.error : "";
  }

  async retrain() {
    const data = await this.guarded(() => request("POST", "/api/admin/retrain"), (err) => this.toast(err.message));
    if (!data) return;
    clear(this.logEl);
    this.next = "0-0";
    this.reportVersion = null;
    byId("report-card").hidden = true;
    this.job = data.job;
    this.renderJob();
    this.schedule();
  }

  async cancel() {
    await this.guarded(() => request("POST", "/api/admin/retrain/cancel"));
    this.poll();
  }

  async loadReport(version) {
    const data = await this.guarded(() => request("GET", `/api/admin/models/${encodeURIComponent(version)}/report`),
      () => {});
    if (!data) return;
    this.reportVersion = version;
    this.renderReport(version, data.report);
  }

  renderReport(version, report) {
    byId("report-card").hidden = false;
    byId("report-version").textContent = version;
    byId("report-running").textContent = report.running.version;
    const verdict = byId("report-verdict");
    const d = report.delta;
    verdict.textContent = report.verdict === "better"
      ? `Better: macro-F1 ${signed(d.macro_f1)}, accuracy ${signed(d.accuracy)}.`
      : report.verdict === "worse" ? `Worse: macro-F1 ${signed(d.macro_f1)}, accuracy ${signed(d.accuracy)}. Think twice before activating.`
        : `About the same: macro-F1 ${signed(d.macro_f1)}, accuracy ${signed(d.accuracy)}.`;
    verdict.className = `verdict verdict-${report.verdict}`;
    const rows = clear(byId("report-figures"));
    for (const [key, label] of FIGURES) {
      const a = report.running[key];
      const b = report.candidate[key];
      const change = typeof a === "number" && typeof b === "number" ? b - a : null;
      const good = key === "fallback_rate" ? change < 0 : change > 0;
      rows.append(h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, fmt(a)), h("td", {}, fmt(b)),
        h("td", { class: change === null || Math.abs(change) < 0.0005 ? "" : good ? "up" : "down" },
          change === null ? "–" : signed(change))));
    }
    rows.append(h("tr", { class: "muted" }, h("th", { scope: "row" }, "Examples"),
      h("td", { colspan: "3" }, String(report.running.examples))));
    this.renderDeltas(byId("report-better"), report.better, "No intent moved up.");
    this.renderDeltas(byId("report-worse"), report.worse, "No intent got worse.");
    const inbox = report.inbox;
    const right = clear(byId("report-now-right"));
    if (!inbox.now_right.length) right.append(h("li", { class: "muted" }, "None of the labelled inbox messages changed."));
    for (const row of inbox.now_right) {
      right.append(h("li", {}, h("span", { class: "item-text" }, row.text),
        h("span", { class: "muted" }, ` was ${row.running}, now `), h("strong", {}, row.candidate)));
    }
    // A new intent's own figure: a third of its labels were kept out of training (handoff/admin/holdout.py).
    const fresh = clear(byId("report-new-intents"));
    const newIntents = report.new_intents || [];
    if (!newIntents.length) fresh.append(h("li", { class: "muted" }, "No new intent in this version."));
    for (const row of newIntents) {
      fresh.append(h("li", { "data-intent": row.intent }, h("strong", {}, row.intent), row.held_out
        ? ` — ${row.candidate_right} of ${row.held_out} kept-back phrasings right (running model: ${row.running_right}); trained on ${row.trained_on}`
        : ` — trained on all ${row.trained_on} examples: label at least 4 to have one kept back for this check`));
    }
    byId("report-still-wrong-title").textContent = `Still wrong (${inbox.still_wrong.length}); already right before: ${inbox.already_right}`;
    const wrong = clear(byId("report-still-wrong"));
    for (const row of inbox.still_wrong) {
      wrong.append(h("li", {}, h("span", { class: "item-text" }, row.text),
        h("span", { class: "muted" }, ` labelled ${row.label}, candidate says ${row.candidate}`)));
    }
    this.renderActivateButton();
  }

  renderDeltas(ul, rows, empty) {
    clear(ul);
    if (!rows.length) ul.append(h("li", { class: "muted" }, empty));
    for (const row of rows.slice(0, 15)) {
      ul.append(h("li", {}, h("span", { class: "intent-name" }, row.intent),
        h("span", { class: "muted" }, ` ${fmt(row.running)} → ${fmt(row.candidate)} `),
        h("span", { class: row.delta > 0 ? "up" : "down" }, signed(row.delta))));
    }
    if (rows.length > 15) ul.append(h("li", { class: "muted" }, `and ${rows.length - 15} more`));
  }

  renderActivateButton() {
    const button = byId("report-activate");
    const active = this.models && this.models.active.version;
    button.disabled = !this.reportVersion || active === this.reportVersion;
    button.textContent = active === this.reportVersion ? "Active" : `Activate ${this.reportVersion || ""}`;
  }

  async loadModels() {
    // Several refreshes can overlap (activation, rollout polling, a finished job): an older answer
    // arriving after a newer one must not paint the page back in time.
    const ticket = ++this.modelsAsked;
    const data = await this.guarded(() => request("GET", "/api/admin/models"));
    if (!data || ticket < this.modelsShown) return;
    this.modelsShown = ticket;
    this.models = data;
    const active = data.active;
    byId("models-active").textContent = active.version;
    byId("models-active-meta").textContent = active.by ? `by ${active.by}, ${new Date(active.ts).toLocaleString()}` : "(the model the desk started with)";
    const rollback = byId("models-rollback");
    rollback.disabled = !active.previous;
    byId("rollback-target").textContent = active.previous ? `to ${active.previous}` : "nothing earlier to roll back to";
    const inst = clear(byId("models-instances"));
    if (!data.instances.length) inst.append(h("li", { class: "muted" }, "No instance has reported yet."));
    for (const i of data.instances) {
      const ok = i.version === active.version && i.status === "ready";
      inst.append(h("li", { class: ok ? "ok" : "pending" },
        h("strong", {}, i.instance), ` runs ${i.version}`,
        i.status !== "ready" ? h("span", { class: "muted" }, ` — ${i.status}${i.target ? ` ${i.target}` : ""}${i.error ? `: ${i.error}` : ""}`) : null));
    }
    const body = clear(byId("models-versions"));
    for (const v of data.versions) {
      const isActive = v.version === active.version;
      const actions = h("td", { class: "row" });
      if (v.has_report) actions.append(h("button", { type: "button", class: "ghost small", onclick: () => this.loadReport(v.version) }, "Report"));
      if (!isActive) actions.append(h("button", { type: "button", class: "small", onclick: () => this.activate(v.version) }, "Activate"));
      body.append(h("tr", { class: isActive ? "active" : "" },
        h("td", {}, v.version, isActive ? h("span", { class: "chip label" }, "active") : null),
        h("td", {}, v.by || "–"), h("td", {}, fmt(v.accuracy)), h("td", {}, fmt(v.macro_f1)), actions));
    }
    this.renderActivateButton();
    this.watchRollout();
  }

  /** While some instance has not loaded the active model yet, look again shortly. */
  watchRollout() {
    const data = this.models;
    const pending = data.instances.filter((i) => i.version !== data.active.version || i.status !== "ready");
    const status = byId("activate-state");
    if (!data.instances.length) {
      status.textContent = "";
      return;
    }
    const live = data.instances.length - pending.length;
    status.textContent = `${data.active.version} live on ${live} of ${data.instances.length} instance${data.instances.length === 1 ? "" : "s"}.`;
    clearTimeout(this.rolloutTimer);
    if (pending.length && !pending.some((i) => i.status === "failed")) {
      this.rolloutTimer = setTimeout(() => this.loadModels(), 2000);
    }
  }

  async activate(version) {
    const data = await this.guarded(() => request("POST", "/api/admin/models/activate", { version }));
    if (!data) return;
    this.toast(`Activating ${version} on every instance. Open conversations carry on.`);
    await this.loadModels();
  }

  async rollback() {
    const target = this.models && this.models.active.previous;
    if (!target || !confirm(`Roll back every instance to ${target}?`)) return;
    const data = await this.guarded(() => request("POST", "/api/admin/models/rollback"));
    if (!data) return;
    this.toast(`Rolling back to ${data.active.version}.`);
    await this.loadModels();
  }
}
