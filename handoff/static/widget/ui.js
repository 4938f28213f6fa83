/* Tandem widget — the chat panel (DOM only; the socket lives in connection.js).
 *
 * Every piece of server or customer text goes in through textContent or setAttribute, never innerHTML, so a
 * message such as <img src=x onerror=alert(1)> is shown as the characters it is. The panel lives in a shadow
 * root so the host site's CSS cannot restyle it and ours cannot leak out.
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});
  const AGENT_TYPING_TIMEOUT_MS = 6000;
  const TYPING_REPEAT_MS = 2000;
  const TYPING_IDLE_MS = 3000;

  const { h, icon, ICONS, formatTime } = NS.dom; // forms.js: NS.forms

  class ChatUI {
    constructor({ host, title, botName, cssUrl }) {
      this.title = title;
      this.botName = botName;
      this.state = "bot";
      this.agentName = "";
      this.unread = 0;
      this.replayedUpTo = 0;
      this.conn = null;
      this.typingSentAt = 0;
      this.queueInfo = {};
      this.offered = null; // the site's proactive event on offer: {signed, type, line}
      this.fullScreen = window.matchMedia("(max-width: 600px)"); // the same breakpoint as widget.css
      this.shadow = host.attachShadow({ mode: "open" });
      // Hidden until the stylesheet arrives, so the host page never flashes an unstyled panel.
      host.style.display = "none";
      const css = h("link", { rel: "stylesheet", href: cssUrl });
      const reveal = () => (host.style.display = "");
      css.addEventListener("load", reveal);
      css.addEventListener("error", reveal);
      this.shadow.append(css, this._build());
    }

    /** Wire to a Connection (after construction, because the connection's callbacks call into us). */
    attach(conn) {
      this.conn = conn;
      // Messages written before a refresh but never acknowledged: show them, they go out on the next welcome.
      for (const item of conn.outbox) {
        if (item.event) continue; // an accepted offer: its words come from the server once it is stored
        this._appendMessage({ sender: "customer", text: item.text, client_id: item.client_id }, true);
      }
      this._renderState();
      if (conn.ui.open) this.open({ focus: false });
      else if (conn.hasConversation) conn.start(); // keep the badge and history fresh while closed
    }

    _build() {
      this.launcher = h(
        "button",
        {
          class: "launcher",
          type: "button",
          "aria-label": `Chat with ${this.title}`,
          "aria-expanded": "false",
          "aria-controls": "tdm-panel",
          onclick: () => this.toggle(),
        },
        icon(ICONS.chat),
        (this.badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" })),
      );
      this.subtitle = h("p", { class: "subtitle", id: "tdm-subtitle" });
      this.humanButton = h(
        "button",
        { class: "human", type: "button", onclick: () => this._requestHuman() },
        icon(ICONS.person),
        h("span", { text: "Talk to a person" }),
      );
      const header = h(
        "header",
        { class: "header" },
        h("div", { class: "avatar", "aria-hidden": "true", text: this.title.slice(0, 1) }),
        h("div", { class: "heading" }, h("h2", { id: "tdm-title", text: this.title }), this.subtitle),
        h(
          "button",
          { class: "close", type: "button", "aria-label": "Close chat", onclick: () => this.close() },
          icon(ICONS.close),
        ),
      );
      this.banner = h("div", { class: "banner", role: "status", "aria-live": "polite" });
      this.queue = NS.queue.queueBar({
        onToggle: (on, box) => {
          if (!this.conn.sendFrame({ type: "bot_while_queued", on })) box.checked = !on; // offline: unchanged
        },
      });
      this.queueBar = this.queue.el;
      this.log = h("div", {
        class: "log",
        role: "log",
        "aria-live": "polite",
        "aria-label": "Conversation",
      });
      this.typingLabel = h("span", { class: "sr" });
      this.typing = h(
        "div",
        { class: "typing", role: "status", hidden: true },
        h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")),
        this.typingLabel,
      );
      // The scrolling box takes focus so the transcript can be scrolled from the keyboard.
      this.scrollBox = h(
        "div",
        { class: "scroll", tabindex: "0", role: "region", "aria-label": "Chat history" },
        this.log,
        this.typing,
      );
      this.starters = NS.controls.starterTopics({
        pick: (topic) => {
          this._send(topic);
          this.input.focus(); // the topics go away: keep the keyboard in the chat
        },
      });
      this.scrollBox.append(this.starters);
      this.stickToEnd = true; // follow new messages unless the customer scrolled up to read
      this.scrollBox.addEventListener("scroll", () => {
        const box = this.scrollBox;
        this.stickToEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
      });
      this.input = h("textarea", {
        id: "tdm-input",
        rows: "1",
        maxlength: String(NS.MAX_TEXT),
        placeholder: "Type your message…",
        autocomplete: "off",
        enterkeyhint: "send",
      });
      this.input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this._submit();
        }
      });
      this.input.addEventListener("input", () => this._onInput());
      this.composer = h(
        "form",
        { class: "composer", onsubmit: (e) => (e.preventDefault(), this._submit()) },
        h("label", { class: "sr", for: "tdm-input", text: "Your message" }),
        this.input,
        h("button", { class: "send", type: "submit", "aria-label": "Send message" }, icon(ICONS.send)),
      );
      this.endChat = NS.controls.endChat({
        onEnd: () => this.conn.sendFrame({ type: "end" }),
        refocus: () => this.input.focus(),
      });
      const download = (extra) =>
        h("button", { type: "button", class: `download ${extra || ""}`, text: "Download transcript",
          onclick: () => NS.controls.downloadTranscript(this.log, this.title, this.botName) });
      this.offerBar = NS.proactive.offerStrip({
        where: "panel", onAccept: () => this._acceptOffer(), onDismiss: () => this._dismissOffer(),
      });
      this.nudge = NS.proactive.offerStrip({
        where: "launcher", onAccept: () => this._acceptOffer(), onDismiss: () => this._dismissOffer(),
      });
      this.ended = h(
        "div",
        { class: "ended", hidden: true },
        h("p", { text: "This chat has ended." }),
        download("secondary"),
        h("button", {
          type: "button",
          class: "primary",
          text: "Start a new chat",
          onclick: () => this._startOver(),
        }),
      );
      this.panel = h(
        "section",
        {
          id: "tdm-panel",
          class: "panel",
          role: "dialog",
          "aria-labelledby": "tdm-title",
          "aria-describedby": "tdm-subtitle",
          hidden: true,
        },
        header,
        this.banner,
        this.queueBar,
        this.scrollBox,
        this.offerBar.el,
        (this.tools = h("div", { class: "tools" }, this.humanButton, this.endChat.ask, download())),
        this.endChat.confirm,
        this.composer,
        this.ended,
      );
      this.root = h("div", { class: "root", "data-state": "bot" }, this.panel, this.nudge.el, this.launcher);
      // Esc closes the panel even when focus has fallen out of it (a pressed button that went away).
      document.addEventListener("keydown", (e) => {
        const active = document.activeElement;
        if (e.key === "Escape" && this.isOpen && (!active || active === document.body)) this.close();
      });
      this.root.addEventListener("keydown", (e) => {
        if (e.key === "Escape" && this.isOpen) {
          e.stopPropagation(); // ours: the host page's own Escape handlers should not also fire
          this.close();
        } else if (e.key === "Tab" && this.isOpen && this.fullScreen.matches) {
          this._keepFocusInside(e);
        }
      });
      this._renderState();
      this._setBanner("");
      return this.root;
    }

    // ---- panel open/close and focus -------------------------------------------------------------------

    get isOpen() {
      return !this.panel.hidden;
    }

    open({ focus = true } = {}) {
      // Full screen on a phone the panel is modal: the page behind it can be neither seen nor tabbed to.
      this.panel.setAttribute("aria-modal", String(this.fullScreen.matches));
      this.panel.hidden = false;
      this.root.classList.add("open");
      this.launcher.setAttribute("aria-expanded", "true");
      this.unread = 0;
      this._renderBadge();
      this._renderOffer();
      this._scrollToEnd(true);
      if (this.conn) {
        this.conn.saveUi({ open: true });
        this.conn.start();
      }
      if (focus) (this.composer.hidden ? this.ended.querySelector("button.primary") : this.input).focus();
    }

    close() {
      const hadFocus = this.shadow.activeElement !== null;
      this.panel.hidden = true;
      this.root.classList.remove("open");
      this.launcher.setAttribute("aria-expanded", "false");
      if (this.conn) this.conn.saveUi({ open: false });
      this._renderOffer();
      if (hadFocus) this.launcher.focus(); // focus returns to where the dialog was opened from
    }

    _keepFocusInside(e) {
      const focusable = Array.from(
        this.panel.querySelectorAll("button, textarea, input, [tabindex='0']"),
      ).filter((el) => !el.disabled && el.getClientRects().length > 0);
      if (!focusable.length) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      const active = this.shadow.activeElement;
      if (e.shiftKey && active === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && active === last) {
        e.preventDefault();
        first.focus();
      }
    }

    toggle() {
      if (this.isOpen) this.close();
      else this.open();
    }

    // ---- connection callbacks ---------------------------------------------------------------------------

    onStatus(status, detail) {
      this.root.dataset.connection = status;
      if (status === "offline") {
        this._setBanner("You're offline. Messages you write will be sent when you're back online.");
      } else if (status === "reconnecting") {
        const secs = detail.retryInMs ? Math.max(1, Math.round(detail.retryInMs / 1000)) : 0;
        this._setBanner(secs ? `Connection lost. Reconnecting in ${secs} s…` : "Reconnecting…");
      } else {
        this._setBanner("");
      }
      this._refreshPending();
    }

    onWelcome(frame) {
      if (!this.log.querySelector('[data-event="start"]')) {
        const intro = this._notice(
          `You're chatting with the ${this.title} virtual ${this.botName.toLowerCase()}. ` +
            "Ask a question, or choose Talk to a person at any time.",
          "start",
        );
        this.log.prepend(intro); // above anything replayed or typed offline
      }
      this.replayedUpTo = frame.last_seq || 0;
      this.queue.box.checked = frame.bot_while_queued !== false;
      this._setState(frame);
      this._refreshPending();
    }

    onReset() {
      for (const el of Array.from(this.log.children)) if (el.dataset.status !== "pending") el.remove();
      this._notice("Your previous chat has expired, so we've started a new one.", "expired");
    }

    onMessage(msg) {
      if (msg.sender === "customer") {
        const mine = msg.client_id && this.log.querySelector(`[data-client-id="${CSS.escape(msg.client_id)}"]`);
        if (mine) return this._markSent(mine, msg.seq, msg.ts);
      }
      this._clearQuickReplies();
      if (msg.sender === "system") {
        this._notice(msg.text, msg.event, msg.actions, msg.seq);
        if (msg.event === "rated") this._ratingDone();
        if (msg.event === "callback") this._callbackDone();
        this._renderActions();
      } else {
        this._appendMessage(msg);
        if (msg.sender === "bot" || msg.sender === "agent") this._hideTyping();
        if (msg.sender === "customer") this._renderStarters();
      }
      if (msg.sender !== "customer" && !this.isOpen && msg.seq > this.replayedUpTo) {
        this.unread += 1; // only news: not the history replayed after a refresh
        this._renderBadge();
      }
    }

    onAck(clientId, seq) {
      const el = this.log.querySelector(`[data-client-id="${CSS.escape(clientId)}"]`);
      if (el) this._markSent(el, seq);
    }

    onFrame(frame) {
      if (frame.type === "typing") {
        if (frame.on) this._showTyping(frame.sender);
        else this._hideTyping();
      } else if (frame.type === "state") {
        this._setState(frame);
      } else if (frame.type === "rating_request") {
        this._showRating(); // also re-sent on every resume until the customer has rated
      } else if (frame.type === "bot_while_queued") {
        this.queue.box.checked = Boolean(frame.on);
      } else if (frame.type === "feedback_saved") {
        if (NS.feedback) NS.feedback.saved(this.log, frame); // feedback.js: thumbs on the bot's answers
      } else if (frame.type === "error") {
        this._error(frame);
      }
    }

    // ---- rendering --------------------------------------------------------------------------------------

    _appendMessage(msg, pending) {
      // A person's name is shown; "You" and the assistant are obvious to sighted users, so only read out.
      const person = msg.agent_name || this.agentName || "Adviser";
      const label =
        msg.sender === "agent"
          ? h("span", { class: "who", text: `${person} · ${this.title}` })
          : h("span", {
              class: "who sr",
              text: msg.sender === "customer" ? "You:" : `${this.title} ${this.botName.toLowerCase()}:`,
            });
      const el = h(
        "div",
        {
          class: `msg from-${msg.sender}`,
          "data-seq": msg.seq,
          "data-client-id": msg.client_id,
          "data-status": pending ? "pending" : "sent",
        },
        label,
        msg.while_queued
          ? h("p", { class: "interim", text: "Automatic answer · a person is still coming" })
          : null,
        h("div", { class: "bubble", text: msg.text }),
        h("div", { class: "meta", text: pending ? this._pendingLabel() : formatTime(msg.ts) }),
      );
      if (msg.ts) el.dataset.ts = String(msg.ts);
      this._insertBySeq(el, msg.seq);
      if (msg.sender === "bot" && NS.feedback && this.conn) NS.feedback.attach(el, msg, (f) => this.conn.sendFrame(f));
      if (Array.isArray(msg.buttons) && msg.buttons.length) this._quickReplies(el, msg.buttons);
      this._scrollToEnd(msg.sender === "customer");
      return el;
    }

    /** Keep the transcript in seq order even if a replayed message lands after a newer local one. */
    _insertBySeq(el, seq) {
      if (typeof seq === "number") {
        for (const other of this.log.children) {
          const otherSeq = Number(other.dataset.seq);
          if (other.dataset.seq && otherSeq > seq) {
            this.log.insertBefore(el, other);
            return;
          }
        }
      }
      const firstPending = typeof seq === "number" && this.log.querySelector('[data-status="pending"]');
      if (firstPending) this.log.insertBefore(el, firstPending);
      else this.log.append(el);
    }

    _markSent(el, seq, ts) {
      el.dataset.status = "sent";
      if (typeof seq === "number") el.dataset.seq = String(seq);
      el.dataset.ts = String(ts || Date.now());
      el.querySelector(".meta").textContent = formatTime(ts || Date.now());
    }

    _pendingLabel() {
      return this.conn && this.conn.ready ? "Sending…" : "Waiting for connection…";
    }

    _refreshPending() {
      for (const el of this.log.querySelectorAll('[data-status="pending"] .meta')) {
        el.textContent = this._pendingLabel();
      }
    }

    _notice(text, event, actions, seq) {
      const el = h("div", { class: "notice", "data-event": event, "data-seq": seq }, h("p", { text }));
      if (Array.isArray(actions) && actions.length) {
        const group = h("div", { class: "actions", role: "group", "aria-label": "Options" });
        for (const action of actions) {
          group.append(
            h("button", {
              type: "button",
              text: action.title,
              "data-action": action.id,
              onclick: () => this._action(action.id, group),
            }),
          );
        }
        el.append(group);
      }
      this._insertBySeq(el, seq);
      this._scrollToEnd(false);
      return el;
    }

    _quickReplies(after, buttons) {
      const group = h("div", { class: "quick", role: "group", "aria-label": "Suggested replies" });
      for (const b of buttons) {
        if (!b || typeof b.title !== "string") continue;
        // "Talk to a person" is always one tap away below the chat: offering it twice only confuses.
        if (b.title.trim().toLowerCase() === "talk to a person") continue;
        group.append(
          h("button", {
            type: "button",
            text: b.title,
            onclick: () => {
              this._send(b.title, b.payload);
              this.input.focus(); // the buttons go away with the answer: keep the keyboard in the chat
            },
          }),
        );
      }
      if (group.childElementCount) after.after(group);
    }

    _clearQuickReplies() {
      for (const el of this.log.querySelectorAll(".quick")) el.remove();
    }

    _showTyping(sender) {
      const name = sender === "agent" ? this.agentName || "The adviser" : `The ${this.botName.toLowerCase()}`;
      this.typingLabel.textContent = `${name} is typing…`;
      this.typing.hidden = false;
      clearTimeout(this.typingTimer);
      if (sender === "agent") this.typingTimer = setTimeout(() => this._hideTyping(), AGENT_TYPING_TIMEOUT_MS);
      this._scrollToEnd(false);
    }

    _hideTyping() {
      clearTimeout(this.typingTimer);
      this.typing.hidden = true;
      this.typingLabel.textContent = "";
    }

    _setState(frame) {
      if (!frame.state) return;
      this.state = frame.state;
      if (frame.state === "agent") this.agentName = frame.agent_name || this.agentName;
      this.queueInfo = frame;
      this._renderState();
    }

    _renderState() {
      const s = this.state;
      this.root.dataset.state = s;
      this.subtitle.textContent =
        s === "queued"
          ? "Waiting for a person"
          : s === "agent"
            ? `Chatting with ${this.agentName || "an adviser"}`
            : s === "closed"
              ? "Chat ended"
              : `Virtual ${this.botName.toLowerCase()}`;
      const closed = s === "closed";
      this.tools.hidden = closed;
      this.humanButton.hidden = s !== "bot";
      this.endChat.ask.hidden = closed || !(this.conn && this.conn.hasConversation);
      if (closed) this.endChat.confirm.hidden = true;
      this.queue.render(s, this.queueInfo);
      this._renderActions();
      if (s !== "queued" && this.callback) this._callbackGone();
      const focusInComposer = this.isOpen && this.composer.contains(this.shadow.activeElement);
      this.composer.hidden = closed;
      this.ended.hidden = !closed;
      if (closed) this._hideTyping();
      if (closed && focusInComposer) this.ended.querySelector("button.primary").focus(); // not lost with it
      this._renderStarters();
    }

    /** Buttons of older notices work only in the state they were offered in; the rest are disabled. */
    _renderActions() {
      const live = { request_human: "bot", stay_in_queue: "queued", leave_message: "queued" };
      for (const b of this.log.querySelectorAll(".actions button[data-action]")) {
        const ok = live[b.dataset.action] === this.state && !b.closest(".actions").dataset.used;
        b.disabled = !ok;
      }
    }

    /** Starting points while the chat is empty: gone once the customer has said anything. */
    _renderStarters() {
      const spoken = this.log.querySelector(".msg.from-customer");
      this.starters.hidden = Boolean(spoken) || this.state !== "bot";
    }

    _setBanner(text) {
      this.banner.textContent = text;
      this.banner.hidden = !text;
    }

    _renderBadge() {
      this.badge.hidden = this.unread === 0;
      this.badge.textContent = this.unread > 9 ? "9+" : String(this.unread);
      this.launcher.setAttribute(
        "aria-label",
        // The badge's visible number is a word of the name (axe: label-content-name-mismatch).
        this.unread ? `Chat with ${this.title}, ${this.badge.textContent} new` : `Chat with ${this.title}`,
      );
    }

    _scrollToEnd(force) {
      if (!force && !this.stickToEnd) return;
      this.stickToEnd = true;
      // After layout: a banner or the queue bar appearing in the same turn shrinks the box.
      requestAnimationFrame(() => (this.scrollBox.scrollTop = this.scrollBox.scrollHeight));
    }

    // ---- rating -----------------------------------------------------------------------------------------

    _showRating() {
      if (this.rating || this.rated) return;
      this.rating = NS.forms.ratingForm({ send: (frame) => this.conn.sendFrame(frame) });
      this.log.after(this.rating); // outside the live log: a form is not news to announce
      this._scrollToEnd(true);
    }

    _hideRating() {
      if (this.rating) {
        this.rating.settle();
        this.rating.remove();
      }
      this.rating = null;
    }

    /** The "rated" notice confirms the rating: the form goes and focus lands on what comes next. */
    _ratingDone() {
      const active = this.shadow.activeElement; // null: the disabled submit button just lost it
      const hadFocus = this.isOpen && this.rating && (!active || this.rating.contains(active));
      this._hideRating();
      this.rated = true;
      if (hadFocus) this.ended.querySelector("button.primary").focus();
    }

    // ---- customer actions -------------------------------------------------------------------------------

    _submit() {
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      this._autosize();
      this._send(text);
      this.input.focus();
    }

    _send(text, payload) {
      this._clearQuickReplies();
      this.starters.hidden = true;
      this._stopTyping();
      const item = this.conn.send(text, payload);
      this._appendMessage({ sender: "customer", text: item.text, client_id: item.client_id }, true);
    }

    _requestHuman() {
      this.conn.requestHuman();
      this.humanButton.hidden = true; // the state frame confirms; hiding now prevents double requests
      this.input.focus(); // the button just vanished: keep focus inside the chat
      if (!this.conn.ready) {
        this._notice("We'll ask for a person as soon as you're back online.", "pending_human");
      }
    }

    _action(id, group) {
      group.dataset.used = "true"; // answered: the choice stays visible in the transcript, disabled
      this._renderActions();
      if (id === "request_human") this._requestHuman();
      else if (id === "leave_message") this._callbackForm();
      else if (id === "stay_in_queue") {
        this._notice(
          "You're staying in the queue. An adviser will reply here as soon as one is free" +
            (this.queue.box.checked ? "; meanwhile the assistant can answer your questions." : "."),
          "stayed",
        );
        this.input.focus();
      }
    }

    _callbackForm() {
      if (this.callback) return this.callback.querySelector("textarea").focus();
      this.callback = NS.forms.callbackForm({ send: (frame) => this.conn.sendFrame(frame) });
      this.log.after(this.callback);
      this.callback.querySelector("textarea").focus();
    }

    /** The "callback" notice is the confirmation; the form goes and focus moves on to the ended chat. */
    _callbackDone() {
      if (!this.callback) return;
      this.callback.settle();
      this.callback.remove();
      this.callback = null;
      (this.ended.hidden ? this.input : this.ended.querySelector("button.primary")).focus();
    }

    /** The chat left the queue (a person took it, or it closed) with the form still open: it can no longer work. */
    _callbackGone() {
      const form = this.callback;
      if (!form) return;
      form.settle();
      form.remove();
      this.callback = null;
      if (this.state === "agent") {
        this._notice("An adviser has picked up your chat, so there's no need for a call back.", "callback_moot");
      }
      (this.state === "closed" ? this.ended.querySelector("button.primary") : this.input).focus();
    }

    // ---- proactive help -----------------------------------------------------------------------------

    /** The site's signed event (Tandem.notify): one line and a badge; nothing moves focus. */
    offer(signed) {
      const event = NS.proactive.readEvent(signed);
      if (!event || this.state === "closed") return false;
      this.offered = Object.assign({ signed }, event);
      if (!this.isOpen) {
        this.unread += 1;
        this._renderBadge();
      }
      this._renderOffer();
      return true;
    }

    _renderOffer() {
      const line = this.offered ? this.offered.line : "";
      this.offerBar.show(this.isOpen ? line : "");
      this.nudge.show(this.isOpen ? "" : line);
    }

    _acceptOffer() {
      const offered = this.offered;
      if (!offered) return;
      this._dismissOffer();
      if (!this.isOpen) this.open();
      this.conn.sendEvent(offered.signed);
      this.input.focus();
    }

    _dismissOffer() {
      const hadFocus = this.shadow.activeElement && this.shadow.activeElement.closest(".offer");
      this.offered = null;
      this._renderOffer();
      if (hadFocus) (this.isOpen ? this.input : this.launcher).focus();
    }

    _startOver() {
      this._hideRating();
      this.rated = false;
      this.queueInfo = {};
      this.log.replaceChildren();
      this.state = "bot";
      this.agentName = "";
      this._renderState();
      this.conn.startOver();
      this.input.focus();
    }

    _onInput() {
      this._autosize();
      if (this.state !== "agent" || !this.conn.ready) return; // only a person sees typing
      const now = Date.now();
      if (now - this.typingSentAt > TYPING_REPEAT_MS) {
        this.typingSentAt = now;
        this.conn.sendFrame({ type: "typing", on: true });
      }
      clearTimeout(this.typingIdle);
      this.typingIdle = setTimeout(() => this._stopTyping(), TYPING_IDLE_MS);
    }

    _stopTyping() {
      clearTimeout(this.typingIdle);
      if (this.typingSentAt && this.state === "agent") this.conn.sendFrame({ type: "typing", on: false });
      this.typingSentAt = 0;
    }

    _autosize() {
      this.input.style.height = "auto";
      this.input.style.height = `${Math.min(this.input.scrollHeight, 140)}px`;
    }

    _error(frame) {
      const form = frame.frame === "callback" ? this.callback : frame.frame === "rating" ? this.rating : null;
      if (form) {
        form.fail(
          frame.code === "bad_state"
            ? "This chat is no longer waiting for an adviser, so that could not be sent."
            : frame.code === "conflict"
              ? "This chat has already been rated."
              : "Sorry, that could not be sent. Please try again.",
        );
        return;
      }
      if (frame.frame === "end") {
        this._notice("Sorry, the chat could not be ended just now. Please try again.", "end_failed");
        return;
      }
      if (frame.frame === "event") {
        this._notice("Sorry, we couldn't open that offer of help. Please tell us here what happened.", "event_failed");
        return;
      }
      const failed = frame.ref && this.log.querySelector(`[data-client-id="${CSS.escape(frame.ref)}"]`);
      if (failed && frame.code !== "rate_limited" && frame.code !== "unavailable") {
        failed.dataset.status = "failed";
        failed.querySelector(".meta").textContent =
          frame.code === "frame_too_large" ? "Not sent: message too long" : "Not sent";
        return;
      }
      if (frame.code === "rate_limited" && frame.frame === "hello") {
        const minutes = Math.max(1, Math.ceil((Number(frame.retry_after_ms) || 60000) / 60000));
        this._notice(`Too many new chats have been started from your network. We'll connect you in about ${minutes} min.`,
          "rate_limited");
      } else if (frame.code === "unavailable") {
        this._notice("Our chat is having trouble right now. We'll keep trying.", "unavailable");
      } else if (frame.code === "unauthorized") {
        const text = "We couldn't confirm your sign-in, so this chat isn't linked to your account.";
        this._notice(text, "anonymous");
      }
    }
  }

  NS.ChatUI = ChatUI;
})();
