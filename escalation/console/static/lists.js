// The sidebar lists: the queue, my chats, and (supervisors) every active chat.
import { $, el, duration, riskBadge, topic, URGENT, LANGUAGE_LABEL } from "./util.js";

function tags(item, taxonomy) {
  const label = taxonomy?.[item.category]?.label || item.category;
  return [
    label && el("span", { class: "tag", text: topic(label, item.subcategory) }),
    item.language && el("span", { class: "tag", title: LANGUAGE_LABEL[item.language] || "", text: item.language.toUpperCase() }),
    item.ageBand && el("span", { class: "tag", text: `age ${item.ageBand}` }),
    item.channel && el("span", { class: "tag", text: item.channel }),
  ];
}

// A counter the clock updates every second: `base` seconds at `from` (performance.now()).
function ticker(base, from, prefix = "") {
  return el("span", { class: "wait", "data-base": base, "data-from": from, "data-prefix": prefix,
    text: prefix + duration(base) });
}

export function tick() {
  const now = performance.now();
  for (const node of document.querySelectorAll(".wait[data-base]")) {
    const seconds = Number(node.dataset.base) + (now - Number(node.dataset.from)) / 1000;
    node.textContent = node.dataset.prefix + duration(seconds);
  }
}

// Lists are rebuilt only when what they show changes (not the clocks): a button replaced under
// the pointer would swallow the counsellor's click.
function unchanged(list, items, state, extra = "") {
  const signature = JSON.stringify([state.current?.id, state.me?.role, extra,
    items.map(({ fetchedAt, waiting, seconds, since, messages, notes, ...rest }) => rest)]);
  const clocks = new Map(items.map((item) => [item.id, clockOf(item)]));
  if (list.dataset.signature === signature) {
    for (const node of list.querySelectorAll("li[data-id]")) {
      const [base, from] = clocks.get(node.dataset.id) || [];
      const wait = node.querySelector(".wait");
      if (wait && base !== undefined) Object.assign(wait.dataset, { base, from });
    }
    return true;
  }
  list.dataset.signature = signature;
  return false;
}

function clockOf(item) {
  if (item.waiting !== undefined && item.seconds === undefined) return [item.waiting, item.fetchedAt];
  return since(item);
}

export function renderQueue(state, { onClaim, onOpen }) {
  const list = $("queue-list");
  $("queue-empty").hidden = state.queue.length > 0;
  $("queue-count").textContent = String(state.queue.length);
  if (unchanged(list, state.queue, state)) return;
  list.replaceChildren(...state.queue.map((item) => {
    const urgent = URGENT.has(item.risk);
    return el("li", { class: `item risk-${item.risk}${state.current?.id === item.id ? " current" : ""}`,
      "data-id": item.id, "data-risk": item.risk },
      el("div", { class: "line" }, riskBadge(item.risk), tags(item, state.taxonomy),
        ticker(item.waiting, item.fetchedAt, "waiting ")),
      item.firstWords && el("p", { class: "first-words", text: `“${item.firstWords}”` }),
      el("div", { class: "buttons" },
        el("button", { type: "button", class: urgent ? "primary big claim" : "primary claim",
          text: urgent ? "Claim now" : "Claim", onclick: () => onClaim(item.id) }),
        state.me?.role === "supervisor" &&
          el("button", { type: "button", text: "Look", onclick: () => onOpen(item.id, { monitor: true }) })));
  }));
}

function since(item) {
  if (item.seconds !== null && item.seconds !== undefined) return [Number(item.seconds), item.fetchedAt];
  if (item.since) return [(Date.now() - item.since) / 1000, performance.now()];
  return [0, performance.now()];
}

export function renderMine(state, { onOpen }) {
  const list = $("mine-list");
  $("mine-empty").hidden = state.mine.length > 0;
  $("mine-count").textContent = String(state.mine.length);
  if (unchanged(list, state.mine, state, [...state.unread].sort().join())) return;
  list.replaceChildren(...state.mine.map((item) => {
    const [base, from] = since(item);
    const unread = state.unread.has(item.id);
    return el("li", { class: `item risk-${item.risk}${state.current?.id === item.id ? " current" : ""}`, "data-id": item.id },
      el("div", { class: "line" }, riskBadge(item.risk), tags(item, state.taxonomy), ticker(base, from, "with you ")),
      unread && el("p", { class: "unread", text: "● New message" }),
      el("div", { class: "buttons" },
        el("button", { type: "button", class: "open", text: "Open", onclick: () => onOpen(item.id) })));
  }));
}

export function renderAll(state, { onOpen, onReassign }) {
  const list = $("all-list");
  $("all-empty").hidden = state.all.length > 0;
  $("all-count").textContent = String(state.all.length);
  if (unchanged(list, state.all, state)) return;
  list.replaceChildren(...state.all.map((item) => {
    const [base, from] = since(item);
    const holder = item.status === "waiting" ? "waiting in the queue" : item.assignedTo ? `with ${item.assignedTo}` : item.status;
    return el("li", { class: `item risk-${item.risk}`, "data-id": item.id },
      el("div", { class: "line" }, riskBadge(item.risk), el("strong", { text: holder }), ticker(base, from)),
      el("div", { class: "line" }, tags(item, state.taxonomy)),
      el("div", { class: "buttons" },
        el("button", { type: "button", text: "Monitor", onclick: () => onOpen(item.id, { monitor: true }) }),
        item.status !== "waiting" && el("button", { type: "button", text: "Reassign", onclick: () => onReassign(item.id) })));
  }));
}
