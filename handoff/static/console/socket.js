// The agent's websocket client: connects, says hello, reconnects with backoff and turns frames into events.
// It knows the wire format (docs/protocol.md) and nothing about the page.

export const CLOSE_SESSION_EXPIRED = 4401;

const PING_EVERY_MS = 25000;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30000;

/**
 * Events dispatched (CustomEvent, frame in `detail`): one per server frame type ("welcome", "queue",
 * "escalation", "message", ...), plus "open", "down" {code, reason} and "expired" (session gone: sign in again).
 */
export class AgentSocket extends EventTarget {
  constructor(url = defaultUrl()) {
    super();
    this.url = url;
    this.ws = null;
    this.backoff = FIRST_BACKOFF_MS;
    this.stopped = false;
    this.pingTimer = null;
    this.reconnectTimer = null;
  }

  connect() {
    this.stopped = false;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.backoff = FIRST_BACKOFF_MS;
      this.send("hello", {});
      this.pingTimer = setInterval(() => this.send("ping", {}), PING_EVERY_MS);
      this.emit("open", {});
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        console.warn("console: ignoring a frame that is not JSON");
        return;
      }
      if (frame && typeof frame.type === "string") this.emit(frame.type, frame);
    });
    ws.addEventListener("close", (event) => {
      clearInterval(this.pingTimer);
      if (this.ws !== ws) return;
      this.ws = null;
      if (event.code === CLOSE_SESSION_EXPIRED) {
        // The server refuses this session: retrying would only be refused again.
        this.stopped = true;
        this.emit("expired", { code: event.code, reason: event.reason });
        return;
      }
      this.emit("down", { code: event.code, reason: event.reason });
      if (!this.stopped) {
        // Exponential back-off with jitter (docs/protocol.md "Reconnecting"), so a restarted gateway is
        // not hit by every console at the same instant.
        const delay = this.backoff / 2 + Math.random() * (this.backoff / 2);
        this.reconnectTimer = setTimeout(() => this.connect(), delay);
        this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
      }
    });
  }

  get connected() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send one frame; returns false (and sends nothing) while disconnected so callers can say so. */
  send(type, fields = {}) {
    if (!this.connected) return false;
    this.ws.send(JSON.stringify({ type, ...fields }));
    return true;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000, "bye");
    this.ws = null;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  on(type, handler) {
    this.addEventListener(type, (event) => handler(event.detail));
    return this;
  }
}

function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/agent`;
}
