// Supervisor: live dashboard (pushed by the server on every floor change): waves and their
// progress, station and picker rates, exceptions, orders at risk of missing their pickup,
// throughput over the day; build, release, pause, resume, cancel, re-sequence and
// re-prioritize waves; reassign a picker's work; retry dead-lettered OMS events.

import { formatTime, t, tn } from "./i18n.js";
import { $, flash, h, poller, setText, show, station, time } from "./station.js";
import { stockAlerts } from "./stock-alerts.js";

const STATUSES = ["accepted", "released", "picking", "picked", "packing", "packed", "shipped", "held", "backordered", "cancelled", "rejected"];
const ALWAYS = new Set(["accepted", "released", "picking", "picked", "packing", "packed", "shipped", "held"]);
const STATION_NAMES = { pick: t("Pick"), pack: t("Pack"), weigh: t("Weigh"), ship: t("Ship") };
// The scan log's stations: a first-shift practice logs its scans apart from the real work.
const SCAN_STATION_NAMES = { ...STATION_NAMES, practice_pick: t("Practice pick"), practice_pack: t("Practice pack") };
const STATION_UNITS = { pick: t("units/h"), pack: t("units/h"), weigh: t("cartons/h"), ship: t("cartons/h") };
const EXCEPTION_NAMES = { short_pick: t("Short pick"), mis_scan: t("Mis-scan"), weight: t("Weight") };
// Allocation and wave statuses as the floor says them (the codes stay in data-status).
const STATUS_NAMES = {
  accepted: t("accepted"),
  released: t("released"),
  picking: t("picking"),
  picked: t("picked"),
  packing: t("packing"),
  packed: t("packed"),
  shipped: t("shipped"),
  held: t("held"),
  backordered: t("backordered"),
  cancelled: t("cancelled"),
  rejected: t("rejected"),
  planned: t("planned"),
  paused: t("paused"),
  done: t("done"),
  partially_cancelled: t("partially cancelled"),
};
const STRATEGY_NAMES = { discrete: t("discrete"), batch: t("batch"), zone: t("zone"), cluster: t("cluster") };
const statusName = (s) => STATUS_NAMES[s] || s;

let chart = null;
let lastPickers = [];

const st = station("/supervisor", {
  onSignedIn: async () => {
    await refresh();
    fallback.start(false);
  },
  onSignedOut: () => fallback.stop(),
});

stockAlerts(st); // low stock and pick faces without reserve (docs/stock.md)

// Pushes keep the page live; a slow poll covers a missed push (e.g. several workers, no queue),
// and asks only when no push came for as long: each snapshot holds up the server's scans.
const POLL_MS = 15000;
let lastPush = 0;
const fallback = poller(() => (Date.now() - lastPush < POLL_MS ? null : refresh()), POLL_MS);

st.socket.on("dashboard", (data) => {
  if (!st.user) return;
  lastPush = Date.now();
  render(data);
});

async function refresh() {
  const ack = await st.call("snapshot", {});
  if (ack.ok) render(ack.dashboard);
}

function progress(done, total, label) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  return h(
    "div",
    { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(done), "aria-label": label },
    h("div", { class: "progress-bar", style: `width: ${pct}%` }),
    h("span", { class: "progress-text" }, `${done} / ${total}`),
  );
}

function button(label, onclick, testid, extra = "") {
  return h("button", { type: "button", class: `btn btn-small ${extra}`, dataset: { testid }, onclick: () => st.run(onclick) }, label);
}

function waveActions(w) {
  const out = [];
  if (w.status === "planned") out.push(button(t("Release"), () => act("release_wave", { wave_id: w.wave_id }), "release"));
  if (w.status === "released" || w.status === "planned") out.push(button(t("Pause"), () => act("pause_wave", { wave_id: w.wave_id }), "pause"));
  if (w.status === "paused") out.push(button(t("Resume"), () => act("resume_wave", { wave_id: w.wave_id }), "resume"));
  if (w.status === "released") out.push(button(t("Re-route"), () => act("resequence", { wave_id: w.wave_id }), "resequence"));
  if (["planned", "released", "paused"].includes(w.status)) {
    out.push(button(`▲ ${t("Prio")}`, () => act("reprioritize", { wave_id: w.wave_id, priority: Math.min(9, (w.priority || 0) + 1) }), "prio-up"));
    out.push(
      button(
        t("Cancel"),
        async () => {
          if (window.confirm(t("Cancel wave %(wave)s? Orders not started go back to waiting.", { wave: w.code }))) await act("cancel_wave", { wave_id: w.wave_id });
        },
        "cancel",
        "btn-danger",
      ),
    );
  }
  return h("div", { class: "wave-actions" }, ...out);
}

function render(d) {
  const counts = d.allocations || {};
  const known = STATUSES.filter((s) => ALWAYS.has(s) || counts[s]);
  const extra = Object.keys(counts).filter((s) => !STATUSES.includes(s));
  $("#counts").replaceChildren(
    ...[...known, ...extra].map((s) =>
      h(
        "li",
        { class: `count-tile status-${s}`, dataset: { status: s, count: String(counts[s] || 0) } },
        h("span", { class: "count-number" }, String(counts[s] || 0)),
        h("span", { class: "count-label" }, statusName(s)),
      ),
    ),
  );

  const stations = d.stations || {};
  $("#station-rates").replaceChildren(
    ...Object.keys(STATION_NAMES).map((name) => {
      const s = stations[name] || {};
      return h(
        "li",
        { class: `station-rate${s.queue > 20 ? " busy" : ""}`, dataset: { station: name, rate: String(s.units_per_hour || 0), queue: String(s.queue || 0) } },
        h("div", { class: "name" }, STATION_NAMES[name]),
        h("div", { class: "rate" }, String(Math.round(s.units_per_hour || 0)), h("span", { class: "hint" }, ` ${STATION_UNITS[name]}`)),
        h("div", { class: "queue" }, `${s.queue || 0} ${s.queue_label ? t(s.queue_label) : t("waiting")}`),
      );
    }),
  );

  const waves = d.waves || [];
  $("#waves").replaceChildren(
    ...waves.map((w) =>
      h(
        "tr",
        { dataset: { wave: w.code, status: w.status, tasksDone: String(w.tasks_done), unitsPicked: String(w.units_picked) } },
        h("td", { class: "mono" }, w.code, w.practice ? h("span", { class: "tag tag-practice" }, h("span", { "aria-hidden": "true" }, "⚑ "), t("PRACTICE")) : null),
        h("td", {}, h("span", { class: `tag status-${w.status}` }, statusName(w.status))),
        h("td", {}, `${STRATEGY_NAMES[w.strategy] || w.strategy}${w.batches ? ` · ${tn("%(n)s walk", "%(n)s walks", w.batches, { n: w.batches })}` : ""}`),
        h("td", {}, w.carrier ? `${w.carrier} ${time(w.pickup_at)}` : "—"),
        h("td", { class: "num" }, String(w.priority ?? "")),
        h("td", { class: "num" }, String(w.orders)),
        h("td", {}, progress(w.tasks_done, w.tasks, t("%(wave)s tasks done", { wave: w.code }))),
        h("td", {}, progress(w.units_picked, w.units, t("%(wave)s units picked", { wave: w.code }))),
        h(
          "td",
          { class: "num" },
          w.route_m ? h("span", { class: w.route_m < w.s_shape_m ? "walk-better" : "" }, `${Math.round(w.route_m)}`) : "—",
          w.s_shape_m ? h("span", { class: "hint" }, ` / ${Math.round(w.s_shape_m)}`) : "",
        ),
        h("td", {}, waveActions(w)),
      ),
    ),
  );
  show("#waves-empty", waves.length === 0);

  lastPickers = d.pickers || [];
  // A push must not reset the menu a supervisor has open.
  const choosing = document.activeElement && document.activeElement.classList.contains("picker-reassign");
  if (!choosing) $("#pickers").replaceChildren(
    ...lastPickers.map((p) => {
      const others = lastPickers.filter((q) => q.badge !== p.badge);
      const select = h(
        "select",
        { class: "picker-reassign field", "aria-label": t("Reassign %(badge)s's work", { badge: p.badge }), dataset: { testid: "reassign" } },
        h("option", { value: "" }, p.tasks_in_hand ? t("Move work to…") : "—"),
        h("option", { value: "__pool__" }, t("Back to the pool")),
        ...others.map((q) => h("option", { value: q.badge }, q.badge)),
      );
      select.disabled = !p.tasks_in_hand && !p.carts;
      select.addEventListener("change", () => {
        const to = select.value;
        if (!to) return;
        st.run(() => act("reassign", { from_picker: p.badge, to_picker: to === "__pool__" ? null : to }));
      });
      return h(
        "tr",
        { dataset: { picker: p.badge, rate: String(p.units_per_hour), units: String(p.units_last_hour) } },
        h("td", { class: "mono" }, p.badge),
        h("td", { class: "num" }, String(Math.round(p.units_per_hour))),
        h("td", { class: "num" }, String(p.units_last_hour)),
        h("td", {}, (p.waves || []).join(", ") || "—"),
        h("td", {}, (p.zones || []).join(", ") || t("any")),
        h("td", {}, select),
      );
    }),
  );
  show("#pickers-empty", lastPickers.length === 0);

  const exc = d.exceptions || {};
  setText("#exc-short", exc.short_picks ?? 0);
  setText("#exc-mis", exc.mis_scans ?? 0);
  setText("#exc-weight", exc.weight_failures ?? 0);
  setText("#exc-dead", exc.dead_letters ?? 0);
  for (const [id, n] of [["#exc-short", exc.short_picks], ["#exc-mis", exc.mis_scans], ["#exc-weight", exc.weight_failures], ["#exc-dead", exc.dead_letters]]) {
    $(id).classList.toggle("bad", Boolean(n));
  }
  $("#exc-recent").replaceChildren(
    ...(exc.recent || []).map((e) =>
      h("li", {}, h("span", { class: `kind kind-${e.kind}` }, EXCEPTION_NAMES[e.kind] || e.kind), ` ${time(e.at)} ${e.who || ""} · ${e.what}`),
    ),
  );

  const risk = d.at_risk || { orders: [], count: 0 };
  setText("#risk-count", risk.count ? `(${risk.count})` : "");
  $("#at-risk").replaceChildren(
    ...risk.orders.map((r) =>
      h(
        "tr",
        { class: "risk-late", dataset: { allocation: r.allocation_id } },
        h("td", {}, r.order_number),
        h("td", {}, statusName(r.status)),
        h("td", {}, r.carrier ? `${r.carrier} ${time(r.pickup_at)}` : "—"),
        h("td", {}, time(r.deadline)),
        h("td", { class: "num" }, t("%(n)s min", { n: r.late_min })),
      ),
    ),
  );
  show("#risk-empty", risk.count === 0);

  renderThroughput(d.throughput || { hours: [], picked_units: [], packed_units: [], shipped_cartons: [] });

  const waiting = d.waiting || [];
  $("#waiting").replaceChildren(
    ...waiting.map((a) =>
      h(
        "tr",
        { dataset: { allocation: a.allocation_id } },
        h("td", { class: "mono" }, a.allocation_id),
        h("td", {}, a.order_number),
        h("td", { class: "num" }, String(a.priority)),
        h("td", {}, time(a.ship_by)),
        h("td", {}, a.service_level),
        h("td", { class: "num" }, String(a.units)),
      ),
    ),
  );
  const waitingTotal = d.waiting_count ?? waiting.length;
  setText("#waiting-count", waitingTotal ? `(${waitingTotal})` : "");
  show("#waiting-empty", waiting.length === 0);

  const ob = d.outbox || {};
  setText("#outbox-pending", ob.pending ?? 0);
  setText("#outbox-dead", ob.dead ?? 0);
  setText("#outbox-sent", ob.sent ?? 0);
  setText("#outbox-oldest", time(ob.oldest_pending));
  $("#outbox-dead").classList.toggle("bad", Boolean(ob.dead));
  show("#outbox-error", Boolean(ob.last_error));
  setText("#outbox-last-error", ob.last_error || "");
  $("#retry-dead").disabled = !ob.dead;

  const scans = d.scans || {};
  $("#scans").replaceChildren(
    ...Object.entries(scans).map(([name, n]) => h("div", {}, h("dt", {}, SCAN_STATION_NAMES[name] || name), h("dd", {}, String(n)))),
    h("div", {}, h("dt", {}, t("rejected")), h("dd", { class: d.rejected_scans ? "bad" : "" }, String(d.rejected_scans || 0))),
  );
  setText("#updated-at", formatTime(new Date(), { timeStyle: "medium" }));
}

function renderThroughput(tp) {
  const sum = (xs) => (xs || []).reduce((a, b) => a + b, 0);
  setText("#picked-today", sum(tp.picked_units));
  setText("#packed-today", sum(tp.packed_units));
  setText("#shipped-today", sum(tp.shipped_cartons));
  const labels = tp.hours.map((iso) => formatTime(iso, { hour: "2-digit", minute: "2-digit" }));
  if (typeof window.Chart !== "function") return; // the page still shows the totals
  const datasets = [
    { label: t("Units picked"), data: tp.picked_units, backgroundColor: "#1d4ed8" },
    { label: t("Units packed"), data: tp.packed_units, backgroundColor: "#15803d" },
    { label: t("Cartons shipped"), data: tp.shipped_cartons, backgroundColor: "#b45309" },
  ];
  if (!chart) {
    chart = new window.Chart($("#throughput"), {
      type: "bar",
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0, font: { size: 14 } } }, x: { ticks: { font: { size: 14 } } } },
        plugins: { legend: { labels: { font: { size: 15 } } } },
      },
    });
  } else {
    chart.data.labels = labels;
    datasets.forEach((ds, i) => {
      chart.data.datasets[i].data = ds.data;
    });
    chart.update("none");
  }
}

function waveOptions() {
  const payload = { release: true, strategy: $("#wave-strategy").value, max_orders: Number($("#wave-max").value) || 20 };
  const level = $("#wave-level").value;
  const profile = $("#wave-profile").value;
  const prio = $("#wave-priority").value;
  if (level) payload.service_levels = [level];
  if (profile) payload.profiles = [profile];
  if (prio !== "") payload.min_priority = Number(prio);
  return payload;
}

async function act(event, payload) {
  const ack = await st.ask(event, payload);
  if (!ack.ok) return ack;
  flash(true, ack.message || t("Done."));
  await refresh();
  return ack;
}

$("#build-wave").addEventListener("click", () => st.run(() => act("build_wave", waveOptions())));
$("#release-due").addEventListener("click", () => st.run(() => act("release_due", {})));
$("#retry-dead").addEventListener("click", () => st.run(() => act("retry_outbox", {})));

st.onScan(async (code) => {
  flash("warn", t("Nothing to scan on this screen (%(code)s). Scan a badge to hand over.", { code }));
});
