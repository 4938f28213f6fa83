// The admin page: sign-in (admins only), tabs, and the shared pieces (toast, canned responses).
// The server enforces the role on every /api/admin call; the page only saves an agent the round trip.
// Every piece of data is rendered with textContent (dom.js): customer messages may carry markup.
import { api, ApiError } from "/static/console/api.js";
import { CannedAdmin } from "/static/console/canned.js";
import { byId } from "/static/console/dom.js";
import { EscalationView } from "./escalation.js";
import { InboxView } from "./inbox.js";
import { TrainingView } from "./training.js";

let toastTimer = null;

export function toast(text) {
  const el = byId("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

/** Run an API call; 401 → sign-in page, anything else → the caller's onError (or a toast). */
export async function guarded(call, onError = (err) => toast(err.message)) {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      showLogin("Your session has expired. Please sign in again.");
      return undefined;
    }
    if (err instanceof ApiError && err.status === 403) {
      showRefused(null);
      return undefined;
    }
    onError(err instanceof ApiError ? err : new ApiError(0, "internal", "Something went wrong."));
    return undefined;
  }
}

const views = {};

function stopAll() {
  for (const view of Object.values(views)) view.stop?.();
}

function showLogin(message, kind = "error") {
  stopAll();
  byId("admin-view").hidden = true;
  byId("refused-view").hidden = true;
  byId("login-view").hidden = false;
  const box = byId("login-error");
  box.hidden = !message;
  box.textContent = message || "";
  box.className = `login-error ${kind}`;
  byId("login-password").value = "";
  byId("login-username").focus();
  document.title = "Tandem admin — sign in";
}

function showRefused(user) {
  stopAll();
  byId("admin-view").hidden = true;
  byId("login-view").hidden = true;
  byId("refused-view").hidden = false;
  if (user) byId("refused-name").textContent = user.display_name || user.username;
  document.title = "Tandem admin — admins only";
}

function start(user) {
  if (user.role !== "admin") return showRefused(user);
  byId("login-view").hidden = true;
  byId("refused-view").hidden = true;
  byId("admin-view").hidden = false;
  byId("me-name").textContent = user.display_name || user.username;
  document.title = "Tandem admin";
  views.inbox ??= new InboxView({ guarded, toast });
  views.training ??= new TrainingView({ guarded, toast });
  views.escalation ??= new EscalationView({ guarded, toast });
  selectTab(location.hash === "#training" ? "training" : location.hash === "#escalation" ? "escalation" : "inbox");
  views.training.start();
}

function selectTab(name) {
  for (const tab of ["inbox", "training", "escalation"]) {
    const on = tab === name;
    byId(`tab-${tab}`).setAttribute("aria-selected", String(on));
    byId(`pane-${tab}`).hidden = !on;
  }
  history.replaceState(null, "", name === "inbox" ? location.pathname : `#${name}`);
  views[name]?.show();
}

async function onLoginSubmit(event) {
  event.preventDefault();
  const username = byId("login-username").value.trim();
  const password = byId("login-password").value;
  if (!username || !password) return showLogin("Enter your username and password.");
  const submit = byId("login-submit");
  submit.disabled = true;
  try {
    const data = await api.login(username, password);
    byId("login-password").value = "";
    start(data.agent);
  } catch (err) {
    const text = err instanceof ApiError && err.status === 401 ? "Wrong username or password."
      : err instanceof ApiError && err.status === 429 ? "Too many failed attempts. Wait a few minutes, then try again."
        : `Sign-in failed: ${err.message}`;
    showLogin(text);
    byId("login-username").value = username;
  } finally {
    submit.disabled = false;
  }
}

async function logout() {
  try {
    await api.logout();
  } catch {
    // Already gone: signing out locally is what was asked for.
  }
  showLogin("You have signed out.", "info");
}

const cannedAdmin = new CannedAdmin({
  onChange: () => toast("Canned responses saved. Agents see them the next time they open a chat."),
  onExpired: () => showLogin("Your session has expired. Please sign in again."),
});

byId("login-form").addEventListener("submit", onLoginSubmit);
byId("logout-button").addEventListener("click", logout);
byId("refused-logout").addEventListener("click", logout);
for (const tab of ["inbox", "training", "escalation"]) {
  byId(`tab-${tab}`).addEventListener("click", () => selectTab(tab));
}
byId("canned-manage").addEventListener("click", () =>
  guarded(async () => cannedAdmin.open((await api.canned()).canned || [])));

api.me().then(
  (data) => start(data.agent),
  (err) => showLogin(err instanceof ApiError && err.status === 401 ? "" : err.message),
);
