// The dashboard's agent-assist card (docs/assist.md): what agents did with the drafts, live from
// GET /api/assist/counts (tandem:assist:counts), refreshed every 30 s. Text only via textContent.
const ROWS = [["shown", "Drafts shown"], ["used", "Inserted into a reply"], ["edited", "Sent after editing"],
  ["unchanged", "Sent unchanged"], ["proposed", "Proposed to the bot"], ["accepted", "Accepted by admins"]];

async function refresh() {
  const card = document.getElementById("assist-counts-card");
  let data;
  try {
    const resp = await fetch("/api/assist/counts", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!resp.ok) return; // not signed in: the dashboard itself says so
    data = await resp.json();
  } catch {
    return;
  }
  const body = card.querySelector("tbody");
  body.replaceChildren(...ROWS.map(([key, label]) => {
    const tr = document.createElement("tr");
    tr.dataset.counter = key;
    const name = document.createElement("td");
    name.textContent = label;
    const value = document.createElement("td");
    value.className = "num";
    value.textContent = String((data.counts || {})[key] ?? 0);
    tr.append(name, value);
    return tr;
  }));
  card.hidden = false;
}

refresh();
setInterval(refresh, 30_000);
