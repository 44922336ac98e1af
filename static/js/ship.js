// Ship: scan a weighed carton, see the quotes (cheapest suitable one recommended), ship it
// and print its label. Shipping is idempotent: a carton keeps its tracking number.

import { $, flash, grams, h, money, poller, setText, show, station } from "./station.js";

let carton = null;

const st = station("/ship", {
  onSignedIn: async () => {
    queuePoll.start();
    if (carton) await open(carton.carton, { quiet: true });
  },
  onSignedOut: () => {
    queuePoll.stop();
    show("#shipped", false);
    setCarton(null);
  },
});

const queuePoll = poller(refreshQueue, 5000);

async function refreshQueue() {
  const ack = await st.call("queue", {});
  if (!ack.ok) return;
  $("#ship-queue").replaceChildren(
    ...ack.queue.map((row) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "queue-item",
            dataset: { code: row.carton },
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

function selectedService() {
  const checked = document.querySelector('input[name="service"]:checked');
  return checked ? checked.value : null;
}

function setCarton(c) {
  carton = c;
  show("#carton-panel", Boolean(c));
  show("#ship-idle", !c && $("#shipped").hidden);
  if (!c) return;
  const panel = $("#carton-panel");
  panel.dataset.carton = c.carton;
  panel.dataset.status = c.status;
  setText("#carton-code", c.carton);
  setText("#carton-status", c.tracking_number ? `Shipped · ${c.tracking_number}` : c.status);
  setText("#carton-order", c.order_number);
  setText("#carton-country", c.country);
  setText("#carton-level", c.service_level);
  setText("#carton-weight", grams(c.weight_g || c.expected_weight_g));
  setText("#carton-dims", c.dims_mm ? `${c.dims_mm.join(" × ")} mm` : "");
  show("#blocked", Boolean(c.blocked));
  setText("#blocked-text", c.blocked || "");

  const recommended = c.recommended ? c.recommended.service : null;
  const chosen = c.service || recommended;
  const quotes = c.quotes || [];
  $("#quotes").replaceChildren(
    ...quotes.map((q) => {
      const id = `svc-${q.service}`;
      const isRecommended = q.service === recommended;
      return h(
        "tr",
        {
          class: isRecommended ? "row-recommended" : "",
          dataset: { service: q.service },
          // The whole row is the touch target, not just the radio button.
          onclick: (event) => {
            const radio = event.currentTarget.querySelector("input");
            if (radio && !radio.disabled) radio.checked = true;
          },
        },
        h(
          "td",
          {},
          h("input", {
            type: "radio",
            name: "service",
            id,
            value: q.service,
            checked: q.service === chosen,
            disabled: Boolean(c.tracking_number),
          }),
        ),
        h("td", {}, h("label", { for: id }, q.carrier)),
        h(
          "td",
          {},
          h("label", { for: id }, q.service_name, " ", h("span", { class: "mono muted" }, q.service)),
          isRecommended ? h("span", { class: "tag tag-go" }, "★ Recommended") : null,
        ),
        h("td", { class: "num" }, String(q.transit_days)),
        h("td", { class: "num" }, money(q.price_minor, q.currency)),
      );
    }),
  );
  show("#no-quotes", quotes.length === 0);
  const button = $("#ship-button");
  button.disabled = Boolean(c.blocked) && !c.tracking_number;
  button.textContent = c.tracking_number ? "Reprint label" : "Ship & print label";
}

async function open(code, { quiet = false } = {}) {
  const ack = await st.ask("open", { code });
  if (!ack.ok) return;
  show("#shipped", false);
  setCarton(ack.carton);
  if (quiet) return;
  if (ack.carton.tracking_number) {
    flash("warn", `Carton ${ack.carton.carton} already shipped: tracking ${ack.carton.tracking_number}.`);
  } else if (ack.carton.blocked) {
    flash("warn", ack.carton.blocked);
  } else {
    flash(true, `Carton ${ack.carton.carton}: check the service, then ship.`);
  }
}

async function ship() {
  if (!carton) {
    flash("warn", "Scan a carton first.");
    return;
  }
  if (carton.blocked && !carton.tracking_number) {
    flash(false, carton.blocked);
    return;
  }
  const service = selectedService();
  const payload = { carton: carton.carton };
  if (service) payload.service = service;
  const ack = await st.ask("ship", payload);
  if (!ack.ok) return;
  const c = ack.carton;
  setText("#shipped-carton", c.carton);
  setText("#tracking-number", c.tracking_number);
  setText("#shipped-service", `${c.carrier} · ${c.service}${c.reprint ? " · reprint" : ""}`);
  const link = $("#label-link");
  link.href = ack.label_url;
  $("#shipped").dataset.carton = c.carton;
  show("#shipped", true);
  setCarton(null);
  flash(true, c.reprint ? `Reprint: tracking ${c.tracking_number}.` : ack.message);
  refreshQueue();
}

$("#ship-button").addEventListener("click", () => st.run(ship));

st.onScan(async (code) => {
  if (carton && code.toUpperCase() === carton.carton) {
    await ship(); // the same carton scanned again confirms
    return;
  }
  await open(code);
});
