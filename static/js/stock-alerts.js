// The supervisor dashboard's stock alerts: SKUs low on available stock and pick faces that
// need stock no reserve bin has. Pushed by the server as `stock_alerts` {alerts, new} when the
// open list changes; read with the `stock_alerts` event on sign-in and every 30 s after.
//
// Usage (supervisor.js): stockAlerts(st) with the page's station().

import { t, tn } from "./i18n.js";
import { $, h, setText, show, time } from "./station.js";

const REFRESH_MS = 30000;
const KINDS = { low_stock: () => t("Low stock"), no_reserve: () => t("No reserve") };

/** The alert's sentence in the page's language (the same messages the server writes). */
function sentence(a) {
  if (a.kind === "low_stock") {
    return tn(
      "Low stock: %(sku)s has %(n)s unit available (alert below %(threshold)s).",
      "Low stock: %(sku)s has %(n)s units available (alert below %(threshold)s).",
      a.available,
      { sku: a.sku, n: a.available, threshold: a.threshold },
    );
  }
  if (a.kind === "no_reserve") {
    return t("Pick face %(face)s needs %(sku)s (%(on_hand)s on hand, min %(min)s) and no reserve bin has any to bring.", {
      face: a.location,
      sku: a.sku,
      on_hand: a.available,
      min: a.threshold,
    });
  }
  return a.message;
}

export function stockAlerts(st) {
  let loadedAt = 0;
  let loading = false;

  function render(alerts, fresh = []) {
    const list = $("#stock-alerts-list");
    if (!list) return;
    list.replaceChildren(
      ...alerts.map((a) =>
        h(
          "li",
          {
            // A new alert is outlined until the next change (the banner stays the
            // supervisor's own: it answers what they did).
            class: `stock-alert${fresh.includes(a.id) ? " fresh" : ""}`,
            dataset: { kind: a.kind, sku: a.sku, location: a.location || "", id: String(a.id) },
          },
          h("span", { class: "stock-alert-kind" }, (KINDS[a.kind] || (() => a.kind))()),
          h("span", { class: "stock-alert-text" }, sentence(a)),
          h("span", { class: "stock-alert-time" }, time(a.created_at)),
        ),
      ),
    );
    const panel = $("#stock-alerts");
    panel.dataset.count = String(alerts.length);
    setText("#stock-alerts-count", alerts.length ? String(alerts.length) : "");
    show("#stock-alerts-empty", alerts.length === 0);
  }

  async function refresh() {
    if (loading || !st.user) return;
    loading = true;
    try {
      const ack = await st.call("stock_alerts", {});
      if (ack.ok) {
        render(ack.alerts);
        loadedAt = Date.now();
      }
    } finally {
      loading = false;
    }
  }

  st.socket.on("stock_alerts", (data) => {
    if (!st.user || !data || !Array.isArray(data.alerts)) return;
    const fresh = Array.isArray(data.new) ? data.new : [];
    render(data.alerts, fresh);
    loadedAt = Date.now();
  });
  st.socket.on("disconnect", () => {
    loadedAt = 0;
  });

  // Cheap when nothing is due: a network call only after sign-in and every REFRESH_MS.
  setInterval(() => {
    if (st.user && Date.now() - loadedAt > (loadedAt ? REFRESH_MS : 0)) refresh();
  }, 1000);
  return { refresh, render };
}
