/* Harbour Bank demo page: a "signed in as Alex Morgan" switch, then the widget tag a real site would write.
 *
 * Signed in, the widget gets data-context-url pointing at the gateway's demo endpoint, which signs Alex's
 * context (name, customer id, cards) the way a bank's own server would. Switching identity forgets the
 * current chat, because a conversation keeps the identity it started with.
 */
(function () {
  "use strict";

  const SIGNED_IN_KEY = "harbour-demo:signed-in";
  const signedIn = sessionStorage.getItem(SIGNED_IN_KEY) === "1";

  function forgetChat() {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith("tandem:")) sessionStorage.removeItem(key);
  }

  const who = document.getElementById("demo-who");
  const button = document.getElementById("demo-sign-in");
  who.textContent = signedIn ? "Signed in as Alex Morgan" : "Browsing as a guest";
  button.textContent = signedIn ? "Sign out" : "Sign in as Alex Morgan";
  button.addEventListener("click", () => {
    if (signedIn) sessionStorage.removeItem(SIGNED_IN_KEY);
    else sessionStorage.setItem(SIGNED_IN_KEY, "1");
    forgetChat();
    window.location.reload();
  });
  if (signedIn) {
    document.getElementById("demo-greeting").textContent = "Good to see you, Alex";
    document.getElementById("demo-card-name").textContent = "ALEX MORGAN";
  }

  const attrs = { src: "/widget.js", "data-title": "Harbour Bank" };
  if (signedIn) attrs["data-context-url"] = "/api/demo-context";

  const tag = document.createElement("script");
  for (const [name, value] of Object.entries(attrs)) tag.setAttribute(name, value);
  document.body.append(tag);

  const origin = window.location.origin;
  document.getElementById("embed-snippet").textContent =
    `<script src="${origin}/widget.js" defer\n` +
    `        data-title="Harbour Bank"\n` +
    `        data-context-url="/your/signed-context"><\/script>`;

  document.getElementById("open-chat").addEventListener("click", () => {
    if (window.Tandem && window.Tandem.ready) window.Tandem.open();
    else window.addEventListener("tandem:ready", () => window.Tandem.open(), { once: true });
  });
})();
