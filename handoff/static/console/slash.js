// "/" in the reply box: a list of canned replies (the team's and the agent's own) filtered by what follows
// the slash, picked with the arrow keys and Enter (or a click). Text goes in through textContent only.
import { clear, h } from "../shared/dom.js";

const SHOWN = 8;

/** Matches of `query` (words after "/") in titles first, then in texts. */
export function slashMatches(items, query) {
  const q = query.trim().toLowerCase();
  const inTitle = items.filter((c) => c.title.toLowerCase().includes(q));
  const inText = items.filter((c) => !inTitle.includes(c) && c.text.toLowerCase().includes(q));
  return [...inTitle, ...inText].slice(0, SHOWN);
}

/**
 * Attach the "/" search to `textarea`. items() → [{id, title, text, mine?}]; pick(item) inserts it.
 * Keys are taken in the capture phase, so Enter picks instead of sending while the list is open.
 */
export function attachSlash(textarea, { items, pick }) {
  const list = h("ul", { class: "slash-list", role: "listbox", "aria-label": "Canned replies", hidden: true });
  textarea.insertAdjacentElement("afterend", list);
  let shown = [];
  let active = 0;

  const close = () => {
    list.hidden = true;
    shown = [];
  };
  const choose = (item) => {
    close();
    textarea.value = "";
    pick(item);
  };
  const render = () => {
    clear(list);
    shown.forEach((c, i) => list.append(h("li", {
      role: "option", class: `slash-item${i === active ? " active" : ""}`, "aria-selected": String(i === active),
      onmousedown: (e) => {
        e.preventDefault();
        choose(c);
      },
    }, h("strong", {}, c.title), c.mine ? h("span", { class: "slash-mine" }, " · mine") : null,
    h("span", { class: "muted" }, ` — ${c.text.slice(0, 80)}`))));
    if (!shown.length) list.append(h("li", { class: "muted" }, "No canned reply matches."));
    list.hidden = false;
  };

  textarea.addEventListener("input", () => {
    const value = textarea.value;
    if (!value.startsWith("/") || value.includes("\n")) return close();
    shown = slashMatches(items(), value.slice(1));
    active = 0;
    render();
  });
  textarea.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      active = (active + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % Math.max(1, shown.length);
      render();
    } else if (e.key === "Enter" && !e.shiftKey) {
      if (shown[active]) choose(shown[active]);
    } else if (e.key === "Escape") {
      close();
    } else {
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
  }, true);
  textarea.addEventListener("blur", close);
  return { close };
}
