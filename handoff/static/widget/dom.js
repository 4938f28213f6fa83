/* Tandem widget — DOM helpers shared by the panel (ui.js).
 *
 * h() is the only way the widget builds elements: data goes in through textContent and setAttribute, never
 * innerHTML, so text from customers, agents or the bot can never become markup.
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});
  const SVG_NS = "http://www.w3.org/2000/svg";

  /** h("div", {class: "x", onclick: fn, text: "…"}, child, …): the only way the widget builds DOM. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") el.textContent = String(value);
      else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  /** A decorative icon from fixed path data (never from the network). */
  function icon(pathData) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", pathData);
    svg.append(path);
    return svg;
  }

  const ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z",
    close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z",
    send: "M3 20.5 21 12 3 3.5v6.6l12.6 1.9L3 13.9z",
    person: "M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm0 2c-4.4 0-8 2.2-8 5v2h16v-2c0-2.8-3.6-5-8-5z",
  };

  function formatTime(ts) {
    if (!ts) return "";
    return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function formatWait(seconds) {
    if (!seconds || seconds < 60) return "less than a minute";
    const minutes = Math.round(seconds / 60);
    return minutes === 1 ? "about 1 minute" : `about ${minutes} minutes`;
  }

  NS.dom = { h, icon, ICONS, formatTime, formatWait };
})();
