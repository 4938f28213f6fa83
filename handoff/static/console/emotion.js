// Emotion badges and the negativity trend line. Pure view helpers: data in, DOM nodes out.
// One story (issue #24): a customer message's chip, the header, the trend and the queue all show the
// escalation policy's reading of the message (`reading`, handoff/assistant/reading.py) — the number the
// policy compared with its thresholds — and explain on hover what it was made of.
import { h, svg } from "../shared/dom.js";

const LABELS = ["anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"];

const WORDS = {
  anger: "angry",
  disgust: "disgusted",
  fear: "worried",
  joy: "happy",
  sadness: "sad",
  surprise: "surprised",
  neutral: "neutral",
  calm: "calm",
  upset: "upset",
};

/**
 * The dominant emotion of a message or queue item: {label, score, negativity}.
 * Accepts {emotions: {anger: p, ...}, negativity} (messages) or {emotion: {label, negativity}} (queue items).
 */
export function emotionOf(source) {
  if (!source) return null;
  if (source.reading && typeof source.reading.negativity === "number") {
    const r = source.reading;
    return { label: r.label, score: null, negativity: r.negativity, reading: r };
  }
  if (source.emotion && source.emotion.label) {
    return { label: source.emotion.label, score: null, negativity: numberOr(source.emotion.negativity, null) };
  }
  const emotions = source.emotions;
  if (!emotions || typeof emotions !== "object") return null;
  let best = null;
  for (const label of LABELS) {
    const p = Number(emotions[label]);
    if (Number.isFinite(p) && (best === null || p > best.score)) best = { label, score: p };
  }
  if (!best) return null;
  return { ...best, negativity: numberOr(source.negativity, null) };
}

function numberOr(value, fallback) {
  const n = Number(value);
  return value === null || value === undefined || !Number.isFinite(n) ? fallback : n;
}

/** What a reading was made of, for the chip's hover: the policy's figure and its parts. */
export function explainReading(r, where = "this message") {
  const parts = [`Negativity the escalation policy read in ${where}: ${r.negativity.toFixed(2)} (it hands over at a spike of 0.85, or when the running average passes 0.50).`,
    `Made of: the wording ${r.words.toFixed(2)}`];
  if (r.model !== null && r.model !== undefined) parts[1] += `; the emotion classifier ${r.model.toFixed(2)} (weighted; it was ${Math.round(r.emotion_p * 100)}% sure of ${WORDS[r.emotion] || r.emotion})`;
  parts[1] += r.softened ? "; softened by thanks or a joke." : ".";
  return parts.join("\n");
}

/** A small coloured chip: "angry 0.90" (the policy's reading), or the classifier's "angry 82%" for a message
 * read before readings existed. Unknown labels render neutral-coloured but still readable. */
export function emotionBadge(emotion, { compact = false, where } = {}) {
  if (!emotion) return null;
  const key = { calm: "neutral", upset: "anger" }[emotion.label] || emotion.label;
  const known = LABELS.includes(key) ? key : "neutral";
  const word = WORDS[emotion.label] || String(emotion.label);
  const parts = [word];
  const hasNeg = emotion.negativity !== null && emotion.negativity !== undefined;
  if (!compact && emotion.reading) parts.push(emotion.reading.negativity.toFixed(2));
  else if (!compact && hasNeg) parts.push(emotion.negativity.toFixed(2));
  else if (!compact && emotion.score !== null && emotion.score !== undefined) parts.push(`${Math.round(emotion.score * 100)}%`);
  const title = emotion.reading ? explainReading(emotion.reading, where)
    : hasNeg ? `${word} — negativity ${emotion.negativity.toFixed(2)} (${where || "the latest message"})` : word;
  return h("span", { class: `emo emo-${known}`, title, "data-emotion": known }, parts.join(" "));
}

/** Negativity 0..1 → a colour band used by the trend dots and the tab dot. */
export function negativityClass(n) {
  if (n === null || n === undefined) return "neg-none";
  if (n >= 0.7) return "neg-high";
  if (n >= 0.4) return "neg-mid";
  return "neg-low";
}

/**
 * Inline SVG line of negativity over the customer's messages, oldest left. Points: [{negativity, label}].
 * A dashed line marks 0.7, roughly where the escalation policy starts to care.
 */
export function trendLine(points, { width = 260, height = 64 } = {}) {
  const pad = 6;
  const left = 34; // room for the "upset"/"calm" labels
  const root = svg("svg", {
    class: "trend",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": describe(points),
  });
  const y = (n) => pad + (1 - n) * (height - 2 * pad);
  root.append(svg("line", { class: "trend-threshold", x1: left, x2: width, y1: y(0.7), y2: y(0.7) }));
  root.append(svg("text", { class: "trend-axis", x: 0, y: pad + 3 }, "upset"));
  root.append(svg("text", { class: "trend-axis", x: 0, y: height - pad + 3 }, "calm"));
  const usable = points.filter((p) => p.negativity !== null && p.negativity !== undefined);
  if (usable.length === 0) {
    root.append(svg("text", { x: left + 6, y: height / 2 + 4, class: "trend-empty" }, "no customer messages yet"));
    return root;
  }
  const step = usable.length > 1 ? (width - left - pad) / (usable.length - 1) : 0;
  const x = (i) => (usable.length > 1 ? left + i * step : (width + left) / 2);
  const coords = usable.map((p, i) => `${x(i).toFixed(1)},${y(p.negativity).toFixed(1)}`);
  if (usable.length > 1) root.append(svg("polyline", { class: "trend-line", points: coords.join(" ") }));
  usable.forEach((p, i) => {
    const dot = svg("circle", { class: `trend-dot ${negativityClass(p.negativity)}`, cx: x(i), cy: y(p.negativity), r: 3.5 });
    dot.append(svg("title", {}, `message ${i + 1}: ${WORDS[p.label] || p.label || "?"}, negativity ${p.negativity.toFixed(2)} as the escalation policy read it`));
    root.append(dot);
  });
  return root;
}

function describe(points) {
  const n = points.filter((p) => p.negativity !== null && p.negativity !== undefined);
  if (!n.length) return "Negativity trend: no data yet";
  const first = n[0].negativity.toFixed(2);
  const last = n[n.length - 1].negativity.toFixed(2);
  return `Negativity trend over ${n.length} customer messages, from ${first} to ${last}`;
}
