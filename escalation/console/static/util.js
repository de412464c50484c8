// Small DOM helpers. Text from the API is only ever set as textContent, never as HTML.
export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && key !== "list") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function duration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function clock(ms) {
  if (!ms) return "";
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export const RISK_LABEL = { none: "no risk", low: "low", medium: "medium", high: "HIGH", imminent: "IMMINENT" };
export const URGENT = new Set(["high", "imminent"]);
export const LANGUAGE_LABEL = { az: "Azərbaycanca", ru: "Русский", en: "English", other: "other" };

export function topic(label, subcategory) {
  return subcategory ? `${label} · ${subcategory.replaceAll("_", " ")}` : label;
}

export function riskBadge(level) {
  return el("span", { class: `badge risk-${level}`, text: RISK_LABEL[level] || level || "?" });
}

let toastTimer = null;
export function toast(message, bad = false) {
  const node = $("toast");
  node.textContent = message;
  node.classList.toggle("bad", bad);
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), bad ? 7000 : 4000);
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function setOptions(select, options, selected) {
  select.replaceChildren(...options.map(([value, label]) => el("option", { value, text: label })));
  if (selected !== undefined) select.value = selected;
}
