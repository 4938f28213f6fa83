// The admin page: sign-in (admins only), tabs, and the shared pieces (toast, canned responses).
// The server enforces the role on every /api/admin call; the page only saves an agent the round trip.
// Every piece of data is rendered with textContent (dom.js): customer messages may carry markup.
import { api, ApiError } from "../shared/api.js";
import { CannedAdmin } from "../shared/canned.js";
import { byId } from "../shared/dom.js";
import { SignIn } from "../shared/signin.js";
import { EscalationView } from "./escalation.js";
import { ExamplesForm } from "./examples.js";
import { InboxView } from "./inbox.js";
import { TrainingView } from "./training.js";
import { IntentNamesDialog } from "./intent_names.js";

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
      signIn.expired();
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

// The form and its errors are the staff pages' shared view (../shared/signin.js).
const signIn = new SignIn({
  title: "Tandem admin",
  beforeShow: () => {
    stopAll();
    byId("admin-view").hidden = true;
    byId("refused-view").hidden = true;
  },
  onSignedIn: (agent) => start(agent),
});

function showLogin(message, kind = "error") {
  signIn.show(message, kind);
}

function showRefused(user) {
  stopAll();
  byId("admin-view").hidden = true;
  signIn.hide();
  byId("refused-view").hidden = false;
  if (user) byId("refused-name").textContent = user.display_name || user.username;
  document.title = "Tandem admin — admins only";
}

function start(user) {
  if (user.role !== "admin") return showRefused(user);
  signIn.hide();
  byId("refused-view").hidden = true;
  byId("admin-view").hidden = false;
  byId("me-name").textContent = user.display_name || user.username;
  document.title = "Tandem admin";
  views.inbox ??= new InboxView({ guarded, toast });
  views.examples ??= new ExamplesForm({ guarded, toast });
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
  onExpired: () => signIn.expired(),
});

byId("logout-button").addEventListener("click", logout);
byId("refused-logout").addEventListener("click", logout);
for (const tab of ["inbox", "training", "escalation"]) {
  byId(`tab-${tab}`).addEventListener("click", () => selectTab(tab));
}
byId("canned-manage").addEventListener("click", () =>
  guarded(async () => cannedAdmin.open((await api.canned()).canned || [])));
const intentNames = new IntentNamesDialog({ guarded, toast }); // issue #24: readable intents in the console
byId("intent-names-manage").addEventListener("click", () => intentNames.open());

api.me().then(
  (data) => start(data.agent),
  (err) => showLogin(err instanceof ApiError && err.status === 401 ? "" : err.message),
);
