/* Tandem widget — the customer's own controls: starter topics in the empty chat, "End chat" (with a confirm
 * step, so a stray tap ends nothing) and "Download transcript" (a plain-text copy of what the panel shows).
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});
  const { h, formatTime } = NS.dom;

  // What customers most often come for (the assistant's five flows and its most asked answers).
  const STARTERS = [
    "My new card hasn't arrived",
    "I've lost my card",
    "A card payment was declined",
    "What's the exchange rate?",
    "How do I top up?",
  ];

  function starterTopics({ pick }) {
    const group = h("div", { class: "starters", role: "group", "aria-labelledby": "tdm-starters-title" },
      h("p", { id: "tdm-starters-title", class: "starters-title", text: "Popular topics" }));
    for (const topic of STARTERS) {
      group.append(h("button", { type: "button", text: topic, onclick: () => pick(topic) }));
    }
    return group;
  }

  /** "End chat" and its confirm step; onEnd() sends the frame and says whether it went out. */
  function endChat({ onEnd, refocus }) {
    const ask = h("button", { type: "button", class: "end", text: "End chat" });
    const error = h("p", { class: "error", role: "alert" });
    const confirm = h(
      "div",
      { class: "end-confirm", role: "group", "aria-label": "End this chat?", hidden: true },
      h("p", { text: "End this chat? You can download the transcript first." }),
      h("button", { type: "button", class: "primary", text: "Yes, end chat", onclick: () => {
        if (onEnd()) {
          confirm.hidden = true;
          ask.hidden = false;
          error.textContent = "";
        } else {
          error.textContent = "You're offline, so the chat could not be ended. Please try again in a moment.";
        }
      } }),
      h("button", { type: "button", text: "Cancel", onclick: () => {
        confirm.hidden = true;
        ask.hidden = false;
        ask.focus();
      } }),
      error,
    );
    ask.addEventListener("click", () => {
      ask.hidden = true;
      confirm.hidden = false;
      confirm.querySelector("button").focus();
    });
    return { ask, confirm, reset: () => { confirm.hidden = true; ask.hidden = false; refocus && refocus(); } };
  }

  /** The transcript as the customer sees it, one line per message or notice, oldest first. */
  function transcriptText(log, title, botName) {
    const lines = [`Chat with ${title} — ${new Date().toLocaleString()}`, ""];
    for (const el of log.children) {
      const bubble = el.querySelector(".bubble");
      if (el.classList.contains("msg") && bubble) {
        const who = el.classList.contains("from-customer")
          ? "You"
          : el.classList.contains("from-agent")
            ? (el.querySelector(".who") || {}).textContent || "Adviser"
            : `${title} ${botName.toLowerCase()}`;
        const when = el.dataset.ts ? ` (${formatTime(Number(el.dataset.ts))})` : "";
        lines.push(`${who}${when}: ${bubble.textContent}`);
      } else if (el.classList.contains("notice")) {
        const p = el.querySelector("p");
        if (p) lines.push(`— ${p.textContent}`);
      }
    }
    return lines.join("\n") + "\n";
  }

  function downloadTranscript(log, title, botName) {
    const blob = new Blob([transcriptText(log, title, botName)], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const day = new Date().toISOString().slice(0, 10);
    const a = h("a", { href: url, download: `${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-chat-${day}.txt` });
    document.body.append(a); // outside the shadow root: some browsers only download from the document
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  NS.controls = { starterTopics, endChat, downloadTranscript, transcriptText, STARTERS };
})();
