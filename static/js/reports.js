// Reports for supervisors: every table of a report, charted with Chart.js where it has a
// chart; a click on a bar (or on a row's first cell) lists the orders or scans behind that
// figure, a click on an order shows its lines, cartons and every scan. CSV for every table,
// the daily summary as PDF. Scanning an order number or allocation id opens that order.

import { formatNumber, t } from "./i18n.js";
import { $, flash, h, setText, show, station, time } from "./station.js";

/* global Chart */

const COLORS = {
  ok: "#0a6e2f",
  warn: "#c27c00",
  bad: "#b3121b",
  info: "#0a4fc2",
  muted: "#8a94a3",
};
const PATTERN_BORDER = { ok: [], warn: [6, 3], bad: [2, 2], info: [], muted: [1, 3] };

// Exposed for the end-to-end tests (and the curious): the charts by table id, the last answers.
const state = {
  reports: [],
  name: "on_time",
  token: null,
  charts: {},
  report: null,
  drill: null,
  drillPoint: null,
};
window.dockhandReports = state;

const st = station("/reports", {
  onSignedIn: async () => {
    await start();
  },
  onSignedOut: () => {
    state.token = null;
  },
});

// ------------------------------------------------------------------ filters

function isoDay(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function filters() {
  const form = $("#filters");
  const data = Object.fromEntries(new FormData(form).entries());
  for (const key of Object.keys(data)) if (data[key] === "") delete data[key];
  return data;
}

/** The filters of the report on screen (not the form's, which may be half edited). */
function shown() {
  const out = {};
  for (const [k, v] of Object.entries((state.report && state.report.filters) || filters())) {
    if (v !== null && v !== undefined && v !== "") out[k] = v;
  }
  return out;
}

function query(extra = {}) {
  const params = new URLSearchParams({ ...shown(), ...extra });
  if (state.token) params.set("token", state.token);
  return params.toString();
}

function fillSelect(select, values, allLabel, label = (v) => v) {
  const current = select.value;
  select.replaceChildren(
    h("option", { value: "" }, allLabel),
    ...values.map((v) => h("option", { value: typeof v === "string" ? v : v.name }, label(v))),
  );
  select.value = current;
}

function setRange(daysBack, today) {
  const end = today ? new Date(`${today}T12:00:00`) : new Date();
  const start = new Date(end);
  start.setDate(end.getDate() - daysBack);
  $("#f-start").value = isoDay(start);
  $("#f-end").value = isoDay(end);
}

async function start() {
  const ack = await st.ask("options", {});
  if (!ack.ok) return;
  const o = ack.options;
  state.reports = o.reports;
  state.today = o.today;
  fillSelect($("#f-shift"), o.shifts, t("All shifts"), (s) => t("%(shift)s (from %(start)s)", { shift: s.name, start: s.start }));
  fillSelect($("#f-zone"), o.zones, t("All zones"));
  fillSelect($("#f-carrier"), o.carriers, t("All carriers"));
  fillSelect($("#f-channel"), o.channels, t("All channels"));
  if (!$("#f-start").value) setRange(6, o.today);
  renderTabs();
  const token = await st.ask("download_token", {}, { flashErrors: false });
  state.token = token.ok ? token.token : null;
  await loadReport();
}

function renderTabs() {
  $("#report-tabs").replaceChildren(
    ...state.reports.map((r) =>
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          role: "tab",
          "aria-selected": String(r.name === state.name),
          dataset: { report: r.name },
          onclick: () =>
            st.run(async () => {
              state.name = r.name;
              renderTabs();
              await loadReport();
            }),
        },
        r.title,
      ),
    ),
  );
}

// ------------------------------------------------------------------ formatting

function fmt(value, kind) {
  if (value === null || value === undefined || value === "") return "—";
  switch (kind) {
    case "num":
      return formatNumber(value);
    case "pct":
      return `${formatNumber(value, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %`;
    case "dec":
    case "money":
      return formatNumber(value, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    case "time":
      return time(value);
    default:
      return String(value);
  }
}

function pick(row, keys) {
  const out = {};
  for (const k of keys || []) out[k] = row[k];
  return out;
}

function describe(point) {
  return Object.entries(point)
    .map(([k, v]) => `${k.replace(/_key$/, "")}: ${v === "" ? t("(none)") : v}`)
    .join(", ");
}

// ------------------------------------------------------------------ a report

async function loadReport() {
  const ack = await st.ask("report", { name: state.name, filters: filters() });
  if (!ack.ok) return;
  state.report = ack.report;
  render(ack.report);
  show("#drill", false);
  show("#order", false);
}

function render(r) {
  setText("#report-title", r.title);
  setText("#built-at", time(r.built_at));
  setText("#report-seconds", `${Math.round(r.seconds * 1000)} ms`);
  $("#report").dataset.report = r.name;
  $("#summary").replaceChildren(
    ...r.summary.map((s) =>
      h("li", {}, h("span", { class: "value" }, fmt(s.value, s.kind)), h("span", { class: "what" }, s.label)),
    ),
  );
  show("#ignored", r.ignored.length > 0);
  setText("#ignored", r.ignored.length ? `⚠ ${t("The %(filters)s filter does not apply to this report.", { filters: r.ignored.join(t(" and ")) })}` : "");
  setText("#note", r.note || "");
  const end = r.filters.end;
  $("#summary-pdf").href = `/reports/summary/${end}.pdf?${new URLSearchParams(state.token ? { token: state.token } : {})}`;
  for (const chart of Object.values(state.charts)) chart.destroy();
  state.charts = {};
  $("#tables").replaceChildren(...r.tables.map((table) => tablePanel(r, table)));
}

function tablePanel(r, tbl) {
  const csv = `/reports/export/${r.name}/${tbl.id}.csv?${query()}`;
  const panel = h(
    "section",
    { class: "panel", dataset: { table: tbl.id } },
    h(
      "div",
      { class: "panel-head" },
      h("h3", {}, tbl.title),
      h("a", { class: "btn btn-small", href: csv, dataset: { testid: `csv-${tbl.id}` } }, "CSV"),
    ),
  );
  if (tbl.chart && tbl.rows.length) {
    const canvas = h("canvas", {
      role: "img",
      "aria-label": t("%(title)s: chart; the same figures are in the table below", { title: tbl.title }),
      dataset: { chart: tbl.id },
    });
    panel.append(h("div", { class: "rep-chart" }, canvas));
    state.charts[tbl.id] = chartFor(canvas, tbl);
  }
  panel.append(h("div", { class: "rep-scroll" }, dataTable(tbl.columns, tbl.rows, (row) => drillTo(pick(row, tbl.drill)), tbl.id)));
  if (!tbl.rows.length) panel.append(h("p", { class: "hint" }, t("Nothing in this period.")));
  return panel;
}

function chartFor(canvas, tbl) {
  const c = tbl.chart;
  return new Chart(canvas, {
    type: c.type || "bar",
    data: {
      labels: tbl.rows.map((row) => String(row[c.x] ?? "—")),
      datasets: c.series.map((s) => ({
        label: s.label,
        data: tbl.rows.map((row) => row[s.key] ?? 0),
        backgroundColor: COLORS[s.color] || COLORS.info,
        borderColor: "#0d1117",
        borderWidth: 1,
        borderDash: PATTERN_BORDER[s.color] || [],
        stack: c.stacked ? "all" : undefined,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "nearest", intersect: true },
      scales: {
        x: { stacked: Boolean(c.stacked) },
        y: { stacked: Boolean(c.stacked), beginAtZero: true, title: { display: Boolean(c.unit), text: c.unit || "" } },
      },
      plugins: { legend: { position: "bottom" } },
      onHover: (event, elements) => {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      },
      onClick: (_event, elements) => {
        if (!elements.length) return;
        const { index, datasetIndex } = elements[0];
        const series = c.series[datasetIndex];
        drillTo({ ...pick(tbl.rows[index], tbl.drill), ...(series.drill || {}) });
      },
    },
  });
}

function dataTable(columns, rows, onDrill, testid) {
  const head = h(
    "thead",
    {},
    h("tr", {}, ...columns.map((c) => h("th", { class: ["num", "pct", "dec", "money"].includes(c.kind) ? "num" : "" }, c.label))),
  );
  const body = h(
    "tbody",
    {},
    ...rows.map((row) =>
      h(
        "tr",
        { class: row.result && !String(row.result).endsWith("_ok") ? "result-error" : "" },
        ...columns.map((c, i) => {
          const text = fmt(row[c.key], c.kind);
          const numeric = ["num", "pct", "dec", "money"].includes(c.kind);
          let content = text;
          if (i === 0 && onDrill) {
            content = h("button", { type: "button", class: "drill", onclick: () => onDrill(row) }, text);
          } else if (c.key === "order_number" && row.allocation_pk) {
            content = h(
              "button",
              { type: "button", class: "drill", dataset: { allocation: String(row.allocation_pk) }, onclick: () => st.run(() => openOrder({ allocation_pk: row.allocation_pk })) },
              text,
            );
          }
          return h("td", { class: numeric ? "num" : "" }, content);
        }),
      ),
    ),
  );
  return h("table", { class: "table rep-table", dataset: { testid: testid || "" } }, head, body);
}

// ------------------------------------------------------------------ drill-through

function drillTo(point) {
  return st.run(() => drill(point));
}

async function drill(point) {
  const ack = await st.ask("drill", { name: state.name, point, filters: shown() });
  if (!ack.ok) return;
  const d = ack.drill;
  state.drill = d;
  state.drillPoint = point;
  setText("#drill-title", `${d.title}${d.total !== null && d.total !== undefined ? ` (${formatNumber(d.total)})` : ""}`);
  const more = d.total && d.total > d.rows.length ? ` ${t("Showing the latest %(n)s; the CSV has them all.", { n: d.rows.length })}` : "";
  setText("#drill-what", `${state.report ? state.report.title : ""} · ${describe(point) || t("everything")}.${more}`);
  $("#drill-csv").href = `/reports/export/${state.name}/orders.csv?${query({ point: JSON.stringify(point) })}`;
  const table = dataTable(d.columns, d.rows, null, "drill-table");
  table.id = "drill-table";
  $("#drill-table").replaceWith(table);
  $("#drill").dataset.rows = String(d.rows.length);
  show("#drill", true);
  show("#order", false);
  $("#drill").scrollIntoView({ block: "start" });
}

async function openOrder(ref) {
  const ack = await st.ask("order", ref);
  if (!ack.ok) return;
  const o = ack.order;
  setText("#order-title", t("Order %(order)s", { order: o.order_number }));
  $("#order").dataset.allocation = o.allocation_id;
  $("#order-facts").replaceChildren(
    ...[
      [t("Allocation"), o.allocation_id],
      [t("Status"), o.status],
      [t("Channel"), o.channel || "—"],
      [t("Service level"), o.service_level],
      [t("Received"), time(o.received_at)],
      [t("Ship by"), time(o.ship_by)],
      [t("Last pickup"), time(o.deadline_at)],
      [t("Verdict"), o.verdict || "—"],
      [t("Cycle time"), o.cycle || "—"],
    ].map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))),
  );
  const cols = (keys) => keys.map(([key, label, kind]) => ({ key, label, kind: kind || "text" }));
  $("#order-lines").replaceChildren(
    ...dataTable(
      cols([
        ["line_id", t("Line")],
        ["sku", "SKU"],
        ["qty", t("Qty"), "num"],
        ["picked", t("Picked"), "num"],
        ["short", t("Short"), "num"],
        ["packed", t("Packed"), "num"],
        ["shipped", t("Shipped"), "num"],
        ["cancelled", t("Cancelled"), "num"],
      ]),
      o.lines,
    ).children,
  );
  $("#order-cartons").replaceChildren(
    ...dataTable(
      cols([
        ["carton", t("Carton")],
        ["carton_type", t("Type")],
        ["status", t("Status")],
        ["weight_g", t("Weight (g)"), "num"],
        ["carrier", t("Carrier")],
        ["service", t("Service")],
        ["tracking_number", t("Tracking")],
        ["shipped_at", t("Shipped"), "time"],
      ]),
      o.cartons,
    ).children,
  );
  $("#order-scans").replaceChildren(...dataTable(o.scan_columns, o.scans).children);
  $("#order").dataset.scans = String(o.scans.length);
  show("#order", true);
  $("#order").scrollIntoView({ block: "start" });
}

// ------------------------------------------------------------------ controls

$("#filters").addEventListener("submit", (event) => {
  event.preventDefault();
  st.run(loadReport);
});
for (const button of document.querySelectorAll("[data-range]")) {
  button.addEventListener("click", () => {
    setRange(Number(button.dataset.range), state.today);
    st.run(loadReport);
  });
}
$("#drill-close").addEventListener("click", () => show("#drill", false));
$("#order-close").addEventListener("click", () => show("#order", false));
$("#refresh").addEventListener("click", () =>
  st.run(async () => {
    const ack = await st.ask("refresh", {});
    if (!ack.ok) return;
    flash(true, ack.message);
    await loadReport();
  }),
);

st.onScan(async (code) => {
  await openOrder({ code });
});
