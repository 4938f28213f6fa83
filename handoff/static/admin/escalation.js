// Escalation thresholds: saved now (Redis), built into the next retrained model, live when it is activated.
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
      const next = f.name in data.overrides ? data.overrides[f.name] : f.default;
      const input = h("input", {
        type: "number", id: `esc-${f.name}`, min: String(f.min), max: String(f.max),
        step: f.type === "float" ? "0.01" : "1", required: true,
      });
      input.value = String(next);
      this.inputs.set(f.name, input);
      const live = data.live[f.name];
      rows.append(h("tr", { class: next !== live ? "changed" : "" },
        h("th", { scope: "row" }, h("label", { for: `esc-${f.name}` }, LABELS[f.name] || f.name),
          h("div", { class: "muted mono" }, f.name)),
        h("td", {}, String(live)), h("td", {}, input), h("td", { class: "muted" }, String(f.default))));
    }
    byId("esc-status").textContent = `Live thresholds come from the active model (${data.active_version}).`;
  }

  async save(reset) {
    const values = {};
    if (!reset) {
      for (const f of this.fields) {
        const input = this.inputs.get(f.name);
        const n = Number(input.value);
        if (input.value === "" || !Number.isFinite(n) || n < f.min || n > f.max || (f.type === "int" && !Number.isInteger(n))) {
          return this.showError(`${LABELS[f.name] || f.name}: ${f.type === "int" ? "a whole number" : "a number"} from ${f.min} to ${f.max}.`);
        }
        values[f.name] = n;
      }
    }
    this.showError("");
    const done = await this.guarded(() => request("PUT", "/api/admin/escalation", { values }), (err) => this.showError(err.message));
    if (!done) return;
    this.toast(reset ? "Back to the defaults for the next retrain." : "Saved. Retrain and activate to put them live.");
    this.load();
  }

  showError(text) {
    const el = byId("esc-error");
    el.hidden = !text;
    el.textContent = text;
  }
}
