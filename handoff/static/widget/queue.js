/* Tandem widget — what a queued customer is told, from the gateway's `state` frame only (docs/protocol.md).
 *
 * Never more than the server knows: the position it gives, a wait only while someone is online
 * (estimated_wait_s is absent otherwise), and when advisers are back (opens_at) outside opening hours.
 * Also the switch for "let the assistant answer while I wait" (the bot_while_queued frame).
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});
  const { h, formatWait } = NS.dom;

  /** "tomorrow at 08:00", "on Monday at 08:00" in the customer's own time zone. */
  function formatOpening(ms, now = Date.now()) {
    const when = new Date(ms);
    const clock = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    const days = Math.round((day(when) - day(new Date(now))) / 86400000);
    if (days <= 0) return `at ${clock}`;
    if (days === 1) return `tomorrow at ${clock}`;
    const weekday = when.toLocaleDateString([], { weekday: "long" });
    if (days < 7) return `on ${weekday} at ${clock}`;
    return `on ${when.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" })} at ${clock}`;
  }

  /** The sentence for a queued customer; "" when the server gave no position yet. */
  function queueText(info) {
    if (!info || !info.queue_position) return "";
    const place = info.queue_position === 1 ? "You're next in the queue." : `You're number ${info.queue_position} in the queue.`;
    if (info.agents_online > 0) {
      const wait = info.estimated_wait_s ? ` Estimated wait: ${formatWait(info.estimated_wait_s)}.` : "";
      return place + wait;
    }
    if (info.opens_at) return `${place} Our advisers are back ${formatOpening(info.opens_at)}.`;
    return `${place} No advisers are online right now; someone will reply here as soon as one is.`;
  }

  /** The queue bar: a polite status line and the "assistant answers while I wait" switch. */
  function queueBar({ onToggle }) {
    const text = h("p", { class: "queue-text", role: "status" });
    const box = h("input", { type: "checkbox", id: "tdm-bot-while-queued", checked: true });
    box.addEventListener("change", () => onToggle(box.checked, box));
    const el = h(
      "div",
      { class: "queue", hidden: true },
      text,
      h(
        "label",
        { class: "queue-switch", for: "tdm-bot-while-queued" },
        box,
        h("span", { text: "Let the assistant answer my questions while I wait" }),
      ),
    );
    return {
      el,
      box,
      render(state, info) {
        const sentence = state === "queued" ? queueText(info) : "";
        text.textContent = sentence;
        el.hidden = !sentence;
      },
    };
  }

  NS.queue = { queueBar, queueText, formatOpening };
})();
