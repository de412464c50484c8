// The alerts: a banner and a beep for high/imminent chats waiting, the supervisor's alert when
// one waits unclaimed too long, and the tab title (seen even when the tab is hidden).
import { beep } from "./sound.js";
import { $, duration, URGENT } from "./util.js";

export function updateAlerts(state) {
  const urgent = state.queue.filter((item) => URGENT.has(item.risk));
  const fresh = urgent.filter((item) => !state.seenUrgent.has(item.id));
  fresh.forEach((item) => state.seenUrgent.add(item.id));
  if (fresh.length) beep(3);
  $("risk-banner").hidden = urgent.length === 0;
  if (urgent.length) {
    const imminent = urgent.some((item) => item.risk === "imminent");
    $("risk-banner-text").textContent = `⚠ ${urgent.length} ${imminent ? "IMMINENT-risk" : "high-risk"} chat${urgent.length > 1 ? "s" : ""} waiting. Claim now.`;
  }
  // The server's "alert" event says so; the page's own clock says so too if an event was missed.
  const now = performance.now();
  const waited = (item) => item.waiting + (now - item.fetchedAt) / 1000;
  const overdue = urgent.filter((item) => state.alerts.has(item.id) || waited(item) > state.config.alert_seconds);
  const banner = $("supervisor-banner");
  banner.hidden = !(state.me?.role === "supervisor" && overdue.length);
  if (!banner.hidden) {
    $("supervisor-banner-text").textContent =
      `Supervisor alert: ${overdue.length} high-risk chat${overdue.length > 1 ? "s have" : " has"} waited unclaimed for ${duration(Math.max(...overdue.map(waited)))}.`;
  }
  document.title = `${urgent.length ? "⚠ " : ""}(${state.queue.length}) 116111 console`;
}
