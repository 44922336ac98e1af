// Ship: scan a weighed carton, see the recommended service and the alternatives (with pickup,
// delivery, reliability and why an option is not recommended), ship it and print the label
// (ZPL to the station's printer, else the PDF), reprint or void it, watch the printer, and
// close each carrier's day. Shipping is idempotent: a carton keeps its tracking number.

import { formatDate, t, tn } from "./i18n.js";
import { $, flash, grams, h, money, poller, setText, show, station } from "./station.js";

const stationId = $("#ship-root").dataset.stationId || "";
const STATUS = { packed: t("packed"), weighed: t("weighed"), shipped: t("shipped"), voided: t("voided") };
let carton = null;

const st = station("/ship", {
  onSignedIn: async () => {
    queuePoll.start();
    printerPoll.start();
    await refreshCloseOut();
    if (carton) await open(carton.carton, { quiet: true });
  },
  onSignedOut: () => {
    queuePoll.stop();
    printerPoll.stop();
    show("#shipped", false);
    setCarton(null);
  },
});

const queuePoll = poller(refreshQueue, 5000);
const printerPoll = poller(refreshPrinter, 30000);

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

async function refreshPrinter() {
  const ack = await st.call("printer_status", { station: stationId });
  const box = $("#printer");
  if (!ack.ok) {
    box.dataset.state = "problem";
    setText("#printer-text", ack.message || t("no answer"));
    return;
  }
  const p = ack.printer;
  box.dataset.state = p.ready ? "ready" : "problem";
  box.dataset.kind = p.kind;
  setText("#printer-name", p.printer);
  setText("#printer-text", p.message);
}

function cartons(n) {
  return tn("%(n)s carton", "%(n)s cartons", n, { n });
}

function renderCloseOut(rows) {
  $("#closeout").replaceChildren(
    ...rows.map((row) => {
      const closed = row.closed;
      return h(
        "li",
        { dataset: { carrier: row.carrier } },
        h("span", { class: "closeout-name" }, row.carrier_name),
        closed
          ? h(
              "span",
              { class: "tag tag-go" },
              `✔ ${closed.code} · ${cartons(closed.cartons)}`,
            )
          : h("span", { class: "meta" }, `${cartons(row.open_cartons)} · ${grams(row.open_weight_g)}`),
        row.next_day_cartons ? h("span", { class: "meta" }, t("+%(n)s next day", { n: row.next_day_cartons })) : null,
        closed
          ? h(
              "a",
              { class: "btn btn-small", href: closed.pdf_url, target: "_blank", rel: "noopener" },
              t("Manifest PDF"),
            )
          : h(
              "button",
              {
                type: "button",
                class: "btn btn-small",
                disabled: row.open_cartons === 0,
                dataset: { testid: `close-${row.carrier}` },
                onclick: () => st.run(() => closeOut(row)),
              },
              t("Close day"),
            ),
        closed ? h("a", { class: "btn btn-small btn-quiet", href: closed.csv_url }, "CSV") : null,
      );
    }),
  );
}

async function refreshCloseOut() {
  const ack = await st.call("close_out_summary", {});
  if (ack.ok) renderCloseOut(ack.carriers);
}

async function closeOut(row) {
  if (!window.confirm(t("Close %(carrier)s for today: %(cartons)s?", { carrier: row.carrier_name, cartons: cartons(row.open_cartons) }))) return;
  const ack = await st.ask("close_out", { carrier: row.carrier });
  if (!ack.ok) return;
  renderCloseOut(ack.carriers);
  flash(true, ack.message);
  window.open(ack.manifest.pdf_url, "_blank", "noopener");
}

function selected() {
  const checked = document.querySelector('input[name="service"]:checked');
  if (!checked) return null;
  return { service: checked.value, carrier: checked.dataset.carrier };
}

function updateOverride() {
  const pick = selected();
  const rec = carton && carton.recommended;
  const overriding =
    Boolean(pick && rec && !carton.tracking_number) &&
    (pick.service !== rec.service || pick.carrier !== rec.carrier);
  show("#override", overriding);
}

function quoteRow(q, c, chosen) {
  const id = `svc-${q.carrier}-${q.service}`;
  const classes = [q.recommended ? "row-recommended" : ""];
  if (!q.on_time) classes.push("row-late");
  if (!q.reliable) classes.push("row-unreliable");
  return h(
    "tr",
    {
      class: classes.join(" ").trim(),
      dataset: { service: q.service, carrier: q.carrier },
      // The whole row is the touch target, not just the radio button.
      onclick: (event) => {
        const radio = event.currentTarget.querySelector("input");
        if (radio && !radio.disabled) {
          radio.checked = true;
          updateOverride();
        }
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
        dataset: { carrier: q.carrier },
        checked: q.service === chosen.service && q.carrier === chosen.carrier,
        disabled: Boolean(c.tracking_number),
        onchange: updateOverride,
      }),
    ),
    h("td", {}, h("label", { for: id }, q.carrier_name || q.carrier)),
    h(
      "td",
      {},
      h("label", { for: id }, q.service_name, " ", h("span", { class: "mono muted" }, q.service)),
      q.recommended ? h("span", { class: "tag tag-go" }, `★ ${t("Recommended")}`) : null,
      q.notes && q.notes.length ? h("span", { class: "why" }, q.notes.join("; ")) : null,
    ),
    h("td", {}, q.pickup),
    h("td", {}, q.delivery_on ? formatDate(q.delivery_on, { weekday: "short", day: "numeric", month: "short" }) : "—"),
    h("td", { class: "num" }, `${q.reliability_pct} %`),
    h("td", { class: "num", title: surchargeText(q) }, money(q.price_minor, q.currency)),
  );
}

function surchargeText(q) {
  if (!q.surcharges || !q.surcharges.length) return "";
  const parts = q.surcharges.map((s) => `${s.code} ${money(s.amount_minor, q.currency)}`);
  return `${t("Base %(price)s", { price: money(q.base_minor, q.currency) })} + ${parts.join(" + ")}`;
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
  setText("#carton-status", c.tracking_number ? t("Shipped · %(tracking)s", { tracking: c.tracking_number }) : STATUS[c.status] || c.status);
  setText("#carton-order", c.order_number);
  setText("#carton-country", c.country);
  setText("#carton-level", c.service_level);
  setText("#carton-weight", grams(c.weight_g || c.expected_weight_g));
  setText("#carton-dims", c.dims_mm ? `${c.dims_mm.join(" × ")} mm` : "");
  show("#blocked", Boolean(c.blocked));
  setText("#blocked-text", c.blocked || "");
  const account = c.carrier_account;
  show("#ship-account", Boolean(account));
  setText(
    "#ship-account",
    account
      ? t("Account %(account)s (%(name)s): %(carrier)s services only.", {
          account: account.code,
          name: account.name,
          carrier: account.carrier_name || account.carrier,
        })
      : "",
  );
  show("#shop-warning", Boolean(c.warning) && !c.tracking_number);
  setText("#shop-warning-text", c.warning || "");

  const rec = c.recommended;
  const chosen = c.service
    ? { service: c.service, carrier: c.carrier }
    : rec
      ? { service: rec.service, carrier: rec.carrier }
      : {};
  const quotes = c.quotes || [];
  $("#quotes").replaceChildren(...quotes.map((q) => quoteRow(q, c, chosen)));
  show("#no-quotes", quotes.length === 0);
  updateOverride();
  const button = $("#ship-button");
  button.disabled = Boolean(c.blocked) && !c.tracking_number;
  button.textContent = c.tracking_number ? t("Reprint label") : t("Ship & print label");

  const label = c.label;
  show("#label-actions", Boolean(label));
  show("#void-form", false);
  if (label) {
    setText("#label-tracking", label.tracking_number);
    setText("#label-day", label.ship_day ? formatDate(label.ship_day) : "—");
    setText("#label-manifest", label.manifest ? t("on manifest %(manifest)s", { manifest: label.manifest }) : t("not manifested yet"));
    $("#void-button").disabled = Boolean(label.manifest);
  }
}

async function open(code, { quiet = false } = {}) {
  const ack = await st.ask("open", { code, station: stationId });
  if (!ack.ok) return;
  show("#shipped", false);
  setCarton(ack.carton);
  if (quiet) return;
  if (ack.carton.tracking_number) {
    flash("warn", t("Carton %(carton)s already shipped: tracking %(tracking)s.", { carton: ack.carton.carton, tracking: ack.carton.tracking_number }));
  } else if (ack.carton.blocked) {
    flash("warn", ack.carton.blocked);
  } else if (ack.carton.warning) {
    flash("warn", ack.carton.warning);
  } else {
    flash(true, t("Carton %(carton)s: check the service, then ship.", { carton: ack.carton.carton }));
  }
}

function showShipped(ack) {
  const c = ack.carton;
  setText("#shipped-carton", c.carton);
  setText("#tracking-number", c.tracking_number);
  setText("#shipped-service", `${c.carrier} · ${c.service}${c.reprint ? ` · ${t("reprint")}` : ""}`);
  setText("#shipped-day", c.label && c.label.ship_day ? formatDate(c.label.ship_day) : "—");
  const link = $("#label-link");
  link.href = ack.label_url;
  const result = $("#print-result");
  const p = ack.print || {};
  result.dataset.format = p.format || "pdf";
  result.dataset.printed = p.printed ? "yes" : "no";
  result.className = `callout ${p.error ? "callout-error" : "callout-go"}`;
  setText(
    result,
    p.format === "zpl"
      ? p.printed
        ? `✔ ${t("Printed on %(printer)s.", { printer: p.printer })}`
        : `✖ ${p.error}`
      : t("Open the PDF and print it on the label printer."),
  );
  show(result, true);
  $("#shipped").dataset.carton = c.carton;
  show("#shipped", true);
  setCarton(null);
  flash(p.error ? "warn" : true, ack.message);
}

async function ship() {
  if (!carton) {
    flash("warn", t("Scan a carton first."));
    return;
  }
  if (carton.blocked && !carton.tracking_number) {
    flash(false, carton.blocked);
    return;
  }
  const payload = { carton: carton.carton, station: stationId };
  const pick = selected();
  if (pick && !carton.tracking_number) {
    payload.service = pick.service;
    payload.carrier = pick.carrier;
    const reason = document.querySelector('input[name="override-reason"]:checked');
    if (!$("#override").hidden && reason) payload.override_reason = reason.value;
  }
  const ack = await st.ask("ship", payload);
  if (!ack.ok) return;
  showShipped(ack);
  await Promise.all([refreshQueue(), refreshCloseOut()]);
}

async function reprint(code) {
  const ack = await st.ask("reprint", { carton: code, station: stationId });
  if (!ack.ok) return;
  showShipped(ack);
}

async function voidLabel(event) {
  event.preventDefault();
  if (!carton) return;
  const ack = await st.ask("void", { carton: carton.carton, reason: $("#void-reason").value, station: stationId });
  if (!ack.ok) return;
  setCarton(ack.carton);
  flash("warn", ack.message);
  await Promise.all([refreshQueue(), refreshCloseOut()]);
}

$("#ship-button").addEventListener("click", () => st.run(ship));
$("#reprint-button").addEventListener("click", () => {
  const code = $("#shipped").dataset.carton;
  if (code) st.run(() => reprint(code));
});
$("#carton-reprint").addEventListener("click", () => {
  if (carton) st.run(() => reprint(carton.carton));
});
$("#void-button").addEventListener("click", () => show("#void-form", true));
$("#void-cancel").addEventListener("click", () => show("#void-form", false));
$("#void-form").addEventListener("submit", (event) => st.run(() => voidLabel(event)));
$("#printer-refresh").addEventListener("click", () => st.run(refreshPrinter));

st.onScan(async (code) => {
  if (carton && code.toUpperCase() === carton.carton) {
    await ship(); // the same carton scanned again confirms
    return;
  }
  await open(code);
});
