// Live updates and the idle sign-out. The stream carries ids only; the page refetches.
import { api } from "./api.js";
import { $, toast } from "./util.js";

const EVENTS = ["hello", "queue", "messages", "assigned", "notes", "shift", "alert", "signed_out"];

// onEvent(kind, conversationId) for each event; onOpen after every (re)connection.
export function openEventStream({ onEvent, onOpen }) {
  const source = new EventSource("/api/events", { withCredentials: true });
  const handle = (event) => {
    let data = {};
    try { data = JSON.parse(event.data || "{}"); } catch { /* a keep-alive */ }
    onEvent(data.event || data.type || event.type, data.conversation_id || data.id);
  };
  source.onmessage = handle;
  for (const name of EVENTS) source.addEventListener(name, handle);
  source.onopen = () => {
    $("connection-banner").hidden = true;
    onOpen();
  };
  source.onerror = () => {
    $("connection-banner").hidden = false;
    // A stream refused because the session ended looks like any other error: ask.
    api("GET", "/api/me").catch(() => {});
  };
  return source;
}

// Signs out after `minutes` without a key press, click, scroll or pointer movement (a warning a
// minute before). The server has its own idle limit; this one also covers a page left open,
// whose live updates would otherwise keep the session alive.
export class IdleTimer {
  constructor(minutes, onTimeout) {
    this.limit = minutes * 60000;
    this.minutes = minutes;
    this.onTimeout = onTimeout;
    this.last = Date.now();
    this.warned = false;
    const note = () => {
      this.last = Date.now();
      this.warned = false;
    };
    for (const name of ["keydown", "mousedown", "pointermove", "wheel", "touchstart"]) {
      document.addEventListener(name, note, { passive: true, capture: true });
    }
  }

  reset() {
    this.last = Date.now();
    this.warned = false;
  }

  async check() {
    const quiet = Date.now() - this.last;
    if (quiet > this.limit) {
      await api("POST", "/api/auth/logout").catch(() => {});
      this.onTimeout(`Signed out after ${this.minutes} minutes without activity.`);
    } else if (quiet > this.limit - 60000 && !this.warned) {
      this.warned = true;
      toast("You will be signed out in a minute. Move the mouse or press a key to stay.");
    }
  }
}
