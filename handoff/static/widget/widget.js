/* Tandem customer chat widget — the one script a website embeds.
 *
 *   <script src="https://desk.example/widget.js" defer
 *           data-server="https://desk.example"     (optional: the gateway; default: where this file came from)
 *           data-title="Harbour Bank"              (optional: shown in the header)
 *           data-context="eyJjdXN0…"              (optional: signed customer context, see docs/protocol.md)
 *           data-context-url="/chat/context"       (optional: a URL on the site answering {"context": "…"},
 *                                                   fetched when a new conversation starts)
 *           data-open="true"></script>             (optional: open the panel on load)
 *
 * A site with a Content-Security-Policy must allow the gateway in script-src and style-src (the widget's files)
 * and in connect-src (its ws:/wss: URL), and list its own origin in the gateway's ORIGINS.
 *
 * Plain JavaScript, no build step: this file loads connection.js (socket, no DOM), dom.js (element helpers),
 * forms.js (rating, call back), queue.js (the queue bar), controls.js (starter topics, end chat, transcript),
 * proactive.js (the site's offers of help) and ui.js (panel, no socket) from the gateway, in order, then wires
 * them. window.Tandem.open()/close() let the page drive it; Tandem.notify(signedEvent) offers proactive help
 * (docs/embedding.md), also when called before the widget has booted.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || (window.Tandem && window.Tandem.version)) return; // embedded twice: the first one wins

  const src = new URL(script.src, window.location.href);
  const server = (script.dataset.server || src.origin).replace(/\/+$/, "");
  // Siblings are served beside this file under /static/widget/; /widget.js is a short alias for it.
  const assets = src.pathname.includes("/static/widget/")
    ? new URL(".", src).href
    : `${new URL(server).origin}/static/widget/`;

  const config = {
    server,
    title: script.dataset.title || "Support",
    botName: script.dataset.botName || "Assistant",
    context: script.dataset.context || null,
    contextUrl: script.dataset.contextUrl || null,
    open: script.dataset.open === "true",
  };

  function load(file) {
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = assets + file;
      tag.async = false;
      tag.onload = resolve;
      tag.onerror = () => reject(new Error(`Tandem widget: could not load ${file}`));
      document.head.append(tag);
    });
  }

  /** The site's own endpoint signs the context for whoever is signed in; failure means "anonymous". */
  async function fetchContext(url) {
    try {
      const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!res.ok) return null;
      const body = await res.json();
      return typeof body.context === "string" ? body.context : null;
    } catch (_) {
      return null;
    }
  }

  async function boot() {
    await load("connection.js");
    await load("dom.js");
    await load("feedback.js");
    await load("forms.js");
    await load("queue.js");
    await load("controls.js");
    await load("proactive.js");
    await load("ui.js");
    const NS = window.__tandemWidget;
    const host = document.createElement("div");
    host.id = "tandem-chat-widget";
    document.body.append(host);
    const ui = new NS.ChatUI({
      host,
      title: config.title,
      botName: config.botName,
      cssUrl: assets + "widget.css",
    });
    const conn = new NS.Connection({
      server: config.server,
      getContext: async () => config.context || (config.contextUrl ? fetchContext(config.contextUrl) : null),
      locale: document.documentElement.lang || navigator.language,
      callbacks: {
        onStatus: (status, detail) => ui.onStatus(status, detail),
        onWelcome: (frame) => ui.onWelcome(frame),
        onMessage: (msg) => ui.onMessage(msg),
        onAck: (clientId, seq) => ui.onAck(clientId, seq),
        onFrame: (frame) => ui.onFrame(frame),
        onReset: (reason) => ui.onReset(reason),
      },
    });
    ui.attach(conn);
    if (config.open && !ui.isOpen) ui.open({ focus: false });
    window.Tandem.open = () => ui.open();
    window.Tandem.close = () => ui.close();
    window.Tandem.notify = (signedEvent) => ui.offer(signedEvent);
    for (const signed of early.splice(0)) ui.offer(signed);
    window.Tandem.ready = true;
    window.dispatchEvent(new CustomEvent("tandem:ready"));
  }

  const early = []; // Tandem.notify() calls made before the widget booted
  window.Tandem = { version: "1", ready: false, open() {}, close() {}, notify: (signed) => (early.push(signed), true) };
  const start = () =>
    boot().catch((err) => {
      // Never break the host page: report once in the console and stay out of the way.
      console.error(err.message);
    });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
