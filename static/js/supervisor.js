// Supervisor: live dashboard (pushed by the server on every floor change), build and
// release waves, retry dead-lettered OMS events.

import { $, flash, h, poller, setText, show, station, time } from "./station.js";

const STATUSES = ["accepted", "released", "picking", "picked", "packing", "packed", "shipped", "held", "backordered", "cancelled", "rejected"];
const ALWAYS = new Set(["accepted", "released", "picking", "picked", "packing", "packed", "shipped", "held"]);

const st = station("/supervisor", {
  onSignedIn: async () => {
    await refresh();
    fallback.start(false);
  },
  onSignedOut: () => fallback.stop(),
});

// Pushes keep the page live; a slow poll covers a missed push (e.g. several workers, no queue).
const fallback = poller(() => refresh(), 15000);

st.socket.on("dashboard", (data) => {
  if (st.user) render(data);
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
        h("span", { class: "count-label" }, s),
      ),
    ),
  );

  const waves = d.waves || [];
  $("#waves").replaceChildren(
    ...waves.map((w) =>
      h(
        "tr",
        { dataset: { wave: w.code, status: w.status } },
        h("td", { class: "mono" }, w.code),
        h("td", {}, h("span", { class: `tag status-${w.status}` }, w.status)),
        h("td", { class: "num" }, String(w.orders)),
        h("td", {}, progress(w.tasks_done, w.tasks, `${w.code} tasks done`)),
        h("td", {}, progress(w.units_picked, w.units, `${w.code} units picked`)),
        h(
          "td",
          {},
          w.status === "planned"
            ? h("button", { type: "button", class: "btn btn-small", onclick: () => st.run(() => release(w)) }, "Release")
            : null,
        ),
      ),
    ),
  );
  show("#waves-empty", waves.length === 0);

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
  setText("#waiting-count", waiting.length ? `(${waiting.length})` : "");
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
    ...Object.entries(scans).map(([station, n]) => h("div", {}, h("dt", {}, station), h("dd", {}, String(n)))),
    h("div", {}, h("dt", {}, "rejected"), h("dd", { class: d.rejected_scans ? "bad" : "" }, String(d.rejected_scans || 0))),
  );
  setText("#updated-at", new Date().toLocaleTimeString());
}

async function buildWave() {
  const ack = await st.ask("build_wave", { release: true });
  if (!ack.ok) return;
  flash(true, ack.message);
  await refresh();
}

async function release(wave) {
  const ack = await st.ask("release_wave", { wave_id: wave.wave_id });
  if (!ack.ok) return;
  flash(true, ack.message);
  await refresh();
}

async function retryDead() {
  const ack = await st.ask("retry_outbox", {});
  if (!ack.ok) return;
  flash(true, ack.message || `${ack.requeued} event(s) queued again.`);
  await refresh();
}

$("#build-wave").addEventListener("click", () => st.run(buildWave));
$("#retry-dead").addEventListener("click", () => st.run(retryDead));

st.onScan(async (code) => {
  flash("warn", `Nothing to scan on this screen (${code}). Scan a badge to hand over.`);
});
