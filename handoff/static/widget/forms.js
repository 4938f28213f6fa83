/* Tandem widget — the two small forms a chat can end with: the 1–5 rating after an adviser closes it, and
 * "leave a message for a call back" when nobody is online. Each takes send(frame) -> bool (false: offline,
 * nothing was sent, the form stays and says so) and done() for when the frame went out.
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});
  const { h } = NS.dom;
  const OFFLINE = "We're offline right now. Please try again in a moment.";

  function ratingForm({ send, done }) {
    const stars = h("div", { class: "stars" });
    for (let score = 1; score <= 5; score++) {
      const id = `tdm-star-${score}`;
      // Native radios: arrow keys move between them and screen readers say "4 stars out of 5, 4 of 5".
      stars.append(
        h("input", { type: "radio", name: "score", value: String(score), id }),
        h(
          "label",
          { for: id, title: `${score} of 5` },
          h("span", { "aria-hidden": "true", text: "★" }),
          h("span", { class: "sr", text: `${score} ${score === 1 ? "star" : "stars"} out of 5` }),
        ),
      );
    }
    const comment = h("textarea", { id: "tdm-rating-comment", rows: "2", maxlength: String(NS.MAX_TEXT) });
    const error = h("p", { class: "error", role: "alert" });
    const form = h(
      "form",
      { class: "rating" },
      h("fieldset", {}, h("legend", { text: "How did we do? Rate this chat from 1 to 5." }), stars),
      h("label", { for: "tdm-rating-comment", text: "Anything to add? (optional)" }),
      comment,
      error,
      h("button", { type: "submit", class: "primary", text: "Send rating" }),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const checked = form.querySelector("input[name=score]:checked");
      if (!checked) {
        error.textContent = "Please choose from 1 to 5 stars.";
        return;
      }
      const frame = { type: "rating", score: Number(checked.value) };
      const text = comment.value.trim();
      if (text) frame.comment = text;
      if (send(frame)) done();
      else error.textContent = OFFLINE;
    });
    return form;
  }

  function callbackForm({ send, done }) {
    const text = h("textarea", { id: "tdm-callback", rows: "3", maxlength: String(NS.MAX_TEXT), required: true });
    const error = h("p", { class: "error", role: "alert" });
    const form = h(
      "form",
      { class: "callback" },
      h("label", { for: "tdm-callback", text: "What should we call you back about?" }),
      text,
      error,
      h("button", { type: "submit", class: "primary", text: "Request a call back" }),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = text.value.trim();
      if (!value) return;
      if (send({ type: "callback", text: value })) done();
      else error.textContent = OFFLINE;
    });
    return form;
  }

  NS.forms = { ratingForm, callbackForm };
})();
