// The JSON API, and the one place that knows its field names (normalise* below).
const TOKEN_KEY = "helpline.csrf";

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : `request failed (${status})`);
    this.status = status;
    this.detail = detail;
  }
}

export const csrf = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || "",
  set: (token) => (token ? sessionStorage.setItem(TOKEN_KEY, token) : sessionStorage.removeItem(TOKEN_KEY)),
};

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf.get();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) {
    const detail = data && typeof data === "object" ? describe(data.detail) : data;
    if (response.status === 401 && !path.startsWith("/api/auth/login")) {
      window.dispatchEvent(new CustomEvent("helpline:signed-out"));
    }
    throw new ApiError(response.status, detail || `request failed (${response.status})`);
  }
  return data;
}

// FastAPI's 422 detail is a list of {loc, msg}: name the field, as the API promises.
function describe(detail) {
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).filter((p) => p !== "body").join(".")}: ${d.msg}`).join("; ");
  }
  if (detail && typeof detail === "object") return detail.message || JSON.stringify(detail);
  return detail;
}

export function firstList(data, ...keys) {
  if (Array.isArray(data)) return data;
  for (const key of keys) if (data && Array.isArray(data[key])) return data[key];
  if (data && typeof data === "object") {
    for (const value of Object.values(data)) if (Array.isArray(value)) return value;
  }
  return [];
}

const who = (value) => (value && typeof value === "object" ? value.username || value.name || "" : value || "");

export function normaliseQueueItem(raw) {
  return {
    id: raw.id || raw.conversation_id,
    risk: raw.risk_level || "none",
    category: raw.category || "",
    subcategory: raw.subcategory || "",
    language: raw.language || "",
    ageBand: raw.age_band || "",
    channel: raw.channel || "",
    waiting: Number(raw.waiting_seconds ?? 0),
    firstWords: raw.first_words ?? raw.preview ?? raw.first_message ?? "",
    position: raw.position ?? null,
    reason: raw.handoff_reason || "",
    status: raw.status || "waiting",
    fetchedAt: performance.now(),
  };
}

export function normaliseConversation(raw) {
  const since = raw.claimed_at || raw.assigned_at || raw.queued_at || raw.created_at;
  return {
    id: raw.id,
    status: raw.status || "",
    risk: raw.risk_level || "none",
    category: raw.category || "",
    subcategory: raw.subcategory || "",
    language: raw.language || "",
    ageBand: raw.age_band || "",
    channel: raw.channel || "",
    assignedTo: who(raw.assigned_to_username ?? raw.assigned_username ?? raw.counsellor ?? raw.assigned_to),
    assignedId: typeof raw.assigned_to === "number" ? raw.assigned_to : raw.assigned_to_id ?? null,
    since: since ? Date.parse(since) : null,
    seconds: raw.assigned_seconds ?? raw.waiting_seconds ?? null,
    fetchedAt: performance.now(),
    firstWords: raw.first_words ?? raw.preview ?? "",
    messages: firstList(raw.messages ?? raw.transcript ?? []).map(normaliseMessage),
    notes: firstList(raw.notes ?? []).map(normaliseNote),
    canWrite: raw.can_write,
  };
}

export function normaliseMessage(raw) {
  const analysis = raw.analysis || null;
  const risk = analysis && typeof analysis.risk === "object" ? analysis.risk : {};
  return {
    id: raw.id ?? raw.message_id,
    sender: raw.sender || "system",
    senderName: who(raw.sender_username ?? raw.author ?? raw.sender_user),
    kind: raw.kind || "text",
    text: raw.text ?? "",
    at: raw.created_at ? Date.parse(raw.created_at) : null,
    hasAttachment: Boolean(raw.attachment || raw.has_attachment),
    analysis: analysis && {
      category: analysis.category || "",
      subcategory: analysis.subcategory || "",
      risk: risk.level || raw.risk_level || analysis.risk_level || "none",
      score: risk.score ?? null,
      reasons: risk.reasons || analysis.reasons || [],
      language: analysis.language || "",
    },
  };
}

export function normaliseNote(raw) {
  return {
    id: raw.id,
    text: raw.text ?? "",
    author: who(raw.author_username ?? raw.author ?? raw.username),
    at: raw.created_at ? Date.parse(raw.created_at) : null,
  };
}

export function normaliseMe(raw) {
  const user = raw.user || raw;
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    onShift: Boolean(user.on_shift),
    csrf: raw.csrf_token || null,
  };
}
