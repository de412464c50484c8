// The open chat: facts, the whole transcript (bot part too, with the NLU reading), notes, reply.
import { api, firstList } from "./api.js";
import { $, el, clock, riskBadge, topic, LANGUAGE_LABEL, setOptions } from "./util.js";

const MEDIA = new Set(["photo", "voice", "video", "sticker", "document", "location", "other"]);
const cannedCache = new Map();

export function canWrite(state, conversation) {
  if (!conversation || state.monitor) return false;
  if (typeof conversation.canWrite === "boolean") return conversation.canWrite;
  const mine = conversation.assignedId === state.me.id || conversation.assignedTo === state.me.username;
  return conversation.status === "counsellor" && mine;
}

function whoSaid(message, state) {
  if (message.sender === "child") return "Child";
  if (message.sender === "bot") return "Bot";
  if (message.sender === "counsellor") {
    return message.senderName && message.senderName !== state.me.username ? message.senderName : "Counsellor (you)";
  }
  return "System";
}

function nluLine(message, state, onFeedback) {
  const a = message.analysis;
  if (!a) return null;
  const label = state.taxonomy?.[a.category]?.label || a.category;
  return el("div", { class: "nlu" },
    el("span", { text: "Bot read:" }), riskBadge(a.risk),
    el("span", { class: "tag", text: topic(label || "?", a.subcategory) }),
    a.language && el("span", { class: "tag", text: a.language }),
    onFeedback && el("button", { type: "button", class: "mark-wrong", text: "Mark wrong",
      title: "The bot's category or risk is wrong", onclick: () => onFeedback(message) }),
    a.reasons.length > 0 && el("ul", {}, a.reasons.map((r) => el("li", { text: r }))));
}

function messageNode(message, state, onFeedback) {
  const body = [];
  if (MEDIA.has(message.kind)) {
    body.push(el("span", { class: "media", text: `[${message.kind}]` }));
    if (message.hasAttachment && state.current) {
      // Fetched from the child's channel on demand (audited); never stored by the helpline.
      const url = `/api/conversations/${encodeURIComponent(state.current.id)}/messages/${message.id}/attachment`;
      if (message.kind === "photo") body.push(el("img", { class: "attachment", src: url, alt: "photo from the child" }));
      body.push(el("a", { href: url, target: "_blank", rel: "noopener", text: " open the file" }));
    } else {
      body.push(el("span", { class: "muted", text: " no file to show (the child shared a location, or the channel keeps none)" }));
    }
    if (message.text) body.push(el("div", { text: message.text }));
  } else if (message.kind === "button" || message.kind === "command") {
    body.push(el("span", { class: "media", text: `[${message.kind}] ` }), message.text || "");
  } else {
    body.push(message.text || "");
  }
  return el("li", { class: `msg ${message.sender}`, "data-message-id": message.id },
    el("span", { class: "who", text: `${whoSaid(message, state)} · ${clock(message.at)}` }),
    ...body,
    message.sender === "child" && nluLine(message, state, onFeedback));
}

export function renderChat(state, handlers) {
  const conversation = state.current;
  $("chat-empty").hidden = Boolean(conversation);
  $("chat").hidden = !conversation;
  if (!conversation) return;
  const writable = canWrite(state, conversation);
  const supervisor = state.me.role === "supervisor";
  const label = state.taxonomy?.[conversation.category]?.label || conversation.category;
  $("chat-facts").replaceChildren(
    riskBadge(conversation.risk),
    label && el("span", { class: "tag", text: topic(label, conversation.subcategory) }),
    conversation.language && el("span", { class: "tag", text: LANGUAGE_LABEL[conversation.language] || conversation.language }),
    conversation.ageBand && el("span", { class: "tag", text: `age ${conversation.ageBand}` }),
    conversation.channel && el("span", { class: "tag", text: conversation.channel }),
    el("span", { class: "tag", id: "chat-status", text: conversation.status === "counsellor" && conversation.assignedTo
      ? `with ${conversation.assignedTo}` : conversation.status }));
  $("chat-claim").hidden = conversation.status !== "waiting" || state.monitor && !supervisor;
  $("chat-transfer").hidden = !writable;
  $("chat-close").hidden = !writable;
  $("chat-reassign").hidden = !(supervisor && conversation.status === "counsellor");
  $("chat-readonly").hidden = writable || conversation.status === "waiting";
  $("chat-readonly").textContent = conversation.status === "closed"
    ? "This chat is closed." : "Read-only: you are monitoring this chat.";
  $("reply-form").hidden = !writable;

  const transcript = $("transcript");
  const nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
  const known = transcript.dataset.conversation === conversation.id;
  transcript.dataset.conversation = conversation.id;
  const feedback = writable || supervisor ? handlers.onFeedback : null;
  // Rebuilt only when it changes, so a selection or a click on "Mark wrong" survives a refresh.
  const signature = JSON.stringify([Boolean(feedback), conversation.messages]);
  if (!known || transcript.dataset.signature !== signature) {
    transcript.dataset.signature = signature;
    transcript.replaceChildren(...conversation.messages.map((m) => messageNode(m, state, feedback)));
    if (!known || nearBottom) transcript.scrollTop = transcript.scrollHeight;
  }

  $("notes-count").textContent = String(conversation.notes.length);
  $("notes-list").replaceChildren(...conversation.notes.map((n) =>
    el("li", {}, el("strong", { text: `${n.author || "?"} ${clock(n.at)}: ` }), n.text)));
  $("note-form").hidden = !(writable || supervisor);
  if (writable) loadCanned(conversation.language || "az");
}

async function loadCanned(language) {
  const select = $("canned");
  if (select.dataset.language === language) return;
  select.dataset.language = language;
  if (!cannedCache.has(language)) {
    try {
      const data = await api("GET", `/api/canned-replies?language=${encodeURIComponent(language)}`);
      // {"replies": {language: [phrases]}}, or a plain list of phrases or {title, text}.
      const byLanguage = data?.replies && !Array.isArray(data.replies) ? data.replies[language] : null;
      cannedCache.set(language, (byLanguage || firstList(data, "items", "replies")).map((r) =>
        typeof r === "string" ? { title: shorten(r), text: r } : { title: r.title || r.label || r.id || r.text, text: r.text }));
    } catch {
      cannedCache.set(language, []);
    }
  }
  const replies = cannedCache.get(language);
  setOptions(select, [["", replies.length ? `Canned replies (${language})…` : "No canned replies"],
    ...replies.map((r, i) => [String(i), r.title])], "");
  select.onchange = () => {
    const reply = replies[Number(select.value)];
    if (select.value !== "" && reply) insertAtCaret($("reply-text"), reply.text);
    select.value = "";
  };
}

const shorten = (text) => (text.length > 90 ? `${text.slice(0, 88)}…` : text);

function insertAtCaret(textarea, text) {
  const start = textarea.selectionStart ?? textarea.value.length;
  const end = textarea.selectionEnd ?? textarea.value.length;
  const before = textarea.value.slice(0, start);
  const gap = before && !/\s$/.test(before) ? " " : "";
  textarea.value = before + gap + text + textarea.value.slice(end);
  const caret = (before + gap + text).length;
  textarea.focus();
  textarea.setSelectionRange(caret, caret);
}
