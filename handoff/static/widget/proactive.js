/* Tandem widget — proactive help: the host site tells the widget that something just went wrong for this
 * customer (Tandem.notify(signedEvent); docs/embedding.md), and the widget offers help unobtrusively: a badge
 * on the launcher and one line, never a pop-up and never a focus change.
 *
 * The event is signed by the site (docs/protocol.md "Proactive events"); the widget only reads it to phrase the
 * offer and passes it on untouched when the customer accepts: the gateway checks the signature.
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});
  const { h, icon, ICONS } = NS.dom;
  const MAX_SIGNED = 2000; // the gateway's limit for the event frame

  function money(data) {
    if (!data.amount) return "";
    return data.currency ? `${data.currency} ${data.amount}` : String(data.amount);
  }

  // One line per event type: what happened and that help is here (the customer's own words come from the server).
  const LINES = {
    card_declined: (d) =>
      `Your card payment${d.merchant ? ` at ${d.merchant}` : ""}${money(d) ? ` of ${money(d)}` : ""} was declined. Can we help?`,
    top_up_failed: (d) => `Your top-up${money(d) ? ` of ${money(d)}` : ""} didn't go through. Can we help?`,
    card_delivery_late: () => "Your new card is taking longer than expected. Can we help?",
  };

  /** {type, line} for a signed event the widget can offer, or null (malformed, unknown type: ignored). */
  function readEvent(signed) {
    if (typeof signed !== "string" || signed.length > MAX_SIGNED || !signed.includes(".")) return null;
    try {
      const head = signed.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      const bytes = Uint8Array.from(atob(head), (c) => c.charCodeAt(0));
      const body = JSON.parse(new TextDecoder().decode(bytes));
      const event = body && body.event;
      if (!event || !Object.prototype.hasOwnProperty.call(LINES, event.type)) return null;
      return { type: event.type, line: LINES[event.type](event) };
    } catch (_) {
      return null;
    }
  }

  /** The offer: one line with "Get help" and "Dismiss"; `where` only changes its class (launcher or panel). */
  function offerStrip({ where, onAccept, onDismiss }) {
    const text = h("p", { class: "offer-text" });
    const el = h(
      "div",
      { class: `offer offer-${where}`, role: "region", "aria-label": "Help with something that just happened", hidden: true },
      text,
      h("button", { type: "button", class: "primary offer-accept", text: "Get help", onclick: () => onAccept() }),
      h(
        "button",
        { type: "button", class: "offer-dismiss", "aria-label": "Dismiss this offer", onclick: () => onDismiss() },
        icon(ICONS.close),
      ),
    );
    return {
      el,
      show(line) {
        text.textContent = line;
        el.hidden = !line;
      },
    };
  }

  NS.proactive = { readEvent, offerStrip, LINES };
})();
