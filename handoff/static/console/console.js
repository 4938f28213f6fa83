// The agent console: sign-in, the live queue, tabs of conversations, presence, closed-today and canned
// responses. Wires the socket (socket.js) and HTTP API (api.js) to the views (queue.js, conversation.js).
import { api, ApiError } from "./api.js";
import { askNotificationPermission, beep, notificationPermission, notify, unlockAudio } from "./alerts.js";
import { ConversationView } from "./conversation.js";
import { byId, clear, formatTime, h, localDay } from "../shared/dom.js";
import { emotionBadge, negativityClass } from "./emotion.js";
import { CannedAdmin } from "../shared/canned.js";
import { SignIn } from "../shared/signin.js";
import { customerLabel, QueueView, reasonTitle } from "./queue.js";
import { AgentSocket } from "./socket.js";
import { HistoryPane, viewParam } from "./history.js";
import { renderStory } from "./story.js";
import { MyCanned } from "./my_canned.js";
import { SupervisorPane } from "./supervisor.js";
import { loadIntentNames } from "./intents.js";
import { ESCALATION_KINDS } from "/vocabulary.js";

const FRIENDLY_ERRORS = {
  conflict: "Another agent was faster — that conversation is already taken.",
  over_capacity: "You are at capacity. Close or hand back a conversation first.",
  forbidden: "That conversation is assigned to another agent.",
  not_found: "That conversation or agent no longer exists.",
  rate_limited: "Slow down a little — too many actions at once.",
  unavailable: "The service is briefly unavailable. Try again in a moment.",
};

const state = {
  me: null,
  socket: null,
  agents: [],
  canned: [],
  mine: [], // the agent's own canned replies (my_canned.js)
  views: new Map(),
  active: null,
  pendingClaims: new Set(),
};

// ---- sign-in --------------------------------------------------------------------------------------------

// The form and its errors are the staff pages' shared view (../shared/signin.js); here, what the console drops
// before showing it and the gesture it needs.
const signIn = new SignIn({
  title: "Tandem console",
  beforeShow: () => {
    if (state.socket) state.socket.close();
    state.socket = null;
    state.me = null;
    for (const view of state.views.values()) view.el.remove();
    state.views.clear();
    byId("app-view").hidden = true;
  },
  // The click is our user gesture: unlock audio for the escalation beep and ask for notifications now.
  onGesture: () => {
    unlockAudio();
    askNotificationPermission().then(renderAlertsButton);
  },
  onSignedIn: (agent) => start(agent),
});

function showLogin(message, kind = "error") {
  signIn.show(message, kind);
}

async function logout() {
  // Our own socket goes first, so the server's "signed out" close (4401) is not read as an expiry.
  if (state.socket) state.socket.close();
  try {
    await api.logout();
  } catch {
    // The session may already be gone; signing out locally is what the agent asked for.
  }
  showLogin("You have signed out.", "info");
}

function sessionExpired() {
  signIn.expired();
}

// ---- the console ----------------------------------------------------------------------------------------

const queueView = new QueueView(byId("queue-list"), byId("queue-empty"), byId("queue-count"), {
  onClaim: (conversationId) => {
    state.pendingClaims.add(conversationId);
    if (!send("claim", { conversation_id: conversationId })) queueView.release(conversationId);
  },
});

const myCanned = new MyCanned({
  onChange: (list) => {
    state.mine = list;
    for (const view of state.views.values()) view.renderCanned();
  },
  onExpired: sessionExpired,
});

const cannedAdmin = new CannedAdmin({
  onChange: (list) => setCanned(list),
  onExpired: sessionExpired,
});

function start(agent) {
  state.me = agent;
  signIn.hide();
  byId("app-view").hidden = false;
  byId("me-name").textContent = agent.display_name || agent.username;
  byId("canned-manage").hidden = agent.role !== "admin";
  byId("tab-supervisor").hidden = agent.role !== "admin";
  renderPresence(agent.status || "online");
  renderAlertsButton();
  document.title = "Tandem console";
  showPane(null);
  loadCanned();
  myCanned.load();
  loadIntentNames().then(() => {
    for (const view of state.views.values()) view.renderTranscript();
  });

  const socket = new AgentSocket();
  state.socket = socket;
  socket
    .on("open", () => setConn("Connected", "ok"))
    .on("down", () => setConn("Reconnecting…", "warn"))
    .on("expired", sessionExpired)
    .on("welcome", onWelcome)
    .on("queue", (f) => {
      queueView.set(f.items || []);
      updateTitle();
    })
    .on("escalation", onEscalation)
    .on("claimed", (f) => {
      state.pendingClaims.delete(f.conversation_id);
      const view = ensureView(f.conversation_id);
      view.load(f.conversation, f.transcript);
      showPane(view.id);
      view.textarea.focus();
    })
    .on("transcript", (f) => {
      ensureView(f.conversation_id).load(f.conversation, f.transcript);
      if (state.opening === f.conversation_id) showPane(f.conversation_id); // the supervisor's "Open"
      state.opening = null;
    })
    .on("assigned", onAssigned)
    .on("message", (f) => state.views.get(f.conversation_id)?.addMessage(f))
    .on("annotation", (f) => state.views.get(f.conversation_id)?.annotate(f))
    .on("suggestions", (f) => state.views.get(f.conversation_id)?.assist.setDrafts(f.seq, f.drafts, Boolean(f.partial)))
    .on("typing", (f) => state.views.get(f.conversation_id)?.setCustomerTyping(Boolean(f.on)))
    .on("state", onState)
    .on("agents", (f) => setAgents(f.items || []))
    .on("presence", (f) => renderPresence(f.status))
    .on("rating", onRating)
    .on("watch_ended", (f) => state.views.get(f.conversation_id)?.endWatch())
    .on("merged", (f) => {
      const view = state.views.get(f.conversation_id);
      if (view) view.refreshStory();
      toast("Merged: the other chat's messages are in a private note here, and it is closed as a duplicate.");
    })
    .on("error", onError);
  socket.connect();
  const viewing = viewParam(); // /console/?view=<id>: a dashboard's or a colleague's link to one conversation
  if (viewing) openReadOnly(viewing);
}

function send(type, fields) {
  if (state.socket && state.socket.send(type, fields)) return true;
  toast("Not connected — the console is reconnecting.");
  return false;
}

function onWelcome(f) {
  state.me = { ...state.me, ...f.agent };
  byId("me-name").textContent = state.me.display_name || state.me.username;
  byId("canned-manage").hidden = state.me.role !== "admin";
  renderPresence(state.me.status);
  queueView.set(f.queue || []);
  setAgents(f.agents || []);
  // After a reconnect, reload every conversation that is mine: we may have missed messages.
  for (const summary of f.conversations || []) {
    const view = ensureView(summary.conversation_id);
    view.load(summary, [...view.messages.values()]);
    send("open", { conversation_id: summary.conversation_id });
  }
  updateCapacity();
  updateTitle();
}

function onEscalation(f) {
  const item = f.item || {};
  queueView.flash(item.conversation_id);
  beep();
  notify(`New escalation: ${customerLabel(item.customer)}`, reasonTitle(item.reason), () => queueView.list.focus());
}

function onAssigned(f) {
  const view = ensureView(f.conversation_id);
  if (f.conversation) view.load(f.conversation, [...view.messages.values()]);
  send("open", { conversation_id: f.conversation_id });
  const from = state.agents.find((a) => a.username === f.from);
  const fromName = f.from_name || (from ? from.display_name : f.from || "A colleague");
  if (f.from === state.me.username) {
    // The supervisor's "Take over": no note to accept, straight to the chat.
    toast(`You took over ${view.title}.`);
    showPane(view.id);
    return;
  }
  view.setTransferNote(fromName, f.note);
  toast(`${fromName} transferred ${view.title} to you.`);
  beep();
  if (!state.active) showPane(view.id);
}

function onState(f) {
  const view = state.views.get(f.conversation_id);
  if (!view) return;
  const wasMine = view.isMine;
  view.setState(f);
  if (wasMine && f.state === "agent" && f.agent !== state.me.username) {
    // Transferred away: the conversation is no longer ours to read.
    toast(`${view.title} is now with ${f.agent_name || f.agent}.`);
    removeView(view.id);
    return;
  }
  if (f.state === "closed" && byId("closed-pane").hidden === false) loadClosed();
}

function onRating(f) {
  const view = state.views.get(f.conversation_id);
  const who = view ? view.title : "A customer";
  toast(`${who} rated the chat ${"★".repeat(f.score)}${"☆".repeat(5 - f.score)}`);
  if (!byId("closed-pane").hidden) loadClosed();
}

function onError(f) {
  if (f.code === "unauthorized") return; // the 4401 close that follows shows the sign-in page
  if (f.ref) {
    for (const view of state.views.values()) if (view.failPending(f.ref, f.message)) return;
  }
  if (f.frame === "claim") {
    for (const id of state.pendingClaims) queueView.release(id);
    state.pendingClaims.clear();
  }
  toast(FRIENDLY_ERRORS[f.code] || f.message || "Something went wrong.");
}

// ---- conversations and tabs -------------------------------------------------------------------------------

function ensureView(conversationId) {
  let view = state.views.get(conversationId);
  if (view) return view;
  view = new ConversationView(conversationId, {
    me: () => state.me,
    send,
    agents: () => state.agents,
    canned: () => [...state.canned, ...state.mine],
    story: (el, id, customer) => renderStory(el, id, customer, {
      open: openReadOnly,
      expired: sessionExpired,
      merge: state.views.get(id)?.isMine ? (from) => send("merge", { conversation_id: id, from }) : null,
    }),
    onChange: () => {
      renderTabs();
      updateCapacity();
    },
    toast,
  });
  state.views.set(conversationId, view);
  byId("panes").append(view.el);
  renderTabs();
  return view;
}

function removeView(conversationId) {
  const view = state.views.get(conversationId);
  if (!view) return;
  view.el.remove();
  state.views.delete(conversationId);
  if (state.active === conversationId) {
    const next = [...state.views.keys()].pop() || null;
    showPane(next);
  }
  renderTabs();
  updateCapacity();
}

/** id: a conversation id, "closed" for the closed-today pane, or null for the welcome pane. */
function showPane(id) {
  state.active = id;
  byId("welcome-pane").hidden = id !== null;
  byId("closed-pane").hidden = id !== "closed";
  byId("supervisor-pane").hidden = id !== "supervisor";
  if (id === "supervisor") supervisor.show();
  else supervisor.hide();
  for (const view of state.views.values()) {
    view.el.hidden = view.id !== id;
    if (view.id === id) {
      view.unread = 0;
      view.scrollToEnd(); // a pane opens at its newest message
    }
  }
  if (id === "closed") loadClosed();
  renderTabs();
}

function renderTabs() {
  const tabs = byId("tabs");
  const closedTab = byId("tab-closed");
  for (const el of [...tabs.querySelectorAll(".tab-wrap")]) el.remove();
  for (const view of state.views.values()) {
    const emotion = view.emotion;
    const live = view.isMine;
    const tab = h("button", {
      type: "button",
      role: "tab",
      class: `tab tab-conv ${live ? "" : "tab-inactive"}`,
      "aria-selected": String(state.active === view.id),
      dataset: { conversationId: view.id },
      onclick: () => showPane(view.id),
    },
    h("span", { class: `dot ${negativityClass(emotion && emotion.negativity)}`, "aria-hidden": "true" }),
    h("span", { class: "tab-name" }, view.title),
    view.customerTyping ? h("span", { class: "tab-typing", title: "typing" }, "…") : null,
    view.unread ? h("span", { class: "unread", "aria-label": `${view.unread} unread` }, String(view.unread)) : null);
    // A finished chat (closed, handed back) keeps its tab for reference until the agent dismisses it.
    const dismiss = live ? null : h("button", {
      type: "button",
      class: "tab-x",
      title: "Close this tab",
      "aria-label": `Close the tab of ${view.title}`,
      onclick: () => removeView(view.id),
    }, "×");
    tabs.insertBefore(h("span", { class: "tab-wrap", role: "presentation" }, tab, dismiss), closedTab);
  }
  closedTab.setAttribute("aria-selected", String(state.active === "closed"));
  byId("tab-supervisor").setAttribute("aria-selected", String(state.active === "supervisor"));
  updateTitle();
}

function updateCapacity() {
  if (!state.me) return;
  const mine = [...state.views.values()].filter((v) => v.isMine).length;
  const capacity = state.me.capacity ?? 1;
  const el = byId("capacity");
  el.textContent = `${mine} / ${capacity} chats`;
  el.classList.toggle("full", mine >= capacity);
  queueView.setCanClaim(mine < capacity);
}

function updateTitle() {
  const waiting = queueView.items.length;
  const unread = [...state.views.values()].reduce((n, v) => n + v.unread, 0);
  const parts = [];
  if (unread) parts.push(`(${unread})`);
  if (waiting) parts.push(`${waiting} waiting`);
  document.title = [...parts, "Tandem console"].join(" · ");
}

// ---- presence, agents, alerts -------------------------------------------------------------------------

function renderPresence(status) {
  if (state.me) state.me.status = status;
  byId("presence-online").setAttribute("aria-pressed", String(status === "online"));
  byId("presence-away").setAttribute("aria-pressed", String(status === "away"));
  document.body.classList.toggle("away", status === "away");
}

function setAgents(items) {
  state.agents = items;
  for (const view of state.views.values()) view.renderAgents();
}

function renderAlertsButton() {
  const button = byId("alerts-button");
  const permission = notificationPermission();
  button.hidden = permission !== "default";
}

// ---- canned responses ----------------------------------------------------------------------------------

async function loadCanned() {
  try {
    const data = await api.canned();
    setCanned(data.canned || []);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) sessionExpired();
  }
}

function setCanned(list) {
  state.canned = list;
  for (const view of state.views.values()) view.renderCanned();
}

// ---- history: closed today, search, any conversation read-only (history.js) ----------------------------

const supervisor = new SupervisorPane({
  me: () => state.me,
  open: (id) => {
    state.opening = id;
    send("open", { conversation_id: id });
  },
  takeOver: (row) => {
    if (row.state === "queued") {
      state.pendingClaims.add(row.conversation_id);
      send("claim", { conversation_id: row.conversation_id });
    } else {
      send("transfer", { conversation_id: row.conversation_id, to: state.me.username });
    }
  },
  expired: sessionExpired,
});

const history = new HistoryPane({
  open: (id) => openReadOnly(id),
  expired: sessionExpired,
  agentName: (username) => state.agents.find((a) => a.username === username)?.display_name || username,
});

function loadClosed() {
  return history.load();
}

/** A conversation in a read-only tab, from GET /api/conversations/<id> (closed, or someone else's). */
async function openReadOnly(conversationId) {
  const existing = state.views.get(conversationId);
  if (existing && existing.isMine) return showPane(conversationId);
  try {
    const record = await api.conversation(conversationId);
    const view = ensureView(conversationId);
    view.readOnly = true;
    view.load(record, record.transcript || []);
    showPane(view.id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return sessionExpired();
    toast(err.message || "That conversation cannot be opened.");
  }
}

// ---- small things --------------------------------------------------------------------------------------

let toastTimer = null;
function toast(text) {
  const el = byId("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 5000);
}

function setConn(text, kind) {
  const el = byId("conn-status");
  el.textContent = text;
  el.className = `conn ${kind}`;
}

// ---- boot ------------------------------------------------------------------------------------------------

byId("logout-button").addEventListener("click", logout);
byId("presence-online").addEventListener("click", () => send("presence", { status: "online" }));
byId("presence-away").addEventListener("click", () => send("presence", { status: "away" }));
byId("tab-closed").addEventListener("click", () => showPane("closed"));
byId("tab-supervisor").addEventListener("click", () => showPane("supervisor"));
for (const [kind, info] of Object.entries(ESCALATION_KINDS)) {
  byId("history-reason").append(h("option", { value: kind }, info.label || kind));
}
byId("alerts-button").addEventListener("click", async () => {
  unlockAudio();
  await askNotificationPermission();
  renderAlertsButton();
});
byId("canned-manage").addEventListener("click", () => cannedAdmin.open(state.canned));
byId("mine-manage").addEventListener("click", () => myCanned.open());
document.addEventListener("visibilitychange", () => {
  const view = state.views.get(state.active);
  if (view && document.visibilityState === "visible") {
    view.unread = 0;
    renderTabs();
  }
});

api.me().then(
  (data) => start(data.agent),
  (err) => showLogin(err instanceof ApiError && err.status !== 401 ? err.message : ""),
);
