// One conversation pane: the whole transcript (bot part included) with emotion chips, the negativity trend,
// the escalation reason, the customer's context, and the reply box with its actions.
import { clear, formatTime, h, uuid } from "../shared/dom.js";
import { AssistPanel } from "./assist.js";
import { emotionBadge, emotionOf, trendLine } from "./emotion.js";
import { flagButton, installFlagging, teachButton } from "./flag.js";
import { customerLabel, reasonTitle } from "./queue.js";
import { attachSlash } from "./slash.js";
import { intentLabel, trustedAbove } from "./intents.js";

const RESOLUTIONS = [
  ["resolved", "Resolved"],
  ["unresolved", "Unresolved"],
  ["duplicate", "Duplicate"],
  ["spam", "Spam"],
];

const TYPING_REPEAT_MS = 2000;
const TYPING_IDLE_MS = 3000;
const CUSTOMER_TYPING_TIMEOUT_MS = 6000;
const MAX_TEXT = 2000;

const SENDER_LABEL = { customer: "Customer", bot: "Assistant", system: "System" };

export class ConversationView {
  /**
   * ctx: {me: () => Agent, send(type, fields) → bool, agents: () => [AgentPresence], canned: () => [Canned],
   *       onChange(view) (tab needs redrawing), toast(text)}
   */
  constructor(conversationId, ctx) {
    this.id = conversationId;
    this.ctx = ctx;
    this.summary = { conversation_id: conversationId };
    this.messages = new Map();
    this.pending = new Map();
    this.state = "agent";
    this.agent = null;
    this.unread = 0;
    this.customerTyping = false;
    this.typingSentAt = 0;
    this.typingIdle = null;
    this.customerTypingTimer = null;
    this.stickToEnd = true; // follow new messages unless the agent has scrolled up to read
    this.transferNote = null; // {from_name, note, accepted} of the transfer that brought this chat to me
    this.build();
  }

  // ---- data in ----------------------------------------------------------------------------------------

  /** Full load from `claimed` or `transcript` (also on reconnect): replaces what we had. */
  load(summary, transcript) {
    this.summary = { ...this.summary, ...(summary || {}) };
    this.state = this.summary.state || this.state;
    this.agent = this.summary.agent || this.agent;
    this.messages.clear();
    for (const msg of transcript || []) this.messages.set(msg.seq, { ...msg });
    this.renderTranscript();
    this.renderSide();
    this.renderHeader();
    if (!this.storyShown && this.ctx.story) {
      this.storyShown = true;
      this.ctx.story(this.storyEl, this.id, this.summary.customer);
    }
    this.assist.refresh();
    this.ctx.onChange(this);
  }

  /** Draw the customer's story again (after a merge closed their other chat). */
  refreshStory() {
    if (this.ctx.story) this.ctx.story(this.storyEl, this.id, this.summary.customer);
  }

  /** A live message; duplicates (same seq) replace the stored copy, so echoes of our replies are harmless. */
  addMessage(msg) {
    if (typeof msg.seq !== "number") return;
    const isNew = !this.messages.has(msg.seq);
    this.messages.set(msg.seq, { ...(this.messages.get(msg.seq) || {}), ...msg });
    if (msg.client_id && this.pending.has(msg.client_id)) {
      this.pending.get(msg.client_id).remove();
      this.pending.delete(msg.client_id);
    }
    if (msg.sender === "customer") this.setCustomerTyping(false);
    this.renderTranscript();
    if (msg.sender === "customer") this.renderSide();
    if (isNew && msg.sender === "customer" && !this.visible()) this.unread += 1;
    this.assist.onMessage(msg, isNew);
    this.ctx.onChange(this);
  }

  /** Emotion/intent of an earlier customer message, known once the bot processed it. */
  annotate(frame) {
    const msg = this.messages.get(frame.seq);
    if (!msg) return;
    for (const key of ["intent", "confidence", "emotions", "negativity"]) {
      if (frame[key] !== undefined) msg[key] = frame[key];
    }
    this.renderTranscript();
    this.renderSide();
    this.ctx.onChange(this);
  }

  setState(frame) {
    this.state = frame.state;
    if (frame.agent !== undefined) this.agent = frame.agent;
    this.summary = { ...this.summary, state: frame.state, agent: this.agent, agent_name: frame.agent_name ?? this.summary.agent_name };
    if (frame.resolution) this.summary.resolution = frame.resolution;
    if (frame.state === "bot") {
      this.summary.handed_back_by = frame.handed_back_by || null;
      this.summary.watch_until = frame.watch_until || null;
    } else if (frame.state !== "queued") {
      this.summary.watch_until = null;
    }
    this.renderHeader();
    this.ctx.onChange(this);
  }

  setCustomerTyping(on) {
    this.customerTyping = on;
    this.typingLine.hidden = !on;
    clearTimeout(this.customerTypingTimer);
    if (on) this.customerTypingTimer = setTimeout(() => this.setCustomerTyping(false), CUSTOMER_TYPING_TIMEOUT_MS);
    this.ctx.onChange(this);
  }

  /** An error frame whose ref is one of our pending client_ids: keep the text, say why it failed. */
  failPending(clientId, message) {
    const el = this.pending.get(clientId);
    if (!el) return false;
    el.classList.add("failed");
    el.querySelector(".msg-meta").append(h("span", { class: "failed-why" }, ` — not sent: ${message}`));
    this.pending.delete(clientId);
    return true;
  }

  // ---- derived ----------------------------------------------------------------------------------------

  /** Mine and live: only then may I reply, transfer, hand back or close. */
  get isMine() {
    const me = this.ctx.me();
    return this.state === "agent" && me && this.agent === me.username;
  }

  get ordered() {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  get customerMessages() {
    return this.ordered.filter((m) => m.sender === "customer");
  }

  /** Latest known emotion of the customer (falls back to the queue item's). */
  get emotion() {
    const known = this.customerMessages.filter((m) => m.emotions);
    if (known.length) return emotionOf(known[known.length - 1]);
    return emotionOf(this.summary);
  }

  get title() {
    return customerLabel(this.summary.customer);
  }

  visible() {
    return !this.el.hidden && document.visibilityState === "visible";
  }

  // ---- DOM --------------------------------------------------------------------------------------------

  build() {
    this.nameEl = h("h2", { class: "conv-name" });
    this.stateEl = h("span", { class: "state-pill" });
    this.headerBadge = h("span", { class: "conv-emotion" });

    this.transferSelect = h("select", { class: "transfer-select", "aria-label": "Transfer to" });
    this.transferButton = h("button", { type: "button", class: "ghost", onclick: () => this.transfer() }, "Transfer");
    this.handbackButton = h("button", { type: "button", class: "ghost", onclick: () => this.handback() }, "Hand back to bot");
    this.resolutionSelect = h("select", { class: "resolution-select", "aria-label": "Resolution" },
      RESOLUTIONS.map(([value, label]) => h("option", { value }, label)));
    this.closeButton = h("button", { type: "button", class: "danger", onclick: () => this.close(),
      title: "End this chat with the chosen resolution; the customer is asked for a rating" }, "Close chat");
    this.transferNoteInput = h("input", { type: "text", class: "transfer-note", maxlength: MAX_TEXT,
      placeholder: "Note for the colleague (optional)", "aria-label": "Transfer note" });
    this.takeBackButton = h("button", { type: "button", class: "primary", onclick: () => this.takeBack() }, "Take it back");
    this.watchBar = h("div", { class: "watch-bar", hidden: true, role: "status" });
    this.noteBanner = h("div", { class: "transfer-banner", hidden: true, role: "alert" });
    this.storyEl = h("div", { class: "story" });

    const actions = h("div", { class: "conv-actions" },
      h("span", { class: "action-group" }, this.transferSelect, this.transferNoteInput, this.transferButton),
      this.handbackButton,
      h("span", { class: "action-group" }, this.resolutionSelect, this.closeButton));

    this.transcriptEl = h("ol", { class: "transcript", "aria-label": "Transcript", "aria-live": "polite",
      onscroll: () => {
        if (this.el.hidden) return;
        const el = this.transcriptEl;
        this.stickToEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
      } });
    installFlagging(this.transcriptEl, () => this.id, (text) => this.ctx.toast(text)); // flag.js
    this.typingLine = h("div", { class: "typing-line", hidden: true, "aria-live": "polite" },
      h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), " Customer is typing…");

    this.textarea = h("textarea", {
      class: "reply-text", rows: 3, maxlength: MAX_TEXT, placeholder: "Write a reply…  (Enter to send, Shift+Enter for a new line)",
      "aria-label": "Reply",
      oninput: () => this.onInput(),
      onkeydown: (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.submit();
        }
      },
    });
    this.noteToggle = h("input", { type: "checkbox", class: "note-toggle", onchange: () => this.renderComposerMode() });
    this.cannedSelect = h("select", { class: "canned-select", "aria-label": "Canned response", onchange: () => this.insertCanned() });
    this.sendButton = h("button", { type: "button", class: "primary send", onclick: () => this.submit() }, "Send");
    this.composerHint = h("span", { class: "composer-hint muted" });
    this.composer = h("div", { class: "composer" },
      this.textarea,
      h("div", { class: "composer-bar" },
        this.cannedSelect,
        h("label", { class: "note-label", title: "Private notes are seen by agents only" }, this.noteToggle, " Private note"),
        this.composerHint,
        h("span", { class: "spacer" }),
        this.sendButton));

    attachSlash(this.textarea, { items: () => this.ctx.canned(), pick: (item) => this.insertText(item.text) });
    this.reasonCard = h("section", { class: "card reason-card", "aria-label": "Escalation reason" });
    this.trendCard = h("section", { class: "card trend-card", "aria-label": "Negativity trend" });
    this.contextCard = h("section", { class: "card context-card", "aria-label": "Customer context" });
    this.assist = new AssistPanel(this); // summary, drafts, teach the bot (assist.js)

    this.el = h("div", { class: "pane conversation", role: "tabpanel", hidden: true, dataset: { conversationId: this.id } },
      h("header", { class: "conv-head" }, this.nameEl, this.headerBadge, this.stateEl, h("span", { class: "spacer" }), actions),
      this.storyEl, this.noteBanner, this.watchBar,
      h("div", { class: "conv-body" },
        h("div", { class: "conv-main" }, this.transcriptEl, this.typingLine, this.composer),
        h("aside", { class: "conv-side" }, ...this.assist.el, this.reasonCard, this.trendCard, this.contextCard)));
    this.renderHeader();
    this.renderSide();
    this.renderComposerMode();
  }

  renderHeader() {
    this.nameEl.textContent = this.title;
    clear(this.headerBadge).append(emotionBadge(this.emotion, { where: "the customer's latest message" }) || "");
    const me = this.ctx.me();
    let stateText = this.state;
    if (this.state === "agent") stateText = this.agent && me && this.agent === me.username ? "with you" : `with ${this.summary.agent_name || this.agent || "another agent"}`;
    if (this.state === "bot") stateText = "with the bot";
    if (this.state === "closed") stateText = this.summary.resolution ? `closed — ${this.summary.resolution}` : "closed";
    this.stateEl.textContent = stateText;
    this.stateEl.className = `state-pill state-${this.state}`;
    const mine = this.isMine;
    for (const el of [this.transferSelect, this.transferButton, this.handbackButton, this.resolutionSelect, this.closeButton]) {
      el.disabled = !mine;
    }
    const waiting = mine && this.transferNote && !this.transferNote.accepted;
    this.textarea.disabled = !mine || waiting;
    this.sendButton.disabled = !mine || waiting;
    this.cannedSelect.disabled = !mine || waiting;
    this.noteToggle.disabled = !mine || waiting;
    this.transferNoteInput.disabled = !mine;
    this.composerHint.textContent = !mine ? "Read only — this conversation is not with you."
      : waiting ? "Read the transfer note above and accept it to reply." : "";
    this.renderWatch();
    this.renderTransferNote();
    this.renderAgents();
    this.renderCanned();
  }

  /** After my hand-back: the chat stays here, read-only, with "Take it back" until the watch ends. */
  get watching() {
    const me = this.ctx.me();
    return this.state === "bot" && me && this.summary.handed_back_by === me.username
      && Number(this.summary.watch_until) > Date.now();
  }

  renderWatch() {
    const on = this.watching;
    this.watchBar.hidden = !on;
    if (!on) return;
    clear(this.watchBar).append(
      h("span", {}, `Handed back to the assistant — you see the customer's messages until ${formatTime(this.summary.watch_until)}. `),
      this.takeBackButton);
  }

  endWatch() {
    this.summary.watch_until = null;
    this.renderHeader();
  }

  /** The note of the transfer that brought this chat to me, shown first; replying waits for "Accept". */
  setTransferNote(fromName, note) {
    this.transferNote = note ? { from_name: fromName, note, accepted: false } : null;
    this.renderHeader();
  }

  renderTransferNote() {
    const t = this.transferNote;
    this.noteBanner.hidden = !t || t.accepted;
    if (!t || t.accepted) return;
    clear(this.noteBanner).append(
      h("strong", {}, `Transfer note from ${t.from_name || "a colleague"}: `),
      h("span", { class: "transfer-note-text" }, t.note), " ",
      h("button", { type: "button", class: "primary", onclick: () => {
        t.accepted = true;
        this.renderHeader();
        this.textarea.focus();
      } }, "Accept"));
  }

  /** Show the newest message (a pane that opens or comes to the front). */
  scrollToEnd() {
    this.stickToEnd = true;
    this.transcriptEl.scrollTop = this.transcriptEl.scrollHeight;
  }

  renderAgents() {
    const me = this.ctx.me();
    const current = this.transferSelect.value;
    const others = this.ctx.agents().filter((a) => !me || a.username !== me.username);
    clear(this.transferSelect).append(h("option", { value: "" }, others.length ? "Transfer to…" : "No other agents"));
    for (const a of others) {
      const full = a.capacity !== undefined && a.active >= a.capacity;
      const label = `${a.display_name || a.username} — ${a.status}${a.capacity !== undefined ? ` (${a.active ?? 0}/${a.capacity})` : ""}`;
      this.transferSelect.append(h("option", { value: a.username, disabled: a.status !== "online" || full }, label));
    }
    if (current && others.some((a) => a.username === current)) this.transferSelect.value = current;
  }

  renderCanned() {
    const list = this.ctx.canned();
    clear(this.cannedSelect).append(h("option", { value: "" }, list.length ? "Canned responses…" : "No canned responses"));
    for (const c of list) this.cannedSelect.append(h("option", { value: String(c.id) }, c.mine ? `${c.title} (mine)` : c.title));
  }

  renderComposerMode() {
    const note = this.noteToggle.checked;
    this.composer.classList.toggle("note-mode", note);
    this.textarea.placeholder = note
      ? "Private note — only agents see this"
      : "Write a reply…  (Enter to send, Shift+Enter for a new line)";
    this.sendButton.textContent = note ? "Add note" : "Send";
  }

  renderTranscript() {
    const readingAt = this.transcriptEl.scrollTop;
    clear(this.transcriptEl);
    for (const msg of this.ordered) this.transcriptEl.append(messageItem(msg));
    for (const el of this.pending.values()) this.transcriptEl.append(el);
    this.transcriptEl.scrollTop = this.stickToEnd ? this.transcriptEl.scrollHeight : readingAt;
    clear(this.headerBadge).append(emotionBadge(this.emotion, { where: "the customer's latest message" }) || "");
    this.markEscalatedOn();
  }

  /** The messages the escalation policy quoted (reason.messages) get a marker: what the score was about. */
  markEscalatedOn() {
    const quoted = new Set((this.summary.reason && this.summary.reason.messages) || []);
    if (!quoted.size) return;
    for (const li of this.transcriptEl.querySelectorAll(".msg-customer")) {
      const text = li.querySelector(".msg-text")?.textContent;
      if (quoted.has(text)) {
        li.classList.add("escalated-on");
        li.querySelector(".msg-meta").append(h("span", { class: "escalated-mark", title: "The escalation policy handed over on this message; its score is in \"Why it was escalated\"" }, "⚑ handed over here"));
      }
    }
  }

  renderSide() {
    const reason = this.summary.reason;
    clear(this.reasonCard).append(h("h3", {}, "Why it was escalated"));
    if (reason) {
      const facts = h("dl", { class: "facts" },
        h("dt", {}, "Reason"), h("dd", { class: "reason-kind", dataset: { kind: reason.kind || "" } }, reasonTitle(reason)));
      if (typeof reason.score === "number") {
        facts.append(h("dt", {}, "Score"), h("dd", { class: "reason-score", title: scoreMeaning(reason) }, reason.score.toFixed(2)));
      }
      if (typeof reason.turn === "number") facts.append(h("dt", {}, "At turn"), h("dd", {}, String(reason.turn)));
      if (typeof this.summary.priority === "number") facts.append(h("dt", {}, "Priority"), h("dd", {}, this.summary.priority.toFixed(2)));
      this.reasonCard.append(facts);
      if (reason.detail) this.reasonCard.append(h("p", { class: "reason-detail" }, String(reason.detail)));
      if (Array.isArray(reason.messages) && reason.messages.length) {
        this.reasonCard.append(h("ul", { class: "reason-quotes" }, reason.messages.map((m) => h("li", {}, h("q", {}, String(m))))));
      }
    } else {
      this.reasonCard.append(h("p", { class: "muted" }, "No escalation reason recorded."));
    }

    const points = this.customerMessages.map((m) => {
      const e = emotionOf(m);
      // The policy's reading when known (the same figure as the message's chip), else the classifier's.
      const n = e && typeof e.negativity === "number" ? e.negativity : typeof m.negativity === "number" ? m.negativity : null;
      return { negativity: n, label: e && e.label };
    });
    clear(this.trendCard).append(h("h3", {}, "Negativity over the conversation"), trendLine(points));

    const customer = this.summary.customer || {};
    clear(this.contextCard).append(h("h3", {}, "Customer"));
    const facts = h("dl", { class: "facts" },
      h("dt", {}, "Name"), h("dd", {}, customer.name || "—"),
      h("dt", {}, "Customer id"), h("dd", {}, customer.customer_id || "— (not signed in)"));
    if (this.summary.created) facts.append(h("dt", {}, "Started"), h("dd", {}, formatTime(this.summary.created)));
    this.contextCard.append(facts);
    const cards = Array.isArray(customer.cards) ? customer.cards : [];
    if (cards.length) {
      this.contextCard.append(h("h4", {}, "Cards"), h("ul", { class: "cards" }, cards.map((c) =>
        h("li", {}, h("span", { class: "card-last4" }, `•••• ${c.last_four || "????"}`), " ", c.label || c.type || ""))));
    }
  }

  // ---- actions ----------------------------------------------------------------------------------------

  onInput() {
    if (this.noteToggle.checked || !this.isMine) return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.ctx.send("typing", { conversation_id: this.id, on: true });
      this.typingSentAt = now;
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingIdle);
    if (this.typingSentAt) {
      this.ctx.send("typing", { conversation_id: this.id, on: false });
      this.typingSentAt = 0;
    }
  }

  insertCanned() {
    const chosen = this.ctx.canned().find((c) => String(c.id) === this.cannedSelect.value);
    this.cannedSelect.value = "";
    if (chosen) this.insertText(chosen.text);
  }

  /** A canned reply's text into the reply box; {name} becomes the customer's first name. */
  insertText(raw) {
    const firstName = (this.summary.customer && this.summary.customer.name || "").split(/\s+/)[0];
    const text = String(raw).replace(/\{name\}/g, firstName || "there");
    this.textarea.value = this.textarea.value ? `${this.textarea.value} ${text}` : text;
    this.textarea.focus();
    this.onInput();
  }

  submit() {
    const text = this.textarea.value.trim();
    if (!text || !this.isMine) return;
    if (text.length > MAX_TEXT) {
      this.ctx.toast(`Messages are limited to ${MAX_TEXT} characters.`);
      return;
    }
    const note = this.noteToggle.checked;
    const clientId = uuid();
    const sent = this.ctx.send(note ? "note" : "message", { conversation_id: this.id, client_id: clientId, text });
    if (!sent) {
      this.ctx.toast("Not connected — your text is kept; send again when the console reconnects.");
      return;
    }
    this.textarea.value = "";
    if (!note) this.assist.onSend(text);
    if (!note) this.stopTyping();
    if (note) {
      // Note mode is for one note: the next text goes to the customer unless the agent ticks it again.
      this.noteToggle.checked = false;
      this.renderComposerMode();
    }
    const pending = messageItem({ sender: note ? "note" : "agent", text, agent_name: "You", ts: Date.now() });
    pending.classList.add("pending");
    this.pending.set(clientId, pending);
    this.transcriptEl.append(pending);
    this.transcriptEl.scrollTop = this.transcriptEl.scrollHeight;
  }

  transfer() {
    const to = this.transferSelect.value;
    if (!to) {
      this.ctx.toast("Choose an agent to transfer to.");
      return;
    }
    const note = this.transferNoteInput.value.trim();
    if (this.ctx.send("transfer", note ? { conversation_id: this.id, to, note } : { conversation_id: this.id, to })) {
      this.transferNoteInput.value = "";
    }
  }

  takeBack() {
    this.ctx.send("takeback", { conversation_id: this.id });
  }

  handback() {
    this.stopTyping();
    this.ctx.send("handback", { conversation_id: this.id });
  }

  close() {
    this.stopTyping();
    this.ctx.send("close", { conversation_id: this.id, resolution: this.resolutionSelect.value });
  }
}

/** What the escalation reason's score measured, per kind (bot/escalation/signals.py), for its hover. */
export function scoreMeaning(reason) {
  const detail = String(reason.detail || "");
  if (reason.kind === "negativity") {
    if (detail === "rolling negativity") return "The running average of the policy's negativity readings (the newest message counts 60%), on the messages marked ⚑.";
    if (detail === "anger" || detail === "frustration") return `How sure the dialogue-act model was that the message marked ⚑ is ${detail} aimed at us.`;
    return "The negativity the policy read in the message marked ⚑ — the same figure as that message's chip.";
  }
  if (reason.kind === "explicit" || reason.kind === "customer_request") return "1.00: the customer asked for a person.";
  if (reason.kind === "sensitive") return "How charged the message marked ⚑ was (at least 0.50 for a sensitive topic such as fraud or bereavement).";
  if (reason.kind === "failure") return "How sure the policy was that the assistant kept missing the point.";
  return "The escalation policy's score for this reason.";
}

/** One transcript line. Text only ever goes through textContent (via h()). */
export function messageItem(msg) {
  const sender = msg.sender || "system";
  let who = SENDER_LABEL[sender] || sender;
  if (sender === "agent") who = msg.agent_name || msg.agent || "Agent";
  if (sender === "note") who = `${msg.event === "transfer_note" ? "Transfer note" : "Private note"}${msg.agent ? ` · ${msg.agent}` : ""}`;
  const meta = h("div", { class: "msg-meta" }, h("span", { class: "msg-who" }, who), h("time", {}, formatTime(msg.ts)));
  if (sender === "customer") {
    const emotion = emotionOf(msg);
    if (emotion) meta.append(emotionBadge(emotion, { where: "this message" }));
    const intent = intentLabel(msg.intent, msg.confidence);
    if (intent) {
      meta.append(h("span", { class: "intent", title: `What the assistant understood (${Math.round(msg.confidence * 100)}% sure; intents under ${Math.round(trustedAbove() * 100)}% are not shown)`, dataset: { intent: msg.intent } }, intent));
    }
  }
  const item = h("li", { class: `msg msg-${sender}`, dataset: { seq: msg.seq === undefined ? "" : String(msg.seq) } },
    meta, h("div", { class: "msg-text" }, String(msg.agent_text || msg.text || ""))); // agent_text: agents' wording
  if (Array.isArray(msg.buttons) && msg.buttons.length) {
    item.append(h("div", { class: "msg-buttons", title: "Buttons the customer was offered" },
      msg.buttons.map((b) => h("span", { class: "msg-button" }, String(b.title ?? "")))));
  }
  const action = sender === "bot" ? flagButton(msg) : sender === "customer" ? teachButton(msg) : null;
  if (action) item.append(action);
  return item;
}
