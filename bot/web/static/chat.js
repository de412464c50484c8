// The web chat client: no framework, works on old phones. Messages are posted with a client id
// (so a double tap or a retry is de-duplicated by the server) and replies arrive over SSE.
(function () {
  "use strict";
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  const input = document.getElementById("text");
  const seen = new Set();
  let lastId = 0;
  // Azerbaijani first: most children here write it, whatever their phone's language setting.
  let lang = localStorage.getItem("helpline.lang") || "az";
  if (!TEXTS[lang]) lang = "az";

  function setLang(next) {
    if (!TEXTS[next]) return;
    lang = next;
    localStorage.setItem("helpline.lang", lang);
    applyTexts();
  }

  function applyTexts() {
    const t = TEXTS[lang];
    document.documentElement.lang = lang;
    document.getElementById("title").textContent = t.title;
    document.getElementById("subtitle").textContent = t.subtitle;
    document.getElementById("quick-exit").textContent = t.quick_exit;
    document.getElementById("quick-exit").title = t.quick_exit_hint;
    document.getElementById("human").textContent = t.talk_to_person;
    document.getElementById("send").textContent = t.send;
    input.placeholder = t.placeholder;
    document.querySelectorAll("[data-lang]").forEach((b) => b.classList.toggle("active", b.dataset.lang === lang));
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function show(msg) {
    if (msg.message_id) {
      if (seen.has(msg.message_id)) return;
      seen.add(msg.message_id);
      lastId = Math.max(lastId, msg.message_id);
    }
    const div = document.createElement("div");
    div.className = "msg " + (msg.sender || "bot");
    div.textContent = msg.text || "";
    log.appendChild(div);
    if (msg.buttons && msg.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      msg.buttons.forEach((b) => {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.label;
        btn.addEventListener("click", () => {
          row.remove();
          // The bot's own language question: the page follows the child's choice.
          const chosen = /language:(az|ru|en)$/.exec(b.data);
          if (chosen) setLang(chosen[1]);
          send({ button: b.data }, b.label);
        });
        row.appendChild(btn);
      });
      log.appendChild(row);
    }
    log.scrollTop = log.scrollHeight;
  }

  async function send(body, echo) {
    body.id = newId();
    body.language = lang;
    if (echo) show({ sender: "child", text: echo });
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const r = await fetch("/api/chat/messages", { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        if (r.status === 401) { await openSession(); continue; }
        if (r.ok) return;
      } catch (e) { /* offline: retry with the same id, the server de-duplicates */ }
      await new Promise((res) => setTimeout(res, 1000 * (attempt + 1)));
    }
    status.hidden = false; status.textContent = TEXTS[lang].offline;
  }

  async function openSession() {
    await fetch("/api/chat/session", { method: "POST", credentials: "same-origin" });
  }

  async function catchUp() {
    const r = await fetch("/api/chat/history?after=" + lastId, { credentials: "same-origin" });
    if (!r.ok) return [];
    const data = await r.json();
    data.messages.forEach((m) => { if (m.sender !== "child" || !seen.has(m.message_id)) show(m); });
    return data.messages;
  }

  function listen() {
    const source = new EventSource("/api/chat/stream");
    source.onopen = () => { status.hidden = true; catchUp(); };
    source.onmessage = (e) => show(JSON.parse(e.data));
    source.onerror = () => { status.hidden = false; status.textContent = TEXTS[lang].offline; };
  }

  document.getElementById("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text: text }, text);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); document.getElementById("send").click(); }
  });
  document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => setLang(b.dataset.lang)));
  document.getElementById("human").addEventListener("click", () => send({ command: "human" }, TEXTS[lang].talk_to_person));
  document.getElementById("quick-exit").addEventListener("click", () => {
    // Leave at once, forget this device's chat, and leave nothing to go "back" to.
    navigator.sendBeacon && navigator.sendBeacon("/api/chat/forget");
    localStorage.removeItem("helpline.lang");
    log.innerHTML = "";
    window.location.replace("https://www.google.com/search?q=weather");
  });

  applyTexts();
  openSession().then(async () => {
    const history = await catchUp();
    listen();
    if (!history.length) send({ command: "start" });
  });
})();
