// Weigh: the station's scale live on screen; scan a carton, put it on the scale, and the weight
// is taken by the server once the scale has settled (several still readings in a row). Out of
// tolerance blocks the label and opens a QC exception: re-verify by scan, repack, or a
// supervisor's override with a reason. Supervisors also decide learned item weights here.

import { t } from "./i18n.js";
import { $, flash, grams, h, poller, setText, show, station } from "./station.js";

const root = $("#weigh-root");
const STATION = root.dataset.stationId;
const MIN_LOAD_G = Number(root.dataset.minLoad || 20);
const CARTON_CODE = /^CT\d+$/i;
const STATUS = { packed: t("Needs weighing"), weighed: t("Weighed"), shipped: t("Shipped") };
const STAGE = { reverify: t("Re-verifying by scan"), repack: t("Repacking") };

let carton = null; // the open carton (weigh view from the server)
let joined = null; // the join ack: station, rights, reasons
let live = null; // the last reading pushed for this station
let triedPlacement = null; // the settled load a capture was last tried with
let warnedUnsettled = false;
let browserScale = null;

const st = station("/weigh", {
  onSignedIn: async () => {
    await join();
    queuePoll.start();
    if (carton) await open(carton.carton, { quiet: true });
  },
  onSignedOut: () => {
    queuePoll.stop();
    joined = null;
    setCarton(null);
    show("#supervisor-qc", false);
  },
});

const queuePoll = poller(refreshQueue, 5000);

// ---------------------------------------------------------------- the station and its scale

async function join() {
  const ack = await st.ask("join", { station: STATION });
  if (!ack.ok) return;
  joined = ack;
  if (ack.live) onReading(ack.live);
  applyRights();
  show("#supervisor-qc", ack.supervisor);
  if (ack.supervisor) refreshQc();
  if (ack.station.browser && !browserScale) startBrowserScale(ack.station.browser);
}

function applyRights() {
  const manual = Boolean(joined && joined.manual_entry);
  show("#weight-form", manual);
  show("#manual-locked", !manual);
}

function liveState(r) {
  if (!["ok", "motion"].includes(r.status)) return "fault";
  if (r.accepted_g !== null && r.accepted_g !== undefined) return "stable";
  if (r.not_settling) return "unstable";
  return "moving";
}

const LIVE_ICON = { stable: "✔", moving: "⋯", unstable: "✖", fault: "⚠", waiting: "…" };

function onReading(r) {
  live = r;
  const state = liveState(r);
  const weight = $("#live-weight");
  weight.textContent = r.weight_g === null || r.weight_g === undefined ? "—" : grams(r.weight_g);
  weight.dataset.grams = r.weight_g === null || r.weight_g === undefined ? "" : String(r.weight_g);
  weight.dataset.stable = String(state === "stable");
  weight.dataset.placement = String(r.placement);
  $("#scale-panel").dataset.state = state;
  const status = $("#live-status");
  status.dataset.state = state;
  const message = liveText(r, "message");
  const advice = liveText(r, "advice");
  status.textContent = message;
  show("#live-advice", Boolean(advice));
  setText("#live-advice", advice || "");
  setText("#live-icon", LIVE_ICON[state]);
  const tare = $("#tare-tag");
  show(tare, r.tare_g !== 0);
  tare.textContent = t("Tare %(weight)s", { weight: grams(r.tare_g) });
  show("#clear-tare-button", r.tare_g !== 0);
  if (state === "unstable") {
    if (!warnedUnsettled && carton) flash("warn", `${message} ${advice || ""}`.trim());
    warnedUnsettled = true;
  } else {
    warnedUnsettled = false;
  }
  maybeCapture();
}

/**
 * A reading's sentence in this page's language. Readings go to every screen of the station at
 * once, so the server sends the English sentence plus its message id and values
 * (`message_i18n`, `advice_i18n`); weights among the values come as grams.
 */
function liveText(r, key) {
  const spec = r[`${key}_i18n`];
  if (!spec || !spec.id) return r[key] || "";
  const values = {};
  for (const [name, value] of Object.entries(spec.values || {})) {
    values[name] = value && typeof value === "object" && "grams" in value ? grams(value.grams) : value;
  }
  return t(spec.id, values);
}

st.socket.on("reading", (r) => {
  if (r && r.station === STATION) onReading(r);
});
st.socket.on("qc_changed", () => {
  if (joined && joined.supervisor) refreshQc();
});

function reverifying() {
  return Boolean(carton && carton.exception && carton.exception.stage === "reverify");
}

/** The scale settled with something on it: record it for the open carton (once per load). */
function maybeCapture() {
  if (!carton || carton.status !== "packed" || !live || reverifying()) return;
  if (live.accepted_g === null || live.accepted_g === undefined) return;
  if (live.accepted_g < MIN_LOAD_G || live.placement === triedPlacement) return;
  triedPlacement = live.placement;
  const code = carton.carton;
  st.run(() => capture(code));
}

async function capture(code) {
  if (!carton || carton.carton !== code) return;
  const ack = await st.ask("capture", { station: STATION, carton: code }, { flashErrors: false });
  if (!ack.ok && ack.error === "not_stable") {
    flash("warn", ack.message);
    return;
  }
  weighed(ack);
}

async function scaleCommand(event) {
  const ack = await st.ask(event, { station: STATION });
  if (!ack.ok) return;
  if (ack.send && ack.send.length && browserScale) await browserScale.write(ack.send);
  if (ack.live) onReading(ack.live);
  flash(true, ack.message);
}

async function simulate(loadG, settles = true) {
  await st.ask("simulate", { station: STATION, load_g: Math.max(0, Math.round(loadG)), settles });
}

function unitWeights() {
  return carton ? carton.lines.map((l) => l.unit_weight_g || 0).filter((g) => g > 0) : [];
}

async function startBrowserScale(settings) {
  const { browserScaleReader } = await import("./scale-browser.js");
  browserScale = browserScaleReader(settings, {
    onBytes: (bytes) => st.socket.emit("scale_data", { station: STATION, data: bytes }),
    onState: (text) => setText("#browser-scale-state", text),
  });
  $("#connect-scale").addEventListener("click", () => st.run(() => browserScale.connect()));
  browserScale.reconnect(); // a kiosk that was allowed the device before needs no tap
}

// ---------------------------------------------------------------- cartons

async function refreshQueue() {
  const ack = await st.call("queue", {});
  if (!ack.ok) return;
  $("#weigh-queue").replaceChildren(
    ...ack.queue.map((row) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "queue-item",
            dataset: { code: row.carton, qc: String(Boolean(row.qc)) },
            onclick: () => st.deliver(row.carton),
          },
          h("span", { class: "queue-code mono" }, row.carton),
          h("span", { class: "queue-meta" }, `${row.carton_type} · ${row.order_number}`),
        ),
      ),
    ),
  );
  setText("#queue-count", ack.queue.length ? `(${ack.queue.length})` : "");
  show("#queue-empty", ack.queue.length === 0);
}

function setCarton(c, blockedMessage = null) {
  // A new carton may already sit on the scale: let it be captured. If that load was the
  // previous carton's, the server refuses it ("take it off").
  if (!c || !carton || c.carton !== carton.carton) triedPlacement = null;
  carton = c;
  show("#carton-panel", Boolean(c));
  show("#weigh-idle", !c);
  if (!c) return;
  const panel = $("#carton-panel");
  panel.dataset.carton = c.carton;
  panel.dataset.status = c.status;
  setText("#carton-code", c.carton);
  setText("#carton-type", c.carton_type);
  setText("#carton-order", c.order_number);
  setText("#carton-status", c.exception ? `✖ ${t("Weight exception")}` : STATUS[c.status] || c.status);
  setText("#carton-tolerance", c.tolerance === "default" ? `±${grams(c.allowed_g)}` : c.tolerance);
  const expected = $("#expected-weight");
  expected.dataset.grams = String(c.expected_weight_g);
  expected.textContent = grams(c.expected_weight_g);
  setText("#allowed-weight", c.allowed_g ? `± ${grams(c.allowed_g)}` : "");
  const exc = c.exception;
  const measured = c.weight_g || (exc ? exc.measured_g : null);
  setText("#measured-weight", measured ? grams(measured) : "—");
  $("#measured-weight").classList.toggle("bad", Boolean(exc));
  show("#blind-warning", Boolean(c.blind_to_unit_g));
  if (c.blind_to_unit_g) {
    setText(
      "#blind-warning",
      `⚠ ${t("±%(allowed)s cannot notice a missing %(unit)s unit: check the contents by eye.", { allowed: grams(c.allowed_g), unit: grams(c.blind_to_unit_g) })}`,
    );
  }
  const blocked =
    blockedMessage ||
    (exc
      ? t("Weight exception open: %(measured)s measured, %(expected)s ± %(allowed)s expected.", {
          measured: grams(exc.measured_g),
          expected: grams(exc.expected_g),
          allowed: grams(exc.allowed_g),
        })
      : null);
  show("#weigh-blocked", Boolean(blocked));
  setText("#weigh-blocked-text", blocked || "");
  showQc(exc);
  renderContents(c);
  $("#weight-input").value = "";
}

function showQc(exc) {
  const open = Boolean(exc && exc.status === "open");
  show("#qc-panel", open);
  if (!open) {
    show("#override-form", false);
    show("#qc-need-supervisor", false);
    return;
  }
  $("#qc-panel").dataset.stage = exc.stage || "open";
  setText("#qc-stage", STAGE[exc.stage] || t("Open"));
  $("#qc-reverify").setAttribute("aria-pressed", String(exc.stage === "reverify"));
  $("#qc-repack").setAttribute("aria-pressed", String(exc.stage === "repack"));
  if (exc.stage === "reverify") {
    setText("#qc-hint", t("Take each unit out, scan it, put it back. Every unit right releases the carton."));
  } else if (exc.stage === "repack") {
    setText("#qc-hint", t("Make the carton match the list below, then put it back on the scale."));
  } else {
    setText(
      "#qc-hint",
      t("Choose one: scan every unit to prove the contents, fix the contents and weigh again, or a supervisor releases it with a reason."),
    );
  }
}

function renderContents(c) {
  const scans = (c.exception && c.exception.stage === "reverify" && c.exception.verify_scans) || null;
  $("#contents-rows").replaceChildren(
    ...c.lines.map((l) => {
      const scanned = scans ? scans[l.sku] || 0 : null;
      return h(
        "tr",
        { class: scans && scanned >= l.qty ? "row-done" : "", dataset: { sku: l.sku, scanned: String(scanned ?? "") } },
        h("td", { class: "mono" }, l.sku),
        h("td", {}, l.name),
        h("td", { class: "num" }, String(l.qty)),
        h("td", { class: "num" }, grams(l.unit_weight_g)),
        h("td", { class: "num" }, scans ? `${scanned} / ${l.qty}` : "—"),
      );
    }),
  );
}

function setLast(ok, text) {
  const last = $("#weigh-last");
  last.dataset.state = ok ? "ok" : "error";
  last.className = `panel ${ok ? "panel-ok" : "panel-error"}`;
  setText("#weigh-last-icon", ok ? "✔" : "✖");
  setText("#weigh-last-text", text);
  show(last, true);
}

async function open(code, { quiet = false } = {}) {
  const ack = await st.ask("open", { code });
  if (!ack.ok) return;
  setCarton(ack.carton);
  show("#weigh-last", false);
  if (quiet) return;
  const c = ack.carton;
  if (c.status === "shipped") {
    flash("warn", t("Carton %(carton)s has already shipped.", { carton: c.carton }));
  } else if (c.status === "weighed") {
    flash("warn", t("Carton %(carton)s was already weighed (%(weight)s). Weigh again to replace it.", { carton: c.carton, weight: grams(c.weight_g) }));
  } else if (c.exception) {
    flash("warn", t("Carton %(carton)s has a weight exception: re-verify, repack or ask a supervisor.", { carton: c.carton }));
  } else {
    flash(true, t("Carton %(carton)s: expected %(weight)s. Put it on the scale.", { carton: c.carton, weight: grams(c.expected_weight_g) }));
  }
  maybeCapture();
}

/** The answer to a weight (captured or typed). */
function weighed(ack) {
  if (ack.ok) {
    flash(true, ack.message);
    setLast(true, `${ack.carton ? ack.carton.carton : ""}: ${ack.message}`);
    setCarton(null);
    refreshQueue();
    return;
  }
  flash(false, ack.message);
  if (ack.carton) setCarton(ack.carton, ack.message);
  if (ack.measured_g) {
    setText("#measured-weight", grams(ack.measured_g));
    $("#measured-weight").classList.add("bad");
  }
  if (ack.result === "weight_out_of_tolerance") {
    refreshQueue();
    $("#qc-panel").scrollIntoView({ block: "nearest" });
  }
}

async function record(weightG) {
  if (!carton) {
    flash("warn", t("Scan a carton first."));
    return;
  }
  if (!Number.isInteger(weightG) || weightG <= 0) {
    flash(false, t("Type the weight in whole grams, more than 0."));
    return;
  }
  const ack = await st.ask(
    "weight",
    { station: STATION, carton: carton.carton, weight_g: weightG, source: "manual" },
    { flashErrors: false },
  );
  weighed(ack);
}

// ---------------------------------------------------------------- QC exception

async function startReverify({ quiet = false } = {}) {
  const ack = await st.ask("reverify", { station: STATION, carton: carton.carton });
  if (!ack.ok) return false;
  setCarton(ack.carton);
  if (!quiet) flash(true, ack.message);
  return true;
}

async function verifyScan(code) {
  const ack = await st.ask("verify_scan", { station: STATION, carton: carton.carton, code }, { flashErrors: false });
  flash(ack.ok ? true : false, ack.message);
  if (ack.result === "reverified") {
    setLast(true, `${carton.carton}: ${ack.message}`);
    setCarton(null);
    refreshQueue();
    return;
  }
  if (ack.carton) setCarton(ack.carton);
}

async function repack() {
  const ack = await st.ask("repack", { station: STATION, carton: carton.carton });
  if (!ack.ok) return;
  setCarton(ack.carton);
  flash(true, ack.message);
}

function askOverride() {
  const supervisor = Boolean(joined && joined.supervisor);
  show("#override-form", supervisor);
  show("#qc-need-supervisor", !supervisor);
  if (supervisor) $("#override-reason").focus();
  else flash("warn", t("A supervisor decides: ask one to scan their badge at this station."));
}

async function override() {
  const reason = $("#override-reason").value;
  const note = $("#override-note").value.trim();
  const ack = await st.ask("override", { station: STATION, carton: carton.carton, reason, note });
  if (!ack.ok) return;
  flash(true, ack.message);
  setLast(true, ack.message);
  $("#override-form").reset();
  show("#override-form", false);
  setCarton(null);
  refreshQueue();
}

// ---------------------------------------------------------------- supervisors

async function refreshQc() {
  const ack = await st.call("qc", {});
  if (!ack.ok) return;
  $("#qc-exceptions").replaceChildren(
    ...ack.exceptions.map((e) =>
      h(
        "tr",
        { dataset: { carton: e.carton, exception: String(e.id) } },
        h("td", {}, h("button", { type: "button", class: "btn btn-small mono", onclick: () => st.deliver(e.carton) }, e.carton)),
        h("td", {}, e.order_number),
        h("td", { class: "num" }, grams(e.expected_g)),
        h("td", { class: "num" }, grams(e.measured_g)),
        h("td", {}, e.station),
        h("td", {}, STAGE[e.stage] || t("Open")),
      ),
    ),
  );
  setText("#qc-count", ack.exceptions.length ? `(${ack.exceptions.length})` : "");
  show("#qc-none", ack.exceptions.length === 0);
  $("#proposals").replaceChildren(
    ...ack.proposals.map((p) =>
      h(
        "tr",
        { dataset: { sku: p.sku, proposal: String(p.id) } },
        h("td", {}, h("span", { class: "mono" }, p.sku), " ", h("span", { class: "muted" }, p.name)),
        h("td", { class: "num" }, grams(p.master_g)),
        h("td", { class: "num" }, `${grams(p.proposed_g)} (${p.difference_g > 0 ? "+" : ""}${p.difference_g} g)`),
        h("td", { class: "num" }, String(p.cartons.length)),
        h(
          "td",
          {},
          h("button", { type: "button", class: "btn btn-small btn-primary", dataset: { action: "approve" }, onclick: () => st.run(() => decide(p.id, true)) }, `✔ ${t("Use it")}`),
          " ",
          h("button", { type: "button", class: "btn btn-small", dataset: { action: "reject" }, onclick: () => st.run(() => decide(p.id, false)) }, `✖ ${t("Reject")}`),
        ),
      ),
    ),
  );
  setText("#proposal-count", ack.proposals.length ? `(${ack.proposals.length})` : "");
  show("#proposals-none", ack.proposals.length === 0);
}

async function decide(proposalId, approve) {
  const ack = await st.ask("decide", { proposal_id: proposalId, approve });
  if (!ack.ok) return;
  flash(true, ack.message);
  await refreshQc();
}

// ---------------------------------------------------------------- wiring

$("#weight-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#weight-input");
  const value = input.value.trim();
  input.blur(); // the next carton is scanned with the wedge, not typed into this field
  st.run(() => record(/^\d+$/.test(value) ? Number(value) : Number.NaN));
});

$("#override-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("#override-note").blur();
  st.run(() => override());
});

$("#qc-reverify").addEventListener("click", () => st.run(() => startReverify()));
$("#qc-repack").addEventListener("click", () => st.run(() => repack()));
$("#qc-override").addEventListener("click", () => st.run(async () => askOverride()));
$("#zero-button").addEventListener("click", () => st.run(() => scaleCommand("zero")));
$("#tare-button").addEventListener("click", () => st.run(() => scaleCommand("tare")));
$("#clear-tare-button").addEventListener("click", () => st.run(() => scaleCommand("clear_tare")));

if ($("#simulator")) {
  const noise = () => Math.round((Math.random() * 2 - 1) * 3);
  const expected = () => (carton ? carton.expected_weight_g : 1000);
  $("#sim-carton").addEventListener("click", () => st.run(() => simulate(expected() + noise())));
  $("#sim-heavy").addEventListener("click", () =>
    st.run(() => simulate(expected() + Math.max(250, ...unitWeights()))),
  );
  $("#sim-light").addEventListener("click", () => {
    const lightest = Math.min(...unitWeights(), 250);
    st.run(() => simulate(Math.max(MIN_LOAD_G, expected() - lightest)));
  });
  $("#sim-shaky").addEventListener("click", () => st.run(() => simulate(expected(), false)));
  $("#sim-off").addEventListener("click", () => st.run(() => simulate(0)));
}

st.onScan(async (code) => {
  const isCarton = CARTON_CODE.test(code);
  if (carton && !isCarton && carton.exception && carton.status === "packed") {
    // A unit taken out of a carton with a weight exception: re-verify by scan.
    if (!reverifying() && !(await startReverify({ quiet: true }))) return;
    await verifyScan(code);
    return;
  }
  if (carton && isCarton && code.toUpperCase() === carton.carton) {
    flash(
      "warn",
      carton.exception
        ? t("Carton %(carton)s: put it on the scale to weigh it again, or choose an option.", { carton: carton.carton })
        : t("Carton %(carton)s is open: put it on the scale.", { carton: carton.carton }),
    );
    return;
  }
  await open(code);
});
