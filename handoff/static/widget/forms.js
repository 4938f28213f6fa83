/* Tandem widget — the two small forms a chat can end with: the 1–5 rating after a chat closes, and
 * "leave a message for a call back" when nobody is online. Each takes send(frame) -> bool (false: offline,
 * nothing was sent, the form stays and says so). A sent form waits, its button disabled, for the server's
 * answer: the UI removes it when the confirming notice arrives, or calls form.fail(text) on an error frame;
 * with no answer at all within ANSWER_TIMEOUT_MS it says so itself. Every submit ends visibly.
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});
  const { h } = NS.dom;
  const OFFLINE = "We're offline right now. Please try again in a moment.";
  const NO_ANSWER = "We didn't hear back from our server, so this may not have been sent. Please try again.";
  const ANSWER_TIMEOUT_MS = 15000;

  /** Disable the form while its frame is answered; returns the fail(text) the UI calls on an error. */
  function awaitAnswer(form, error, button, busyText) {
    const idle = button.textContent;
    const fail = (text) => {
      clearTimeout(form.tandemTimer);
      button.disabled = false;
      button.textContent = idle;
      error.textContent = text;
    };
    form.fail = fail;
    form.sending = () => {
      error.textContent = "";
      button.disabled = true;
      button.textContent = busyText;
      clearTimeout(form.tandemTimer);
      form.tandemTimer = setTimeout(() => fail(NO_ANSWER), ANSWER_TIMEOUT_MS);
    };
    form.settle = () => clearTimeout(form.tandemTimer);
  }

  function ratingForm({ send }) {
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
    awaitAnswer(form, error, form.querySelector("button[type=submit]"), "Sending…");
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
      if (send(frame)) form.sending();
      else error.textContent = OFFLINE;
    });
    return form;
  }

  function callbackForm({ send }) {
    const text = h("textarea", { id: "tdm-callback", rows: "3", maxlength: String(NS.MAX_TEXT), "aria-required": "true" });
    const error = h("p", { class: "error", role: "alert" });
    const form = h(
      "form",
      { class: "callback" },
      h("label", { for: "tdm-callback", text: "What should we call you back about?" }),
      text,
      error,
      h("button", { type: "submit", class: "primary", text: "Request a call back" }),
    );
    awaitAnswer(form, error, form.querySelector("button[type=submit]"), "Sending your request…");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const value = text.value.trim();
      if (!value) {
        error.textContent = "Please say what we should call you back about.";
        text.focus();
        return;
      }
      if (send({ type: "callback", text: value })) form.sending();
      else error.textContent = OFFLINE;
    });
    return form;
  }

  NS.forms = { ratingForm, callbackForm };
})();
