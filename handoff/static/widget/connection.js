/* Tandem widget — the customer connection (no DOM).
 *
 * Owns the websocket to /ws/customer: hello/resume, reconnect with exponential back-off and jitter, an outbox
 * of messages not yet acknowledged (kept in sessionStorage, resent with their original client_id so the
 * server stores each exactly once), de-duplication by seq, and the browser's online/offline signals.
 * The UI (ui.js) only calls send()/request() and listens to the callbacks; docs/protocol.md is the contract.
 */
(function () {
  "use strict";

  const NS = (window.__tandemWidget = window.__tandemWidget || {});

  const BACKOFF_BASE_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const PING_EVERY_MS = 20000;
  const SILENCE_LIMIT_MS = 45000; // no frame at all for this long: the socket is dead even if not closed
  const HELLO_TIMEOUT_MS = 10000;
  const MAX_TEXT = 2000;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Exponential back-off with "equal jitter": half fixed, half random, so reconnecting clients spread out. */
  function backoffDelay(attempt) {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** sessionStorage, namespaced per gateway; survives a refresh, not a closed tab (the token is a secret). */
  class SessionStore {
    constructor(key) {
      this.key = key;
    }
    load() {
      try {
        return JSON.parse(window.sessionStorage.getItem(this.key) || "{}") || {};
      } catch (_) {
        return {}; // storage disabled or corrupt: start a fresh conversation rather than fail
      }
    }
    save(data) {
      try {
        window.sessionStorage.setItem(this.key, JSON.stringify(data));
      } catch (_) {
        /* private mode or full: the chat still works, it just won't survive a refresh */
      }
    }
    clear() {
      try {
        window.sessionStorage.removeItem(this.key);
      } catch (_) {
        /* nothing to clear */
      }
    }
  }

  /**
   * Connection status values passed to onStatus: "connecting", "online", "offline" (the browser says so),
   * "reconnecting" (with {retryInMs}).
   * Callbacks: onWelcome(frame), onMessage(message), onAck(clientId, seq), onFrame(frame) for typing/state/
   * rating_request/error/pong, onStatus(status, detail), onReset(reason) when the stored conversation is gone.
   */
  class Connection {
    /** getContext: async () => signed context string or null, asked each time a conversation starts. */
    constructor({ server, getContext, locale, callbacks }) {
      this.wsUrl = server.replace(/^http/i, "ws").replace(/\/+$/, "") + "/ws/customer";
      this.getContext = getContext || (async () => null);
      this.anonymous = false; // set when the server refused the site's context
      this.locale = locale || navigator.language || "en";
      this.cb = callbacks;
      this.store = new SessionStore("tandem:" + new URL(server).origin);
      const saved = this.store.load();
      this.conversationId = saved.conversation_id || null;
      this.token = saved.token || null;
      this.outbox = Array.isArray(saved.outbox) ? saved.outbox : [];
      this.ui = saved.ui || {};
      this.lastSeq = 0; // the page starts empty, so a resume asks for the whole transcript
      this.seen = new Set();
      this.ws = null;
      this.ready = false; // welcome received on the current socket
      this.attempt = 0;
      this.timer = null;
      this.pingTimer = null;
      this.lastFrameAt = 0;
      this.stopped = true;
      this.pendingHuman = false;
      window.addEventListener("online", () => this._online());
      window.addEventListener("offline", () => this._offline());
    }

    get hasConversation() {
      return Boolean(this.conversationId);
    }

    /** Open the socket (idempotent). Call after construction; the UI calls it when the chat is first used. */
    start() {
      if (!this.stopped) return;
      this.stopped = false;
      if (navigator.onLine === false) this._offline();
      else this._connect();
    }

    /** Queue a customer message; it is sent now if connected, else on the next welcome. Returns it. */
    send(text, payload) {
      const item = { client_id: uuid(), text: String(text).slice(0, MAX_TEXT), ts: Date.now() };
      if (payload) item.payload = String(payload);
      this.outbox.push(item);
      this._persist();
      if (this.ready) this._sendItem(item);
      return item;
    }

    /** The customer accepted the site's proactive offer: the signed event goes like a message (outbox, resent
     * with its client_id until acked); the words the transcript shows come back from the server. */
    sendEvent(signed) {
      const item = { client_id: uuid(), event: String(signed), text: "", ts: Date.now() };
      this.outbox.push(item);
      this._persist();
      if (this.ready) this._sendItem(item);
      this.start();
      return item;
    }

    /** "Talk to a person": remembered while offline and sent once connected. */
    requestHuman() {
      this.pendingHuman = true;
      if (this.ready) this._flushHuman();
    }

    /** Frames that only make sense live (typing, rating, callback); false when not connected. */
    sendFrame(frame) {
      if (!this.ready) return false;
      this.ws.send(JSON.stringify(frame));
      return true;
    }

    /** Forget the conversation (after it closed, or when the server no longer knows it) and start anew. */
    startOver() {
      this.conversationId = null;
      this.token = null;
      this.lastSeq = 0;
      this.seen.clear();
      this.outbox = [];
      this.pendingHuman = false;
      this._persist();
      this._reconnectNow();
    }

    /** Small UI state (panel open) that should survive a refresh, stored beside the conversation. */
    saveUi(patch) {
      this.ui = Object.assign({}, this.ui, patch);
      this._persist();
    }

    _persist() {
      this.store.save({
        conversation_id: this.conversationId,
        token: this.token,
        outbox: this.outbox,
        ui: this.ui,
      });
    }

    _connect() {
      clearTimeout(this.timer);
      this.ready = false;
      this.cb.onStatus(this.attempt === 0 ? "connecting" : "reconnecting", {});
      let ws;
      try {
        ws = new WebSocket(this.wsUrl);
      } catch (_) {
        this._scheduleReconnect();
        return;
      }
      this.ws = ws;
      ws.onopen = async () => {
        if (ws !== this.ws) return;
        this.lastFrameAt = Date.now();
        this._startHeartbeat(ws);
        const hello = { type: "hello", last_seq: this.lastSeq, locale: this.locale };
        if (this.conversationId) {
          hello.conversation_id = this.conversationId;
          hello.token = this.token;
        } else if (!this.anonymous) {
          // Only when starting: a resumed conversation already carries its context.
          const context = await this.getContext();
          if (ws !== this.ws) return;
          if (context) hello.context = context;
        }
        ws.send(JSON.stringify(hello));
      };
      ws.onmessage = (event) => {
        if (ws !== this.ws) return;
        this.lastFrameAt = Date.now();
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch (_) {
          return; // the server only sends JSON; ignore anything else rather than break the chat
        }
        if (frame && typeof frame.type === "string") this._handle(frame);
      };
      ws.onclose = () => {
        if (ws !== this.ws) return;
        this._dropSocket();
        if (this.stopped) return;
        if (navigator.onLine === false) this._offline();
        else this._scheduleReconnect();
      };
      ws.onerror = () => {
        /* onclose follows and decides what to do */
      };
    }

    _handle(frame) {
      switch (frame.type) {
        case "welcome":
          return this._welcome(frame);
        case "ack":
          return this._ack(frame.client_id, frame.seq);
        case "message":
          return this._message(frame);
        case "error":
          return this._error(frame);
        default:
          return this.cb.onFrame(frame);
      }
    }

    _welcome(frame) {
      if (!this.conversationId || this.conversationId !== frame.conversation_id) {
        this.conversationId = frame.conversation_id;
        this.lastSeq = 0;
        this.seen.clear();
      }
      if (frame.token) this.token = frame.token;
      this._persist();
      this.ready = true;
      this.attempt = 0;
      this.unavailableSaid = false;
      this.cb.onStatus("online", {});
      this.cb.onWelcome(frame);
      // Messages never acknowledged go again with their original client_id: the server stores each once.
      // The replay that follows the welcome may already contain some of them; the UI matches by client_id.
      this.outbox.forEach((item) => this._sendItem(item));
      this._flushHuman();
    }

    _message(msg) {
      if (typeof msg.seq === "number") {
        if (this.seen.has(msg.seq)) return; // replayed after a reconnect: already shown
        this.seen.add(msg.seq);
        this.lastSeq = Math.max(this.lastSeq, msg.seq);
      }
      if (msg.sender === "customer" && msg.client_id) this._removeFromOutbox(msg.client_id);
      this.cb.onMessage(msg);
    }

    _ack(clientId, seq) {
      this._removeFromOutbox(clientId);
      this.cb.onAck(clientId, seq);
    }

    _removeFromOutbox(clientId) {
      const before = this.outbox.length;
      this.outbox = this.outbox.filter((item) => item.client_id !== clientId);
      if (this.outbox.length !== before) this._persist();
    }

    _error(frame) {
      const code = frame.code;
      if (!this.ready && (code === "unauthorized" || code === "not_found") && this.conversationId) {
        // The stored conversation expired or its token is no longer valid: begin a new one.
        this.conversationId = null;
        this.token = null;
        this.lastSeq = 0;
        this.seen.clear();
        this._persist();
        this.cb.onReset("expired");
        this._reconnectNow();
        return;
      }
      if (!this.ready && code === "unauthorized" && !this.anonymous) {
        // The site's signed context was refused (expired or bad): carry on anonymously rather than not at all.
        this.anonymous = true;
        this.cb.onFrame(frame);
        this._reconnectNow();
        return;
      }
      if (!this.ready && code === "rate_limited") {
        // Too many new chats from this network for now: say so, and come back when the server says.
        this.cb.onFrame(frame);
        this._dropSocket();
        clearTimeout(this.timer);
        const wait = Math.max(Number(frame.retry_after_ms) || 60000, 1000);
        this.cb.onStatus("reconnecting", { retryInMs: wait });
        this.timer = setTimeout(() => this._connect(), wait);
        return;
      }
      if (!this.ready && code === "unavailable") {
        // The desk cannot reach its storage (Redis restarting or failing over) and closes this socket: show
        // "reconnecting", try again after retry_after_ms; the outbox goes again, once, after the next welcome.
        if (!this.unavailableSaid) this.cb.onFrame(frame);
        this.unavailableSaid = true;
        this._dropSocket();
        clearTimeout(this.timer);
        const wait = Math.max(Number(frame.retry_after_ms) || 3000, 500);
        this.cb.onStatus("reconnecting", { retryInMs: wait });
        this.timer = setTimeout(() => this._connect(), wait);
        return;
      }
      const refused = code === "invalid_frame" || code === "frame_too_large" || code === "bad_state" ||
        (code === "unauthorized" && frame.frame === "event"); // a site event whose signature failed or expired
      if (frame.ref && refused) {
        this._removeFromOutbox(frame.ref); // the server will never accept this one: don't resend it forever
      }
      if (code === "rate_limited" || code === "unavailable") {
        if (code === "unavailable") this.unavailableSaid = true; // said once until the next welcome
        const wait = Number(frame.retry_after_ms) || (code === "unavailable" ? 3000 : 1000);
        clearTimeout(this.flushTimer);
        this.flushTimer = setTimeout(() => {
          if (this.ready) this.outbox.forEach((item) => this._sendItem(item));
        }, wait);
      }
      this.cb.onFrame(frame);
    }

    _sendItem(item) {
      const frame = item.event
        ? { type: "event", client_id: item.client_id, event: item.event }
        : { type: "message", client_id: item.client_id, text: item.text };
      if (item.payload) frame.payload = item.payload;
      try {
        this.ws.send(JSON.stringify(frame));
      } catch (_) {
        /* socket closing: the item stays in the outbox and goes after the next welcome */
      }
    }

    _flushHuman() {
      if (!this.pendingHuman || !this.ready) return;
      this.pendingHuman = false;
      this.ws.send(JSON.stringify({ type: "request_human" }));
    }

    _startHeartbeat(ws) {
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (ws !== this.ws) return;
        if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
          ws.close(); // half-open connection (e.g. a sleeping laptop): onclose reconnects
          this._forceClosed(ws);
          return;
        }
        try {
          ws.send(JSON.stringify({ type: "ping" }));
        } catch (_) {
          /* onclose handles it */
        }
      }, PING_EVERY_MS);
      clearTimeout(this.helloTimer);
      this.helloTimer = setTimeout(() => {
        if (ws === this.ws && !this.ready) {
          ws.close();
          this._forceClosed(ws);
        }
      }, HELLO_TIMEOUT_MS);
    }

    /** A close() on a dead TCP connection may take minutes to fire onclose; don't wait for it. */
    _forceClosed(ws) {
      if (ws !== this.ws) return;
      this._dropSocket();
      this._scheduleReconnect();
    }

    _dropSocket() {
      const ws = this.ws;
      this.ws = null;
      this.ready = false;
      clearInterval(this.pingTimer);
      clearTimeout(this.helloTimer);
      if (ws) {
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
          try {
            ws.close();
          } catch (_) {
            /* already closing */
          }
        }
      }
    }

    _scheduleReconnect() {
      if (this.stopped) return;
      clearTimeout(this.timer);
      const delay = backoffDelay(this.attempt);
      this.attempt += 1;
      this.cb.onStatus("reconnecting", { retryInMs: delay });
      this.timer = setTimeout(() => this._connect(), delay);
    }

    _reconnectNow() {
      this._dropSocket();
      clearTimeout(this.timer);
      if (this.stopped) return;
      this.attempt = 0;
      this._connect();
    }

    _offline() {
      if (this.stopped) return;
      // Chromium keeps an idle socket "open" after the network is gone; treat the browser's word as final
      // so new messages wait in the outbox instead of vanishing into a dead TCP connection.
      this._dropSocket();
      clearTimeout(this.timer);
      this.cb.onStatus("offline", {});
    }

    _online() {
      if (this.stopped) return;
      this.attempt = 0;
      this._reconnectNow();
    }
  }

  NS.Connection = Connection;
  NS.backoffDelay = backoffDelay;
  NS.MAX_TEXT = MAX_TEXT;
})();
