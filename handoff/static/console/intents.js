// Readable intent names for agents, and the confidence below which an intent is not shown at all
// (GET /api/intent-names: data/intent_names.yml with admins' renames; min_confidence is the desk's
// INBOX_THRESHOLD, below which the parse counts as unsure and goes to the admins' NLU inbox).
import { api } from "./api.js";

let names = {};
let minConfidence = 0.6;

export async function loadIntentNames() {
  try {
    const data = await api.intentNames();
    names = data.names || {};
    if (typeof data.min_confidence === "number") minConfidence = data.min_confidence;
  } catch {
    // Without the list, identifiers are made readable below; the threshold keeps its default.
  }
}

/** "Card payment fee charged" for card_payment_fee_charged, or null when the parse is not trusted. */
export function intentLabel(intent, confidence) {
  if (!intent || typeof confidence !== "number" || confidence < minConfidence) return null;
  const known = names[intent];
  if (known) return known;
  const words = String(intent).replace(/_/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function trustedAbove() {
  return minConfidence;
}
