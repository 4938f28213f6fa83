// The console's HTTP calls: the staff pages' shared ones (../shared/api.js) plus the agents list and the
// conversations closed on a day.
import { api as shared, ApiError, request } from "../shared/api.js";

export { ApiError, request };

export const api = {
  ...shared,
  agents: () => request("GET", "/api/agents"),
  /** tzOffset: Date#getTimezoneOffset() minutes, so "the day" is the agent's local day, not the server's. */
  closed: (day, tzOffset = 0) =>
    request("GET", `/api/closed?day=${encodeURIComponent(day)}&tz_offset=${encodeURIComponent(tzOffset)}`),
  /** One conversation, closed or live, read-only: fields, notes and the whole transcript (history.js). */
  conversation: (id) => request("GET", `/api/conversations/${encodeURIComponent(id)}`),
  /** filters: {q, customer, conversation, agent, reason, rating, resolution, from, to, offset, limit, tz_offset}. */
  searchConversations: (filters) => request("GET", `/api/conversations?${new URLSearchParams(filters)}`),
  /** A signed-in customer's live and earlier conversations (story.js). */
  intentNames: () => request("GET", "/api/intent-names"),
  supervisor: () => request("GET", "/api/supervisor"),
  mine: () => request("GET", "/api/canned/mine"),
  createMine: (title, text) => request("POST", "/api/canned/mine", { title, text }),
  deleteMine: (id) => request("DELETE", `/api/canned/mine/${encodeURIComponent(id)}`),
  customerConversations: (customerId) => request("GET", `/api/customers/${encodeURIComponent(customerId)}/conversations`),
};
