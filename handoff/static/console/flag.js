// "The bot got this wrong": a button on each of the assistant's messages in a transcript. It sends the
// message's seq to POST /api/inbox/flag, which puts the customer's question before that answer into the
// admin's NLU inbox (handoff/admin/answer_feedback.py). One delegated listener per transcript, so the
// transcript may be redrawn as often as it likes.
import { request } from "../shared/api.js";
import { h } from "../shared/dom.js";

/** The flag button for one bot message (messageItem appends it; the listener below handles clicks). */
export function flagButton(msg) {
  if (typeof msg.seq !== "number") return null;
  return h("button", { type: "button", class: "flag-wrong ghost small", dataset: { flagSeq: String(msg.seq) },
    title: "Send the customer's question before this answer to the admin's NLU inbox" }, "Bot got this wrong");
}

/** "Send to the inbox" on a customer message: the admin labels it there (POST /api/inbox/correction). */
export function teachButton(msg) {
  if (typeof msg.seq !== "number") return null;
  return h("button", { type: "button", class: "teach ghost small", dataset: { teachSeq: String(msg.seq) },
    title: "Send this message to the admin's NLU inbox, to teach the bot what it means" }, "Send to inbox");
}

/** Handle the flag buttons inside `list`; `conversationId()` names the conversation shown there. */
export function installFlagging(list, conversationId, toast) {
  list.addEventListener("click", async (ev) => {
    const teach = ev.target.closest("button[data-teach-seq]");
    if (teach && !teach.disabled) {
      teach.disabled = true;
      try {
        await request("POST", "/api/inbox/correction", { conversation_id: conversationId(), seq: Number(teach.dataset.teachSeq) });
        teach.textContent = "In the inbox";
      } catch (err) {
        teach.disabled = false;
        toast(`Could not send it to the inbox: ${err.message}`);
      }
      return;
    }
    const button = ev.target.closest("button[data-flag-seq]");
    if (!button || button.disabled) return;
    button.disabled = true;
    try {
      await request("POST", "/api/inbox/flag", { conversation_id: conversationId(), seq: Number(button.dataset.flagSeq) });
      button.textContent = "Flagged for review";
      button.dataset.flagged = "true";
    } catch (err) {
      button.disabled = false;
      toast(`Could not flag the answer: ${err.message}`);
    }
  });
}
