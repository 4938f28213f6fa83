// Escalation thresholds: saved in Redis, applied by every instance within seconds (handoff/admin/live_knobs.py)
// and built into the next retrained model; Preview replays the last conversations first (knob_preview.py).
import { request } from "../shared/api.js";
import { byId, clear, h } from "../shared/dom.js";

const LABELS = {
  explicit_min_confidence: "Asked for a person: minimum intent confidence",
  model_weight: "Weight of the emotion classifier's negativity (vs. words of frustration)",
  negativity_alpha: "Rolling negativity: weight of the newest message",
  rolling_threshold: "Rolling negativity that hands over",
  current_min: "…and the newest message at least",
  spike_level: "One message this negative hands over",
  spike_emotion: "One message this angry or afraid hands over",
  soften_factor: "Softened wording (\"haha\", \"no rush\") multiplies negativity by",
  distress_fear: "Stolen card + fear above this is sensitive",
  distress_negativity: "Stolen card + negativity above this is sensitive",
  max_fallbacks: "Consecutive fallbacks before handing over",
  max_asks: "Same question asked this many times",
  rephrase_overlap: "Word overlap that counts as the same question",
};

export class EscalationView {
  constructor({ guarded, toast }) {
    this.guarded = guarded;
    this.toast = toast;
    this.fields = [];
    this.inputs = new Map();
    byId("esc-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.save(false);
    });
    byId("esc-reset").addEventListener("click", () => this.save(true));
    byId("esc-preview").addEventListener("click", () => this.preview());
    byId("fallback-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.saveFallback(false);
    });
    byId("fallback-reset").addEventListener("click", () => this.saveFallback(true));
  }

  show() {
    this.load();
  }

  async load() {
    const data = await this.guarded(() => request("GET", "/api/admin/escalation"));
    if (!data) return;
    this.fields = data.fields;
    const rows = clear(byId("esc-rows"));
    this.inputs.clear();
    for (const f of data.fields) {
      const input = h("input", {
        type: "number", id: `esc-${f.name}`, min: String(f.min), max: String(f.max),
        step: f.type === "float" ? "0.01" : "1", required: true,
      });
      this.inputs.set(f.name, input);
      input.value = String(data.live[f.name]);
      const live = data.live[f.name];
      rows.append(h("tr", { class: live !== data.model[f.name] ? "changed" : "" },
        h("th", { scope: "row" }, h("label", { for: `esc-${f.name}` }, LABELS[f.name] || f.name),
          h("div", { class: "muted mono" }, f.name)),
        h("td", {}, String(data.model[f.name])), h("td", {}, String(live)), h("td", {}, input),
        h("td", { class: "muted" }, String(f.default))));
    }
    byId("esc-status").textContent = `Active model: ${data.active_version}.`;
    const fb = data.fallback || {};
    byId("fallback-threshold").value = fb.live === null || fb.live === undefined ? "" : String(fb.live);
    byId("fallback-model").textContent = `in the model: ${fb.model ?? "none"}${fb.override !== null && fb.override !== undefined ? " · live value set here" : ""}`;
  }

  async saveFallback(reset) {
    const raw = byId("fallback-threshold").value;
    const n = Number(raw);
    if (!reset && (raw === "" || !Number.isFinite(n) || n < 0 || n > 1)) {
      return this.showError("Fallback threshold: a number from 0 to 1.");
    }
    this.showError("");
    const done = await this.guarded(() => request("PUT", "/api/admin/fallback", { threshold: reset ? null : n }),
      (err) => this.showError(err.message));
    if (!done) return;
    this.toast(reset ? "Fallback threshold: the model's own again, on every instance within seconds."
      : "Fallback threshold saved: every instance applies it to its next turn within seconds.");
    this.load();
  }

  /** The form's values, or null after showing what is wrong. */
  values() {
    const values = {};
    for (const f of this.fields) {
      const input = this.inputs.get(f.name);
      const n = Number(input.value);
      if (input.value === "" || !Number.isFinite(n) || n < f.min || n > f.max || (f.type === "int" && !Number.isInteger(n))) {
        this.showError(`${LABELS[f.name] || f.name}: ${f.type === "int" ? "a whole number" : "a number"} from ${f.min} to ${f.max}.`);
        return null;
      }
      values[f.name] = n;
    }
    return values;
  }

  async preview() {
    const values = this.values();
    const last = Number(byId("esc-last").value);
    if (!values) return;
    if (!Number.isInteger(last) || last < 1 || last > 1000) return this.showError("Preview: a whole number of conversations from 1 to 1000.");
    this.showError("");
    const r = await this.guarded(() => request("POST", "/api/admin/escalation/preview", { values, last }), (err) => this.showError(err.message));
    if (!r) return;
    const out = clear(byId("esc-preview-result"));
    const diff = r.handovers_proposed - r.handovers_now;
    out.append(h("p", { id: "esc-preview-summary" },
      `Replayed ${r.conversations} conversation${r.conversations === 1 ? "" : "s"}: the assistant handed over ${r.handovers_now} ` +
      `with the live values, and would hand over ${r.handovers_proposed} with these ` +
      `(${diff > 0 ? "+" : ""}${diff}: ${r.more} more, ${r.fewer} fewer; ${r.earlier} earlier, ${r.later} later).`));
    for (const [title, list] of [["Would now be handed over", r.more_examples], ["Would no longer be handed over", r.fewer_examples]]) {
      if (!list.length) continue;
      out.append(h("h3", {}, title), h("ul", {}, ...list.map((e) => h("li", {},
        h("a", { href: `/console/?view=${encodeURIComponent(e.conversation_id)}`, target: "_blank", rel: "noopener" },
          `${e.kind} (${e.detail}) at message ${e.turn}`),
        h("span", { class: "muted" }, ` — ${e.messages.join(" / ")}`)))));
    }
  }

  async save(reset) {
    const values = reset ? {} : this.values();
    if (!values) return;
    this.showError("");
    const done = await this.guarded(() => request("PUT", "/api/admin/escalation", { values }), (err) => this.showError(err.message));
    if (!done) return;
    this.toast(reset ? "Back to the model's own values, on every instance within seconds." : "Saved: every instance applies them to its next turn within seconds.");
    this.load();
  }

  showError(text) {
    const el = byId("esc-error");
    el.hidden = !text;
    el.textContent = text;
  }
}
