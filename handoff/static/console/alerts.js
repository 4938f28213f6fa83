// Attention for a new escalation: a short two-tone beep (WebAudio, no sound file) and a browser
// notification when the agent allowed them. Both are best-effort: a blocked audio context or a denied
// permission must never break the console.

let audio = null;

/** Call from a user gesture (sign-in click): browsers only let audio start after one. */
export function unlockAudio() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}

export function beep() {
  try {
    unlockAudio();
    if (!audio) return false;
    const start = audio.currentTime + 0.01;
    [[880, 0], [660, 0.16]].forEach(([freq, offset]) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.18, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.14);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.15);
    });
    return true;
  } catch {
    return false;
  }
}

export function notificationsSupported() {
  return "Notification" in window;
}

export function notificationPermission() {
  return notificationsSupported() ? Notification.permission : "unsupported";
}

export async function askNotificationPermission() {
  if (!notificationsSupported() || Notification.permission !== "default") return notificationPermission();
  try {
    return await Notification.requestPermission();
  } catch {
    return notificationPermission();
  }
}

/** Agents often work in another window (CRM, core banking), so notify whenever permitted. */
export function notify(title, body, onClick) {
  if (notificationPermission() !== "granted") return null;
  try {
    const n = new Notification(title, { body, tag: "tandem-escalation", renotify: true });
    n.addEventListener("click", () => {
      window.focus();
      if (onClick) onClick();
      n.close();
    });
    return n;
  } catch {
    return null;
  }
}
