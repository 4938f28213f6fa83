// "My replies": the dialog where an agent keeps personal canned replies beside the team's
// (GET|POST /api/canned/mine, DELETE /api/canned/mine/<id>). Any agent; each sees only their own.
import { api, ApiError } from "./api.js";
import { byId, clear, h } from "../shared/dom.js";

export class MyCanned {
  /** onChange(list) after every load or change; onExpired() when the session is gone. */
  constructor({ onChange, onExpired }) {
    this.onChange = onChange;
    this.onExpired = onExpired;
    this.list = [];
    document.body.append(dialog());
    this.dialog = byId("mine-dialog");
    byId("mine-save").addEventListener("click", () => this.save());
  }

  async load() {
    await this.run(async () => {});
  }

  open() {
    this.render();
    this.dialog.showModal();
    byId("mine-title").focus();
  }

  render() {
    const ul = clear(byId("mine-list"));
    if (!this.list.length) ul.append(h("li", { class: "muted" }, "No personal replies yet. Type / in a reply box to use them."));
    for (const item of this.list) {
      ul.append(h("li", { dataset: { id: item.id } },
        h("div", { class: "canned-title" }, item.title),
        h("div", { class: "canned-text muted" }, item.text),
        h("div", { class: "row" }, h("button", { type: "button", class: "danger small", onclick: () => this.run(() => api.deleteMine(item.id)) }, "Delete"))));
    }
  }

  async save() {
    const title = byId("mine-title").value.trim();
    const text = byId("mine-text").value.trim();
    if (!title || !text) return this.showError("A title and a text are both needed.");
    await this.run(async () => {
      await api.createMine(title, text);
      byId("mine-title").value = "";
      byId("mine-text").value = "";
    });
  }

  async run(change) {
    try {
      await change();
      this.list = (await api.mine()).canned || [];
      this.render();
      this.showError("");
      this.onChange(this.list);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        if (this.dialog.open) this.dialog.close();
        return this.onExpired();
      }
      this.showError(err.message);
    }
  }

  showError(text) {
    const el = byId("mine-error");
    el.hidden = !text;
    el.textContent = text;
  }
}

function dialog() {
  return h("dialog", { id: "mine-dialog", class: "canned-dialog", "aria-labelledby": "mine-dialog-title" },
    h("form", { method: "dialog", class: "canned-dialog-body" },
      h("h2", { id: "mine-dialog-title" }, "My canned replies"),
      h("ul", { id: "mine-list", class: "canned-admin-list" }),
      h("fieldset", {},
        h("legend", {}, "Add a reply of my own"),
        h("label", {}, "Title ", h("input", { id: "mine-title", maxlength: "80" })),
        h("label", {}, "Text ", h("textarea", { id: "mine-text", rows: "3", maxlength: "2000" })),
        h("p", { id: "mine-error", class: "form-error", role: "alert", hidden: true }),
        h("div", { class: "row" },
          h("button", { type: "button", id: "mine-save", class: "primary" }, "Save"),
          h("span", { class: "spacer" }),
          h("button", { value: "close", class: "ghost", formnovalidate: true }, "Done")))));
}
