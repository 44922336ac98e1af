// Pack: scan a tote, verify every unit (by scanner or camera), then scan (or confirm) the
// recommended carton; the slip, the content label and a photo of the carton follow.
//
// A tote holding several orders is sorted: each unit goes to the slot the server names.
// A carton other than the recommended one asks for a reason (buttons, or an OVR-<REASON> scan).

import { formatTime, t } from "./i18n.js";
import { $, flash, grams, h, money, newScanId, poller, setText, show, station } from "./station.js";
import { packCamera } from "./pack-camera.js";
import { firstShift } from "./first-shift-panel.js";

const TOTE = /^T\d{4,6}$|^T\d{6}[0-9A-Z]$/i; // bare, or a label with its check character
const CARTON_TYPE = /^BOX-/i;
const REASON = /^OVR-([A-Z_]+)$/i;
const STATION_KEY = "dockhand.pack.station";
const RETRY_WINDOW_MS = 60000;
const SOUNDS = {
  unit_ok: "item_ok",
  wrong_item: "wrong_item",
  over_scan: "over_pick",
  cancelled_unit: "cancelled",
  cancelled: "cancelled",
  on_hold: "on_hold",
};
const BLOCKED_TITLES = {
  on_hold: t("ON HOLD: do not pack"),
  cancelled: t("CANCELLED: do not pack"),
  not_ready: t("Not ready to pack"),
};

let order = null; // the open order, or null when waiting for a tote
let tote = null; // the multi-order tote being sorted, or null
let pendingOverride = null; // {carton, recommended} while asking why
let lastCarton = null; // {code, allocationId} of the carton just closed
let lastTimeout = null; // a unit scan whose answer was lost: {code, id, at}

/** This pack bench's station id (for its camera): ?station=PACK-1, remembered on the device. */
function stationId() {
  try {
    const fromUrl = new URLSearchParams(location.search).get("station");
    if (fromUrl) localStorage.setItem(STATION_KEY, fromUrl);
    return fromUrl || localStorage.getItem(STATION_KEY) || "";
  } catch {
    return "";
  }
}
const STATION = stationId();

const st = station("/pack", {
  onSignedIn: async () => {
    await fs.refresh(); // new here? hints on, and a practice wave on offer
    if (!order) fs.hint(fs.idleHint);
    queuePoll.start();
    await camera.setup();
    if (tote) await open(tote.code, { quiet: true });
    else if (order) await open(order.allocation_id, { quiet: true }); // refresh after a reconnect
  },
  onSignedOut: () => {
    fs.clear();
    queuePoll.stop();
    camera.stop();
    show("#carton-done", false);
    setTote(null);
    setOrder(null);
  },
});

const camera = packCamera({
  st,
  station: STATION,
  target: () => scanTarget(),
  onAnswer: (answer) => cameraAnswer(answer),
});

const queuePoll = poller(refreshQueue, 5000);

async function refreshQueue() {
  const ack = await st.call("queue", {});
  if (!ack.ok) return;
  const list = $("#pack-queue");
  list.replaceChildren(
    ...ack.queue.map((row) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "queue-item",
            dataset: { code: row.tote, allocationId: row.allocation_id },
            onclick: () => st.deliver(row.tote),
          },
          h("span", { class: "queue-code mono" }, row.tote),
          h("span", { class: "queue-meta" }, `${row.order_number} · ${row.status}`),
        ),
      ),
    ),
  );
  setText("#queue-count", ack.queue.length ? `(${ack.queue.length})` : "");
  show("#queue-empty", ack.queue.length === 0);
}

// ---------------------------------------------------------------- rendering

function scanTarget() {
  if (tote && tote.multi) return { tote: tote.code };
  if (order) return { allocation_id: order.allocation_id };
  return null;
}

function setBlocked(blocked) {
  const panel = $("#blocked");
  panel.dataset.kind = blocked ? blocked.kind : "";
  show(panel, Boolean(blocked));
  if (!blocked) return;
  setText("#blocked-title", BLOCKED_TITLES[blocked.kind] || t("Stop"));
  setText("#blocked-text", blocked.message);
}

function setTote(next) {
  tote = next && next.multi ? next : null;
  show("#tote-panel", Boolean(tote));
  if (!tote) {
    show("#sort-to", false);
    return;
  }
  setText("#tote-code", tote.code);
  setText("#tote-count", tote.orders.length);
  $("#tote-orders").replaceChildren(
    ...tote.orders.map((o) =>
      h(
        "li",
        {
          class: `tote-order${o.blocked ? " blocked" : ""}${o.all_verified ? " done" : ""}`,
          dataset: { slot: o.slot, allocationId: o.allocation_id, status: o.status },
        },
        h("span", { class: "slot-letter" }, o.slot),
        h("span", { class: "mono" }, o.order_number),
        h("span", { class: "meta" }, t("%(verified)s / %(units)s verified", { verified: o.verified, units: o.units })),
        o.blocked
          ? h("span", { class: "tag tag-bad" }, `⛔ ${o.blocked.kind === "on_hold" ? t("on hold: set aside") : t("cancelled: set aside")}`)
          : o.all_verified
            ? h("span", { class: "tag tag-go" }, `✔ ${t("all verified")}`)
            : null,
      ),
    ),
  );
}

function svgUrl(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function renderRecommendation(o) {
  const rec = o.recommendation;
  const ready = o.all_verified && o.loose_units > 0 && !o.blocked;
  const hasCarton = Boolean(rec && rec.code);
  show("#recommendation", Boolean(ready && hasCarton));
  const unfit = rec && rec.unfit && rec.unfit.length;
  show("#no-carton", Boolean(rec && (!rec.code || unfit) && !o.blocked));
  if (rec && (!rec.code || unfit)) setText("#no-carton-why", rec.why);
  const early = $("#rec-early");
  show(early, Boolean(hasCarton && !ready && !o.blocked));
  if (hasCarton) setText(early, t("Box: %(label)s", { label: rec.label }));
  if (!ready || !hasCarton) {
    if (!pendingOverride) show("#override", false);
    return;
  }
  const count = rec.cartons.length;
  setText("#rec-code", rec.code);
  setText("#rec-name", `(${rec.name})`);
  setText("#rec-why", rec.why);
  setText(
    "#rec-plan",
    count > 1
      ? t("Carton 1 of %(count)s (%(label)s): %(units)s. Total %(total)s.", {
          count,
          label: rec.label,
          units: describeSkus(rec.cartons[0].skus),
          total: money(rec.total_minor, rec.currency),
        })
      : t("Total %(total)s (carton + carrier rate).", { total: money(rec.total_minor, rec.currency || "GBP") }),
  );
  setText("#confirm-carton", t("Confirm carton %(code)s", { code: rec.code }));
  $("#rec-diagrams").replaceChildren(
    ...rec.cartons.map((c) =>
      h(
        "figure",
        { class: "diagram-figure", dataset: { carton: c.code, index: String(c.index) } },
        h("img", {
          class: "diagram",
          src: svgUrl(c.diagram_svg),
          alt: t("Placement diagram, carton %(index)s %(code)s: %(units)s unit(s), layer by layer", { index: c.index, code: c.code, units: c.units }),
          dataset: { testid: "diagram" },
        }),
        h("figcaption", { class: "meta" }, `${c.index}. ${c.code} · ${t("%(units)s unit(s)", { units: c.units })} · ${grams(c.gross_g)}`),
      ),
    ),
  );
  $("#rec-alternatives").replaceChildren(
    ...[rec.option, ...rec.alternatives].filter(Boolean).map((alt, i) =>
      h(
        "tr",
        { class: i === 0 ? "row-recommended" : "" },
        h("td", {}, `${i === 0 ? "✔ " : ""}${alt.label}`),
        h("td", { class: "num" }, money(alt.carton_cost_minor, rec.currency || "GBP")),
        h("td", { class: "num" }, alt.rated ? money(alt.rate_minor, rec.currency || "GBP") : t("no rate")),
        h("td", { class: "num" }, money(alt.total_minor, rec.currency || "GBP")),
      ),
    ),
  );
}

function describeSkus(skus) {
  return Object.entries(skus || {})
    .map(([sku, n]) => `${n} × ${sku}`)
    .join(", ");
}

// First shift: the hint line and the PRACTICE marker follow the order (first-shift-panel.js).
const fs = firstShift(st, {
  onChange: () => {
    setTote(null);
    setOrder(null);
  },
});

function setOrder(o) {
  order = o;
  fs.practice(Boolean(o && o.practice));
  fs.hint(o ? o.hint : fs.idleHint);
  show("#order", Boolean(o));
  setBlocked(o ? o.blocked : null);
  show("#pack-idle", !o && !tote && $("#carton-done").hidden);
  if (!o) {
    pendingOverride = null;
    show("#override", false);
    return;
  }
  const panel = $("#order");
  panel.dataset.allocationId = o.allocation_id;
  panel.dataset.allVerified = String(Boolean(o.all_verified));
  panel.dataset.status = o.status;
  setText("#order-number", o.order_number);
  setText("#order-tote", o.tote || (tote ? tote.code : "—"));
  const slot = tote ? tote.orders.find((t) => t.allocation_id === o.allocation_id) : null;
  show("#order-slot", Boolean(slot));
  if (slot) setText("#order-slot", t("Slot %(slot)s", { slot: slot.slot }));
  const picked = o.lines.reduce((n, ln) => n + ln.picked, 0);
  const verified = o.lines.reduce((n, ln) => n + Math.min(ln.verified, ln.picked), 0);
  setText("#order-progress", t("%(verified)s / %(units)s verified", { verified, units: picked }));
  show("#gift-message", Boolean(o.gift_message));
  setText("#gift-text", o.gift_message || "");
  $("#history-link").href = o.history_url;

  const notices = $("#notices");
  notices.replaceChildren(
    ...(o.notices || []).map((n) =>
      h("li", { class: `notice notice-${n.kind}`, dataset: { kind: n.kind, sku: n.sku } },
        h("span", { "aria-hidden": "true" }, n.kind === "missing" ? "⚠ " : "↩ "), n.message),
    ),
  );
  show(notices, Boolean(o.notices && o.notices.length));

  $("#pack-lines").replaceChildren(
    ...o.lines.map((ln) => {
      const done = ln.verified >= ln.picked;
      const extra = [];
      if (ln.short) extra.push(t("%(n)s missing (short)", { n: ln.short }));
      if (ln.cancelled_in_tote) extra.push(t("%(n)s cancelled: take out", { n: ln.cancelled_in_tote }));
      else if (ln.cancelled) extra.push(t("%(n)s cancelled", { n: ln.cancelled }));
      return h(
        "tr",
        {
          class: `${done ? "row-done" : ""}${extra.length ? " row-exception" : ""}`,
          dataset: {
            sku: ln.sku,
            barcode: ln.barcode,
            picked: String(ln.picked),
            verified: String(ln.verified),
            short: String(ln.short),
            cancelled: String(ln.cancelled),
          },
        },
        h("td", {}, ln.sku),
        h("td", {}, ln.name),
        h("td", { class: "mono" }, ln.barcode),
        h("td", { class: "num" }, `${ln.verified} / ${ln.picked} `, h("span", { "aria-hidden": "true" }, done ? "✔" : "")),
        h("td", { class: "exception" }, extra.join(" · ")),
      );
    }),
  );

  renderRecommendation(o);
  const rec = o.recommendation;
  const ready = o.all_verified && o.loose_units > 0 && !o.blocked;
  if (o.blocked) setText("#pack-prompt", t("Stop: this order must not be packed."));
  else if (ready && rec && rec.code) setText("#pack-prompt", t("All units verified. Close the carton."));
  else if (ready && rec) setText("#pack-prompt", t("All units verified."));
  else setText("#pack-prompt", t("Scan each unit"));
  if ($("#history").open) loadHistory();
}

// ---------------------------------------------------------------- actions

async function open(code, { quiet = false } = {}) {
  const ack = await st.ask("open", { code }, { flashErrors: false });
  if (!ack.ok) {
    flash(false, ack.message || ack.error, { sound: SOUNDS[ack.error] || null });
    return;
  }
  show("#carton-done", false);
  setTote(ack.tote);
  setOrder(ack.order);
  show("#pack-idle", !ack.order && !tote);
  if (quiet) return;
  if (tote) {
    flash(true, t("Tote %(tote)s: %(n)s orders. Scan each unit and put it in the slot shown.", { tote: tote.code, n: tote.orders.length }));
  } else flash(true, t("Order %(order)s open: scan each unit.", { order: ack.order.order_number }));
}

function scanId(code) {
  if (lastTimeout && lastTimeout.code === code && Date.now() - lastTimeout.at < RETRY_WINDOW_MS) {
    return lastTimeout.id;
  }
  return newScanId();
}

/** Show one unit scan's answer (from the scanner or the camera). */
function showUnitAnswer(ack, { camera: fromCamera = false } = {}) {
  if (ack.tote) setTote(ack.tote);
  if (ack.order) setOrder(ack.order);
  const slot = ack.slot && tote ? ack.slot : null;
  const sortTo = $("#sort-to");
  show(sortTo, Boolean(slot));
  if (slot) {
    sortTo.dataset.slot = slot;
    setText("#sort-slot", slot);
    setText("#sort-order", ack.order ? t("order %(order)s", { order: ack.order.order_number }) : "");
  }
  let message = ack.message || ack.error || t("Rejected.");
  const rec = order && order.all_verified && !order.blocked && order.recommendation;
  if (ack.ok && rec && rec.code) message = `${message} ${t("All verified: scan the carton %(code)s.", { code: rec.code })}`;
  if (fromCamera) message = t("Camera: %(message)s", { message });
  flash(ack.ok, message, { sound: SOUNDS[ack.result] || null });
}

async function scanUnit(code) {
  const target = scanTarget();
  if (!target) {
    flash("warn", t("Scan a tote first."));
    return;
  }
  const id = scanId(code);
  const ack = await st.ask("scan", { ...target, code, client_scan_id: id }, { flashErrors: false });
  if (ack.error === "timeout") lastTimeout = { code, id, at: Date.now() };
  else if (lastTimeout && lastTimeout.id === id) lastTimeout = null;
  // A replayed answer (the same scan after a lost ack) may carry no order: reload it.
  if (ack.replayed && !ack.order) await open(tote ? tote.code : order.allocation_id, { quiet: true });
  showUnitAnswer(ack);
}

function cameraAnswer(answer) {
  if (answer.tote) setTote(answer.tote);
  for (const result of answer.results || []) showUnitAnswer(result, { camera: true });
  if (answer.order) setOrder(answer.order);
}

function askOverride(carton) {
  const rec = order.recommendation;
  pendingOverride = { carton, recommended: rec.label };
  const panel = $("#override");
  panel.dataset.carton = carton;
  setText("#override-carton", carton);
  setText("#override-recommended", rec.label);
  setText("#override-back", rec.code);
  show("#override-note-form", false);
  show(panel, true);
  flash("warn", t("%(carton)s is not the recommended %(label)s. Choose why (1–5 then Enter), or scan %(code)s.", { carton, label: rec.label, code: rec.code }));
}

async function cartonScanned(code) {
  const carton = code.toUpperCase();
  const rec = order.recommendation;
  const planned = rec && rec.cartons ? rec.cartons.map((c) => c.code) : [];
  if (!rec || !rec.code || planned.includes(carton)) {
    await closeCarton(carton);
    return;
  }
  askOverride(carton);
}

async function closeCarton(carton, reason = null, note = null) {
  const payload = { allocation_id: order.allocation_id, carton_type: carton.toUpperCase() };
  if (STATION) payload.station = STATION;
  if (reason) {
    payload.reason = reason;
    if (note) payload.note = note;
  }
  const ack = await st.ask(reason ? "override_carton" : "close_carton", payload);
  if (!ack.ok) return;
  pendingOverride = null;
  show("#override", false);
  const c = ack.carton;
  lastCarton = { code: c.code, allocationId: ack.order.allocation_id };
  const done = $("#carton-done");
  done.dataset.carton = c.code;
  setText("#carton-code", c.code);
  setText("#carton-type", c.carton_type);
  setText("#carton-weight", grams(c.expected_weight_g));
  setText("#carton-order", ack.order.order_number);
  $("#slip-link").href = c.slip_url || `/pack/slip/${encodeURIComponent(ack.order.allocation_id)}.pdf`;
  $("#label-link").href = c.label_url;
  const override = c.override;
  show("#carton-override", Boolean(override));
  if (override) {
    const facts = { chosen: override.chosen, recommended: override.recommended, reason: override.reason_label };
    setText(
      "#carton-override",
      override.extra_cost_minor
        ? t("Override recorded: %(chosen)s instead of %(recommended)s: %(reason)s (+%(extra)s against the recommendation).", {
            ...facts,
            extra: money(override.extra_cost_minor, "GBP"),
          })
        : t("Override recorded: %(chosen)s instead of %(recommended)s: %(reason)s.", facts),
    );
  }
  show("#carton-photo", false);
  const finished = ack.order.status === "packed";
  setText(
    "#carton-next",
    finished
      ? t("Put the slip in, seal it, send it to weighing. Scan the next tote.")
      : t("More units of this order go in another carton: keep going."),
  );
  show(done, true);
  flash(true, ack.message);
  if (ack.photo) showPhoto(ack.photo);
  else if (ack.photo_error) flash("warn", `${ack.message} ${t("No photo: %(why)s", { why: ack.photo_error })}`);
  else if (camera.mode === "browser") await takePhoto({ quiet: true });
  if (tote && finished) {
    await open(tote.code, { quiet: true });
    show(done, true);
  } else {
    setOrder(finished ? null : ack.order);
  }
  refreshQueue();
}

function showPhoto(photo) {
  show("#carton-photo", true);
  $("#carton-photo-img").src = photo.url;
  setText("#carton-photo-text", t("Photo kept with carton %(carton)s.", { carton: photo.carton || t("(next carton)") }));
}

async function takePhoto({ quiet = false } = {}) {
  const allocationId = lastCarton && !$("#carton-done").hidden ? lastCarton.allocationId : order && order.allocation_id;
  if (!allocationId) {
    flash("warn", t("Open an order (or close a carton) before taking its photo."));
    return;
  }
  const carton = lastCarton && lastCarton.allocationId === allocationId && !$("#carton-done").hidden ? lastCarton.code : null;
  const payload = { allocation_id: allocationId, client_photo_id: newScanId() };
  if (carton) payload.carton = carton;
  if (camera.hasStation) {
    payload.source = "station";
    payload.station = STATION;
  } else {
    const jpeg = await camera.photoJpeg();
    if (!jpeg) {
      pickPhotoFile(payload);
      return;
    }
    payload.source = "browser";
    payload.jpeg = jpeg;
  }
  const ack = await st.ask("photo", payload);
  if (!ack.ok) return;
  showPhoto(ack.photo);
  if (!quiet) flash(true, ack.message);
}

/** No camera running: the device's own camera app through a file input (phones, tablets). */
function pickPhotoFile(payload) {
  const input = h("input", { type: "file", accept: "image/jpeg", capture: "environment", hidden: true });
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    input.remove();
    if (!file) return;
    const ack = await st.ask("photo", { ...payload, source: "browser", jpeg: await file.arrayBuffer() });
    if (ack.ok) {
      showPhoto(ack.photo);
      flash(true, ack.message);
    }
  });
  document.body.append(input);
  input.click();
}

async function loadHistory() {
  if (!order) return;
  const ack = await st.call("history", { allocation_id: order.allocation_id });
  if (!ack.ok) return;
  $("#history-events").replaceChildren(
    ...ack.history.events.map((e) =>
      h(
        "li",
        { class: `history-event${e.ok ? "" : " bad"}`, dataset: { kind: e.kind } },
        h("span", { class: "meta" }, formatTime(e.at, { timeStyle: "medium" })),
        " ",
        h("span", { "aria-hidden": "true" }, e.ok ? "✔ " : "✖ "),
        e.text,
        e.photo_url ? h("a", { href: e.photo_url, target: "_blank", rel: "noopener" }, h("img", { class: "thumb", src: e.photo_url, alt: e.text })) : null,
      ),
    ),
  );
}

// ---------------------------------------------------------------- wiring

$("#confirm-carton").addEventListener("click", () => {
  const code = $("#rec-code").textContent;
  if (code) st.run(() => (order ? closeCarton(code) : undefined));
});

for (const button of document.querySelectorAll("#override-reasons .override-reason")) {
  button.addEventListener("click", () => {
    if (!pendingOverride || !order) return;
    if (button.dataset.note === "required") {
      const form = $("#override-note-form");
      form.dataset.reason = button.dataset.reason;
      show(form, true);
      $("#override-note").focus();
      return;
    }
    st.run(() => closeCarton(pendingOverride.carton, button.dataset.reason));
  });
}

$("#override-note-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#override-note");
  const note = input.value.trim();
  input.blur();
  if (!note || !pendingOverride) return;
  input.value = "";
  st.run(() => closeCarton(pendingOverride.carton, event.target.dataset.reason, note));
});

/** 1–5 then Enter (a keyboard, or a keypad on the wedge) picks an override reason. */
function pickReason(n) {
  const buttons = [...document.querySelectorAll("#override-reasons .override-reason")];
  if (n > buttons.length) return false;
  buttons[n - 1].click();
  return true;
}

$("#photo-button").addEventListener("click", () => st.run(() => takePhoto()));
$("#history").addEventListener("toggle", () => {
  if ($("#history").open) loadHistory();
});

st.onScan(async (code) => {
  const reason = REASON.exec(code);
  const picked = /^[1-9]$/.test(code) && pendingOverride ? pickReason(Number(code)) : null;
  if (picked) return;
  if (reason) {
    if (pendingOverride && order) await closeCarton(pendingOverride.carton, reason[1].toLowerCase());
    else flash("warn", t("A reason code only answers the question why another carton is used."));
    return;
  }
  if (CARTON_TYPE.test(code)) {
    if (order) await cartonScanned(code);
    else flash("warn", t("Scan a tote first, then its units, then the carton."));
    return;
  }
  if ((!order && !tote) || TOTE.test(code)) {
    await open(code);
    return;
  }
  await scanUnit(code);
});
