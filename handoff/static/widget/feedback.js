/* Tandem widget — thumbs up/down under each of the assistant's answers (docs/protocol.md, `feedback`).
 *
 * One tap sends the verdict on that answer (its seq); after a thumbs-down an optional "what was wrong?" line
 * can follow. A second tap replaces the first. Buttons are real <button>s with aria-pressed, so they are
 * reachable and read out by keyboard and screen-reader users. Text goes in through textContent only.
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});
  const { h } = NS.dom;
  const MAX_COMMENT = 500;

  /** Add the thumbs to a bot message element `el` for message `msg`; `send(frame)` is false when offline. */
  function attach(el, msg, send) {
    if (typeof msg.seq !== "number" || el.querySelector(".feedback")) return;
    const status = h("span", { class: "feedback-status", role: "status" });
    const why = h("form", { class: "feedback-why", hidden: true });
    const input = h("input", { type: "text", maxlength: String(MAX_COMMENT), "aria-label": "What was wrong? (optional)",
      placeholder: "What was wrong? (optional)" });
    why.append(input, h("button", { type: "submit", class: "feedback-send", text: "Send" }));
    const thumb = (value, label, glyph) => h("button", {
      type: "button", class: `thumb thumb-${value}`, "aria-label": label, "aria-pressed": "false", title: label,
      text: glyph, onclick: () => choose(value),
    });
    const up = thumb("up", "Helpful answer", "👍");
    const down = thumb("down", "Not helpful", "👎");
    const bar = h("div", { class: "feedback", role: "group", "aria-label": "Was this answer helpful?" }, up, down, status);

    function choose(value) {
      if (!send({ type: "feedback", seq: msg.seq, value })) {
        status.textContent = "Not connected: try again in a moment.";
        return;
      }
      up.setAttribute("aria-pressed", String(value === "up"));
      down.setAttribute("aria-pressed", String(value === "down"));
      status.textContent = "Sending…";
      why.hidden = value !== "down";
      if (value === "down") input.focus();
    }

    why.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const comment = input.value.trim().slice(0, MAX_COMMENT);
      if (!comment) return;
      if (send({ type: "feedback", seq: msg.seq, value: "down", comment })) {
        why.hidden = true;
        status.textContent = "Sending…";
      }
    });
    el.append(bar, why);
  }

  /** The server kept the verdict (`feedback_saved`): say so beside the thumbs of that answer. */
  function saved(log, frame) {
    const el = log.querySelector(`.from-bot[data-seq="${Number(frame.seq)}"]`);
    const status = el && el.querySelector(".feedback-status");
    if (!status) return;
    el.dataset.feedback = frame.value;
    status.textContent = frame.value === "up" ? "Thanks!" : "Thanks for telling us.";
  }

  NS.feedback = { attach, saved };
})();
