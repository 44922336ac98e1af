// Pack: scan a tote, verify every unit by scan, scan (or confirm) the recommended carton.

import { $, flash, grams, h, poller, setText, show, station } from "./station.js";

const TOTE = /^T\d{4,6}$/i;
const CARTON_TYPE = /^BOX-/i;

let order = null; // the open order, or null when waiting for a tote

const st = station("/pack", {
  onSignedIn: async () => {
    queuePoll.start();
    if (order) await open(order.allocation_id, { quiet: true }); // refresh after a reconnect
  },
  onSignedOut: () => {
    queuePoll.stop();
    show("#carton-done", false);
    setOrder(null);
  },
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

function setOrder(o) {
  order = o;
  show("#order", Boolean(o));
  show("#pack-idle", !o && $("#carton-done").hidden);
  if (!o) return;
  const panel = $("#order");
  panel.dataset.allocationId = o.allocation_id;
  panel.dataset.allVerified = String(Boolean(o.all_verified));
  setText("#order-number", o.order_number);
  setText("#order-tote", o.tote || "—");
  const picked = o.lines.reduce((n, ln) => n + ln.picked, 0);
  const verified = o.lines.reduce((n, ln) => n + Math.min(ln.verified, ln.picked), 0);
  setText("#order-progress", `${verified} / ${picked} verified`);
  show("#gift-message", Boolean(o.gift_message));
  setText("#gift-text", o.gift_message || "");

  $("#pack-lines").replaceChildren(
    ...o.lines.map((ln) => {
      const done = ln.verified >= ln.picked;
      return h(
        "tr",
        {
          class: done ? "row-done" : "",
          dataset: {
            sku: ln.sku,
            barcode: ln.barcode,
            picked: String(ln.picked),
            verified: String(ln.verified),
          },
        },
        h("td", {}, ln.sku),
        h("td", { class: "mono" }, ln.barcode),
        h("td", { class: "num" }, `${ln.verified} / ${ln.picked} `, h("span", { "aria-hidden": "true" }, done ? "✔" : "")),
      );
    }),
  );

  const rec = o.recommendation;
  const ready = o.all_verified && o.loose_units > 0;
  show("#recommendation", Boolean(ready && rec && rec.code));
  show("#no-carton", Boolean(ready && rec && !rec.code));
  if (ready && rec && rec.code) {
    setText("#rec-code", rec.code);
    setText("#rec-name", rec.name);
    setText("#rec-why", rec.why);
    setText("#confirm-carton", `Confirm carton ${rec.code}`);
    setText("#pack-prompt", "All units verified. Close the carton.");
  } else if (ready && rec) {
    setText("#no-carton-why", rec.why);
    setText("#pack-prompt", "All units verified.");
  } else {
    setText("#pack-prompt", "Scan each unit");
  }
}

async function open(code, { quiet = false } = {}) {
  const ack = await st.ask("open", { code });
  if (!ack.ok) return;
  show("#carton-done", false);
  setOrder(ack.order);
  if (!quiet) flash(true, `Order ${ack.order.order_number} open: scan each unit.`);
}

async function closeCarton(cartonType) {
  const ack = await st.ask("close_carton", {
    allocation_id: order.allocation_id,
    carton_type: cartonType.toUpperCase(),
  });
  if (!ack.ok) return;
  const c = ack.carton;
  const done = $("#carton-done");
  done.dataset.carton = c.code;
  setText("#carton-code", c.code);
  setText("#carton-type", c.carton_type);
  setText("#carton-weight", grams(c.expected_weight_g));
  setText("#carton-order", ack.order.order_number);
  $("#slip-link").href = `/pack/slip/${encodeURIComponent(ack.order.allocation_id)}.pdf`;
  const finished = ack.order.status === "packed";
  setText(
    "#carton-next",
    finished
      ? "Put the slip in, seal it, send it to weighing. Scan the next tote."
      : "More units of this order are still to verify: keep scanning.",
  );
  show(done, true);
  setOrder(finished ? null : ack.order);
  flash(true, ack.message);
  refreshQueue();
}

$("#confirm-carton").addEventListener("click", () => {
  const code = $("#rec-code").textContent;
  if (code) st.run(() => (order ? closeCarton(code) : undefined));
});

st.onScan(async (code) => {
  if (CARTON_TYPE.test(code)) {
    if (order) await closeCarton(code);
    else flash("warn", "Scan a tote first, then its units, then the carton.");
    return;
  }
  if (!order || TOTE.test(code)) {
    await open(code);
    return;
  }
  const ack = await st.askScan("scan", { allocation_id: order.allocation_id, code }, code);
  if (ack.order) setOrder(ack.order);
  // A replayed answer (the same scan after a lost ack) carries no order: reload it.
  else if (ack.replayed) await open(order.allocation_id, { quiet: true });
  if (!ack.ok) return;
  const rec = order && order.all_verified && order.recommendation;
  if (rec && rec.code) {
    flash(true, `${ack.message} All verified: scan the carton ${rec.code}.`);
  } else {
    flash(true, ack.message);
  }
});
