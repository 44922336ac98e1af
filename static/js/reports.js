// Reports for supervisors: every table of a report, charted with Chart.js where it has a
// chart; a click on a bar (or on a row's first cell) lists the orders or scans behind that
// figure, a click on an order shows its lines, cartons and every scan. CSV for every table,
// the daily summary as PDF. Scanning an order number or allocation id opens that order.

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
  fillSelect($("#f-shift"), o.shifts, "All shifts", (s) => `${s.name} (from ${s.start})`);
  fillSelect($("#f-zone"), o.zones, "All zones");
  fillSelect($("#f-carrier"), o.carriers, "All carriers");
  fillSelect($("#f-channel"), o.channels, "All channels");
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
      return Number(value).toLocaleString();
    case "pct":
      return `${Number(value).toFixed(1)} %`;
    case "dec":
    case "money":
      return Number(value).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
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
    .map(([k, v]) => `${k.replace(/_key$/, "")}: ${v === "" ? "(none)" : v}`)
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
  setText("#ignored", r.ignored.length ? `⚠ The ${r.ignored.join(" and ")} filter does not apply to this report.` : "");
  setText("#note", r.note || "");
  const end = r.filters.end;
  $("#summary-pdf").href = `/reports/summary/${end}.pdf?${new URLSearchParams(state.token ? { token: state.token } : {})}`;
  for (const chart of Object.values(state.charts)) chart.destroy();
  state.charts = {};
  $("#tables").replaceChildren(...r.tables.map((t) => tablePanel(r, t)));
}

function tablePanel(r, t) {
  const csv = `/reports/export/${r.name}/${t.id}.csv?${query()}`;
  const panel = h(
    "section",
    { class: "panel", dataset: { table: t.id } },
    h(
      "div",
      { class: "panel-head" },
      h("h3", {}, t.title),
      h("a", { class: "btn btn-small", href: csv, dataset: { testid: `csv-${t.id}` } }, "CSV"),
    ),
  );
  if (t.chart && t.rows.length) {
    const canvas = h("canvas", {
      role: "img",
      "aria-label": `${t.title}: chart; the same figures are in the table below`,
      dataset: { chart: t.id },
    });
    panel.append(h("div", { class: "rep-chart" }, canvas));
    state.charts[t.id] = chartFor(canvas, t);
  }
  panel.append(h("div", { class: "rep-scroll" }, dataTable(t.columns, t.rows, (row) => drillTo(pick(row, t.drill)), t.id)));
  if (!t.rows.length) panel.append(h("p", { class: "hint" }, "Nothing in this period."));
  return panel;
}

function chartFor(canvas, t) {
  const c = t.chart;
  return new Chart(canvas, {
    type: c.type || "bar",
    data: {
      labels: t.rows.map((row) => String(row[c.x] ?? "—")),
      datasets: c.series.map((s) => ({
        label: s.label,
        data: t.rows.map((row) => row[s.key] ?? 0),
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
        drillTo({ ...pick(t.rows[index], t.drill), ...(series.drill || {}) });
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
  setText("#drill-title", `${d.title}${d.total !== null && d.total !== undefined ? ` (${d.total.toLocaleString()})` : ""}`);
  const more = d.total && d.total > d.rows.length ? ` Showing the latest ${d.rows.length}; the CSV has them all.` : "";
  setText("#drill-what", `${state.report ? state.report.title : ""} · ${describe(point) || "everything"}.${more}`);
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
  setText("#order-title", `Order ${o.order_number}`);
  $("#order").dataset.allocation = o.allocation_id;
  $("#order-facts").replaceChildren(
    ...[
      ["Allocation", o.allocation_id],
      ["Status", o.status],
      ["Channel", o.channel || "—"],
      ["Service level", o.service_level],
      ["Received", time(o.received_at)],
      ["Ship by", time(o.ship_by)],
      ["Last pickup", time(o.deadline_at)],
      ["Verdict", o.verdict || "—"],
      ["Cycle time", o.cycle || "—"],
    ].map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))),
  );
  const cols = (keys) => keys.map(([key, label, kind]) => ({ key, label, kind: kind || "text" }));
  $("#order-lines").replaceChildren(
    ...dataTable(
      cols([["line_id", "Line"], ["sku", "SKU"], ["qty", "Qty", "num"], ["picked", "Picked", "num"], ["short", "Short", "num"], ["packed", "Packed", "num"], ["shipped", "Shipped", "num"], ["cancelled", "Cancelled", "num"]]),
      o.lines,
    ).children,
  );
  $("#order-cartons").replaceChildren(
    ...dataTable(
      cols([["carton", "Carton"], ["carton_type", "Type"], ["status", "Status"], ["weight_g", "Weight (g)", "num"], ["carrier", "Carrier"], ["service", "Service"], ["tracking_number", "Tracking"], ["shipped_at", "Shipped", "time"]]),
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
