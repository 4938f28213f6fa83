// Admin-only editor for canned responses (the dialog behind "Canned responses" in the top bar of the console
// and the admin page). It builds its own dialog, so the two pages share its markup too. The server enforces
// the role; this only saves admins a round trip to a 403.
import { api, ApiError } from "./api.js";
import { byId, clear, h } from "./dom.js";

export class CannedAdmin {
  /** onChange(list) after every successful edit; onExpired() when the session is gone. */
  constructor({ onChange, onExpired }) {
    this.onChange = onChange;
    this.onExpired = onExpired;
    this.list = [];
    if (!document.getElementById("canned-dialog")) document.body.append(cannedDialog());
    this.dialog = byId("canned-dialog");
    this.ul = byId("canned-admin-list");
    this.idInput = byId("canned-edit-id");
    this.titleInput = byId("canned-edit-title");
    this.textInput = byId("canned-edit-text");
    this.legend = byId("canned-edit-legend");
    this.error = byId("canned-error");
    byId("canned-save").addEventListener("click", () => this.save());
    byId("canned-new").addEventListener("click", () => this.edit(null));
  }

  open(list) {
    this.list = list;
    this.render();
    this.edit(null);
    this.dialog.showModal();
  }

  render() {
    clear(this.ul);
    if (!this.list.length) this.ul.append(h("li", { class: "muted" }, "No canned responses yet."));
    for (const item of this.list) {
      this.ul.append(h("li", { dataset: { id: String(item.id) } },
        h("div", { class: "canned-title" }, item.title),
        h("div", { class: "canned-text muted" }, item.text),
        h("div", { class: "row" },
          h("button", { type: "button", class: "ghost small", onclick: () => this.edit(item) }, "Edit"),
          h("button", { type: "button", class: "danger small", onclick: () => this.remove(item) }, "Delete"))));
    }
  }

  edit(item) {
    this.idInput.value = item ? String(item.id) : "";
    this.titleInput.value = item ? item.title : "";
    this.textInput.value = item ? item.text : "";
    this.legend.textContent = item ? "Edit response" : "Add a response";
    this.showError("");
  }

  async save() {
    const title = this.titleInput.value.trim();
    const text = this.textInput.value.trim();
    if (!title || !text) return this.showError("A title and a text are both needed.");
    await this.run(async () => {
      const id = this.idInput.value;
      if (id) await api.updateCanned(id, title, text);
      else await api.createCanned(title, text);
      this.edit(null);
    });
  }

  async remove(item) {
    await this.run(() => api.deleteCanned(item.id));
  }

  /** Do one change, then reload the list from the server (the truth other admins may also edit). */
  async run(change) {
    try {
      await change();
      const data = await api.canned();
      this.list = data.canned || [];
      this.render();
      this.onChange(this.list);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.dialog.close();
        this.onExpired();
        return;
      }
      this.showError(err instanceof ApiError && err.status === 403
        ? "Only admins can change canned responses." : err.message);
    }
  }

  showError(text) {
    this.error.hidden = !text;
    this.error.textContent = text;
  }
}

/** The dialog's markup: the list, then the add/edit form. Ids are what CannedAdmin and the tests find. */
function cannedDialog() {
  return h("dialog", { id: "canned-dialog", class: "canned-dialog", "aria-labelledby": "canned-dialog-title" },
    h("form", { method: "dialog", class: "canned-dialog-body", id: "canned-form" },
      h("h2", { id: "canned-dialog-title" }, "Canned responses"),
      h("ul", { id: "canned-admin-list", class: "canned-admin-list" }),
      h("fieldset", {},
        h("legend", { id: "canned-edit-legend" }, "Add a response"),
        h("input", { type: "hidden", id: "canned-edit-id" }),
        h("label", {}, "Title ", h("input", { id: "canned-edit-title", maxlength: "80", required: true })),
        h("label", {}, "Text ", h("textarea", { id: "canned-edit-text", rows: "3", maxlength: "2000", required: true })),
        h("p", { id: "canned-error", class: "form-error", role: "alert", hidden: true }),
        h("div", { class: "row" },
          h("button", { type: "button", id: "canned-save", class: "primary" }, "Save"),
          h("button", { type: "button", id: "canned-new", class: "ghost" }, "New"),
          h("span", { class: "spacer" }),
          // formnovalidate: "Done" closes even with the (required) add form left empty.
          h("button", { value: "close", class: "ghost", formnovalidate: true }, "Done")))));
}
