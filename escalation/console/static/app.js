// The console's controller: sign-in, live updates (SSE → refetch), alerts, idle sign-out.
import { api, csrf, firstList, normaliseConversation, normaliseMe, normaliseQueueItem } from "./api.js";
import { renderChat } from "./chat.js";
import { setupDialogs } from "./dialogs.js";
import { renderAll, renderMine, renderQueue, tick } from "./lists.js";
import { IdleTimer, openEventStream } from "./live.js";
import { updateAlerts } from "./alerts.js";
import { beep, setupSoundToggle } from "./sound.js";
import { $, debounce, toast, URGENT } from "./util.js";

const config = JSON.parse(document.body.dataset.config || "{}");
const state = {
  config, taxonomy: config.taxonomy, me: null, queue: [], mine: [], all: [],
  current: null, monitor: false, alerts: new Set(), seenUrgent: new Set(), unread: new Set(),
};
const SUPERVISORS = new Set(["supervisor"]);
const isSupervisor = () => SUPERVISORS.has(state.me?.role);
let events = null;
let timers = [];
const idle = new IdleTimer(config.idle_minutes || 30, (message) => showLogin(message));

// -- views ---------------------------------------------------------------------------------------

function showLogin(message) {
  stopLive();
  Object.assign(state, { me: null, queue: [], mine: [], all: [], current: null, monitor: false });
  state.alerts.clear();
  state.seenUrgent.clear();
  state.unread.clear();
  csrf.set(null);
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  $("transcript").replaceChildren();
  $("reply-text").value = "";
  $("app-view").hidden = true;
  $("login-view").hidden = false;
  $("login-message").textContent = message || "";
  $("login-message").hidden = !message;
  $("login-password").value = "";
  $("login-otp").value = "";
  $("login-username").focus();
  document.title = "116111 · Counsellor console";
}

async function showApp(me) {
  if (!["counsellor", "supervisor"].includes(me.role)) {
    // Editors and admins have their own pages; chats are for counsellors and supervisors.
    await api("POST", "/api/auth/logout").catch(() => {});
    showLogin(`The ${me.role} role has no access to chats. Use a counsellor or supervisor account.`);
    return;
  }
  state.me = me;
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("me").textContent = `${me.username} · ${me.role}`;
  $("shift-toggle").checked = me.onShift;
  $("tab-all").hidden = !isSupervisor();
  idle.reset();
  if (!state.taxonomy) {
    try { state.taxonomy = normaliseTaxonomy(await api("GET", "/api/taxonomy")); } catch { state.taxonomy = {}; }
  }
  startLive();
  await refreshAll();
}

function normaliseTaxonomy(data) {
  const categories = data?.categories || data || {};
  const out = {};
  for (const [id, c] of Object.entries(categories)) {
    const label = typeof c.label === "object" ? c.label : { en: c.label };
    out[id] = { label: label?.en || id, label_az: label?.az || "", subcategories: (c.subcategories || []).map((s) => s.id || s) };
  }
  return out;
}

function selectTab(panelId) {
  for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
    const on = tab.dataset.panel === panelId;
    tab.setAttribute("aria-selected", String(on));
    $(tab.dataset.panel).hidden = !on;
  }
}

const handlers = {
  onClaim: claim,
  onOpen: openConversation,
  onReassign: (id) => dialogs.reassign(id),
  onFeedback: (message) => dialogs.feedback(message),
};

function renderLists() {
  renderQueue(state, handlers);
  renderMine(state, handlers);
  if (isSupervisor()) renderAll(state, handlers);
  updateAlerts(state);
}

// -- data ----------------------------------------------------------------------------------------

async function refreshQueue() {
  if (!state.me) return;
  const data = await api("GET", "/api/queue");
  state.queue = firstList(data, "items").map(normaliseQueueItem);
  renderLists();
}

async function refreshConversations() {
  if (!state.me) return;
  const data = await api("GET", "/api/conversations");
  const items = firstList(data, "items", "conversations").map(normaliseConversation);
  const open = items.filter((c) => c.status !== "closed");
  state.mine = open.filter((c) => c.status === "counsellor" && (c.assignedId === state.me.id || c.assignedTo === state.me.username));
  state.all = isSupervisor() ? open : [];
  renderLists();
}

async function refreshCurrent() {
  if (!state.me || !state.current) return;
  const id = state.current.id;
  try {
    const conversation = normaliseConversation(await api("GET", `/api/conversations/${encodeURIComponent(id)}`));
    if (state.current?.id === id) state.current = conversation;
  } catch (failure) {
    if (failure.status === 403 || failure.status === 404) {
      toast("This chat is no longer yours to see.", true);
      state.current = null;
    } else throw failure;
  }
  renderChat(state, handlers);
  renderLists();
}

async function refreshAll() {
  await Promise.allSettled([refreshQueue(), refreshConversations(), refreshCurrent()]);
}

const refreshQueueSoon = debounce(() => refreshQueue().catch(() => {}), 120);
const refreshConversationsSoon = debounce(() => refreshConversations().catch(() => {}), 200);
const refreshCurrentSoon = debounce(() => refreshCurrent().catch(() => {}), 80);

// -- actions -------------------------------------------------------------------------------------

async function openConversation(id, { monitor = false } = {}) {
  state.monitor = monitor;
  state.unread.delete(id);
  state.current = { id, messages: [], notes: [] };
  await refreshCurrent();
  if (!monitor && !$("reply-form").hidden) $("reply-text").focus();
}

async function claim(id) {
  try {
    await api("POST", `/api/conversations/${encodeURIComponent(id)}/claim`);
  } catch (failure) {
    if (failure.status === 409) {
      toast("Someone else took this chat a moment ago.", true);
      await refreshQueue();
      return;
    }
    toast(`Could not claim: ${failure.message}`, true);
    return;
  }
  state.queue = state.queue.filter((item) => item.id !== id);
  selectTab("mine-panel");
  await openConversation(id);
  refreshConversationsSoon();
  refreshQueueSoon();
}

async function sendReply(event) {
  event.preventDefault();
  const box = $("reply-text");
  const text = box.value.trim();
  if (!text || !state.current) return;
  $("reply-send").disabled = true;
  try {
    await api("POST", `/api/conversations/${encodeURIComponent(state.current.id)}/messages`, { text });
    box.value = "";
    await refreshCurrent();
  } catch (failure) {
    toast(`Not sent: ${failure.message}`, true);
  } finally {
    $("reply-send").disabled = false;
    box.focus();
  }
}

async function addNote(event) {
  event.preventDefault();
  const input = $("note-text");
  const text = input.value.trim();
  if (!text || !state.current) return;
  try {
    await api("POST", `/api/conversations/${encodeURIComponent(state.current.id)}/notes`, { text });
    input.value = "";
    await refreshCurrent();
  } catch (failure) {
    toast(`Note not saved: ${failure.message}`, true);
  }
}

function afterChange(kind, id) {
  if (state.current?.id === id && (kind === "closed" || kind === "transferred")) {
    state.current = null;
    renderChat(state, handlers);
  }
  refreshAll();
}

// -- live updates --------------------------------------------------------------------------------

function startLive() {
  stopLive();
  connectEvents();
  timers.push(setInterval(() => { tick(); updateAlerts(state); }, 1000));
  // Safety net if the stream silently stalls; the stream itself is the fast path.
  timers.push(setInterval(() => refreshAll(), 20000));
  timers.push(setInterval(() => {
    if (state.queue.some((item) => URGENT.has(item.risk))) beep(2);
  }, 30000));
  timers.push(setInterval(() => state.me && idle.check(), 5000));
}

function stopLive() {
  if (events) events.close();
  events = null;
  timers.forEach(clearInterval);
  timers = [];
}

function connectEvents() {
  events = openEventStream({ onEvent, onOpen: () => refreshAll() });
}

function onEvent(kind, id) {
  if (kind === "hello") return; // subscribed: onopen already refetched
  if (kind === "signed_out") {
    showLogin("Your session ended. Please sign in again.");
  } else if (kind === "alert") {
    if (!id) return; // an operations alert (a failed update), not a chat to claim
    state.alerts.add(id);
    if (isSupervisor()) beep(3);
    refreshQueueSoon();
  } else if (kind === "messages") {
    if (state.current?.id === id) refreshCurrentSoon();
    else if (state.mine.some((c) => c.id === id)) {
      // One of my other chats moved: mark it, with a soft sound, until I open it.
      state.unread.add(id);
      beep(1);
    }
    refreshConversationsSoon();
  } else {
    refreshQueueSoon();
    refreshConversationsSoon();
    if (state.current?.id === id) refreshCurrentSoon();
  }
}

// -- wiring --------------------------------------------------------------------------------------

async function login(event) {
  event.preventDefault();
  const error = $("login-error");
  error.hidden = true;
  $("login-submit").disabled = true;
  try {
    const body = { username: $("login-username").value.trim(), password: $("login-password").value };
    const otp = $("login-otp").value.trim();
    if (otp) body.otp = otp;
    const data = await api("POST", "/api/auth/login", body);
    csrf.set(data.csrf_token);
    const me = normaliseMe(await api("GET", "/api/me"));
    $("login-password").value = "";
    await showApp(me);
  } catch (failure) {
    error.textContent = failure.status === 429
      ? "Too many attempts. Wait a few minutes, or ask a supervisor."
      : failure.status === 401 ? "Wrong username, password or one-time code." : failure.message;
    error.hidden = false;
  } finally {
    $("login-submit").disabled = false;
  }
}

let dialogs = null;

async function boot() {
  dialogs = setupDialogs(state, afterChange);
  setupSoundToggle($("sound-toggle"));
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", async () => {
    await api("POST", "/api/auth/logout").catch(() => {});
    showLogin("You are signed out.");
  });
  $("shift-toggle").addEventListener("change", async (event) => {
    const onShift = event.target.checked;
    try {
      await api("POST", "/api/shift", { on_shift: onShift });
      toast(onShift ? "You are on shift: children see that a counsellor is here." : "You are off shift.");
    } catch (failure) {
      event.target.checked = !onShift;
      toast(`Could not change your shift: ${failure.message}`, true);
    }
  });
  for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.panel));
  }
  $("risk-banner-open").addEventListener("click", () => {
    selectTab("queue-panel");
    document.querySelector("#queue-list .claim")?.focus();
  });
  $("supervisor-banner-open").addEventListener("click", () => {
    selectTab("queue-panel");
    const first = state.queue.find((item) => URGENT.has(item.risk));
    if (first) openConversation(first.id, { monitor: true });
  });
  $("chat-claim").addEventListener("click", () => state.current && claim(state.current.id));
  $("chat-transfer").addEventListener("click", () => dialogs.transfer());
  $("chat-close").addEventListener("click", () => dialogs.close());
  $("chat-reassign").addEventListener("click", () => state.current && dialogs.reassign(state.current.id));
  $("reply-form").addEventListener("submit", sendReply);
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("reply-form").requestSubmit();
  });
  $("note-form").addEventListener("submit", addNote);
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || !state.me) return;
    const panel = { 1: "queue-panel", 2: "mine-panel", 3: isSupervisor() ? "all-panel" : null }[event.key];
    if (panel) { event.preventDefault(); selectTab(panel); }
  });
  window.addEventListener("helpline:signed-out", () => {
    if (state.me) showLogin("Your session ended. Please sign in again.");
  });

  // The server saw no session cookie: nothing to ask, sign in.
  if (document.body.dataset.firstView === "login") {
    showLogin("");
    return;
  }
  try {
    const me = normaliseMe(await api("GET", "/api/me"));
    if (me.csrf) csrf.set(me.csrf);
    if (!csrf.get()) {
      // A new tab has no CSRF token: signing in again gives it one.
      showLogin("Please sign in in this tab.");
      return;
    }
    await showApp(me);
  } catch {
    showLogin("");
  }
}

boot();
