// The sign-in view of the staff pages (console, admin). Each page has the form's markup (#login-view,
// #login-form, #login-error, #login-username, #login-password, #login-submit; its heading is its own) and
// says what to hide before the form shows and what to do once signed in.
import { api, ApiError } from "./api.js";
import { byId } from "./dom.js";

export function signInErrorText(err) {
  if (!(err instanceof ApiError)) return "Sign-in failed. Please try again.";
  if (err.status === 401) return "Wrong username or password.";
  if (err.status === 429) return "Too many failed attempts. Wait a few minutes, then try again.";
  if (err.status === 0) return err.message;
  return `Sign-in failed: ${err.message}`;
}

export class SignIn {
  /**
   * title: the page's name for document.title ("Tandem console");
   * beforeShow(): hide the page's other views, drop its state; onGesture(): the submit click, a user
   * gesture (the console unlocks audio with it); onSignedIn(agent): the /api/login answer's agent.
   */
  constructor({ title, beforeShow, onSignedIn, onGesture = () => {} }) {
    this.title = title;
    this.beforeShow = beforeShow;
    this.onSignedIn = onSignedIn;
    this.onGesture = onGesture;
    byId("login-form").addEventListener("submit", (event) => this.submit(event));
  }

  /** The form, with `message` above it ("error" or "info"), the password cleared and the username focused. */
  show(message, kind = "error") {
    this.beforeShow();
    byId("login-view").hidden = false;
    const box = byId("login-error");
    box.hidden = !message;
    box.textContent = message || "";
    box.className = `login-error ${kind}`;
    byId("login-password").value = "";
    byId("login-username").focus();
    document.title = `${this.title} — sign in`;
  }

  expired() {
    this.show("Your session has expired. Please sign in again.");
  }

  hide() {
    byId("login-view").hidden = true;
  }

  async submit(event) {
    event.preventDefault();
    this.onGesture();
    const username = byId("login-username").value.trim();
    const password = byId("login-password").value;
    if (!username || !password) {
      this.show("Enter your username and password.");
      byId("login-username").value = username;
      return;
    }
    const submit = byId("login-submit");
    submit.disabled = true;
    try {
      const data = await api.login(username, password);
      byId("login-password").value = "";
      this.onSignedIn(data.agent);
    } catch (err) {
      this.show(signInErrorText(err));
      byId("login-username").value = username;
      byId("login-password").focus();
    } finally {
      submit.disabled = false;
    }
  }
}
