// "Add an example by hand": a sentence the bot should understand, for an existing or a new intent, written
// into the training data exactly as a label from the inbox is (POST /api/admin/examples), for the next retrain.
import { request } from "../shared/api.js";
import { byId } from "../shared/dom.js";

export class ExamplesForm {
  constructor({ guarded, toast }) {
    this.guarded = guarded;
    this.toast = toast;
    this.form = byId("example-form");
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.add();
    });
  }

  async add() {
    const text = byId("example-text").value.trim();
    const intent = byId("example-intent").value.trim();
    const answer = byId("example-answer").value.trim();
    const error = byId("example-error");
    error.hidden = true;
    if (!text || !intent) {
      error.textContent = "Write the example and the intent it belongs to.";
      error.hidden = false;
      return;
    }
    const body = { text, intent, ...(answer ? { answer } : {}) };
    const done = await this.guarded(() => request("POST", "/api/admin/examples", body), (err) => {
      error.textContent = err.message;
      error.hidden = false;
    });
    if (!done) return;
    this.form.reset();
    this.toast(`Added to ${done.intent}${done.new_intent ? " (a new intent)" : ""}: it is in the next retrain.`);
  }
}
