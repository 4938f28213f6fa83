// HTTP calls of the staff pages (console, admin): request() with its errors, and the calls both pages make
// (sign-in, canned responses). Cookies carry the session (HttpOnly tandem_session), so nothing secret is
// ever held in JS. Page-only calls live beside the page (console/api.js).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function request(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "unavailable", "The server cannot be reached. Check your connection.");
  }
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = (data && (data.error || data)) || {};
    const code = typeof err.code === "string" ? err.code : `http_${response.status}`;
    const message = typeof err.message === "string" ? err.message : `Request failed (${response.status}).`;
    throw new ApiError(response.status, code, message);
  }
  return data;
}

export const api = {
  login: (username, password) => request("POST", "/api/login", { username, password }),
  logout: () => request("POST", "/api/logout"),
  me: () => request("GET", "/api/me"),
  canned: () => request("GET", "/api/canned"),
  createCanned: (title, text) => request("POST", "/api/canned", { title, text }),
  updateCanned: (id, title, text) => request("PUT", `/api/canned/${encodeURIComponent(id)}`, { title, text }),
  deleteCanned: (id) => request("DELETE", `/api/canned/${encodeURIComponent(id)}`),
};
