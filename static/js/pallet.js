// Pallets (/ship/pallet): scan B2B cartons onto a pallet, close it with its weight and height
// and print its SSCC label, then ship a consignee's closed pallets with a bill of lading.
// Everything a scanner can do works without the screen: scan cartons (CT… or their SSCC) to
// build, scan a pallet label (PAL… or its SSCC) to bring a pallet back.

import { formatNumber, t } from "./i18n.js";
import { $, flash, grams, h, setText, show, station } from "./station.js";

const root = $("#pallet-root");
const stationId = root.dataset.stationId || "";
const CURRENT = `dockhand.pallet:${stationId}`;
let pallet = null; // the pallet in front of the shipper (the server's view)

const st = station("/ship", {
  onSignedIn: async () => {
    await refresh();
  },
  onSignedOut: () => {
    render(null);
  },
});

function currentCode() {
  return pallet ? pallet.pallet : sessionStorage.getItem(CURRENT) || "";
}

function remember(view) {
  if (view) sessionStorage.setItem(CURRENT, view.pallet);
  else sessionStorage.removeItem(CURRENT);
}

/** Kilograms with one decimal in the page's language (412,5 in German): shown, and typed back. */
function kg(g) {
  if (g === null || g === undefined) return "";
  return formatNumber(g / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false });
}

const KIND = { single_sku: t("Single SKU"), mixed: t("Mixed") };
const STATUS = { open: t("open"), closed: t("closed"), shipped: t("shipped") };

function render(view) {
  pallet = view;
  remember(view);
  show("#pallet-idle", !view);
  show("#pallet-panel", Boolean(view));
  if (!view) return;
  setText("#pallet-code", view.pallet);
  const status = $("#pallet-status");
  status.textContent = STATUS[view.status] || view.status;
  status.dataset.status = view.status;
  const kind = $("#pallet-kind");
  kind.hidden = !view.kind;
  kind.textContent = KIND[view.kind] || "";
  const to = view.consignee;
  setText("#pallet-consignee", to ? `${to.name}, ${to.city} ${to.country}` : "—");
  setText("#pallet-po", view.po_numbers.length ? view.po_numbers.join(", ") : "—");
  setText("#pallet-content", view.content);
  setText("#pallet-count", view.cartons.length);
  setText("#pallet-units", view.units);
  setText("#pallet-cartons-weight", grams(view.cartons_weight_g));
  const open = view.status === "open";
  $("#pallet-cartons").replaceChildren(
    ...view.cartons.map((c) =>
      h(
        "tr",
        { dataset: { carton: c.carton } },
        h("td", { class: "mono" }, c.carton),
        h("td", { class: "mono" }, c.sscc || "—"),
        h("td", {}, `${c.order_number}${c.po_number ? ` · ${c.po_number}` : ""}`),
        h("td", { class: "num" }, c.units),
        h("td", { class: "num" }, grams(c.weight_g)),
        h(
          "td",
          {},
          open
            ? h(
                "button",
                {
                  type: "button",
                  class: "btn btn-small",
                  onclick: () => st.run(() => removeCarton(c.carton)),
                },
                t("Take off"),
              )
            : null,
        ),
      ),
    ),
  );
  show("#close-form", open && view.cartons.length > 0);
  if (open) {
    const weight = $("#close-weight");
    if (document.activeElement !== weight) weight.value = kg(view.estimated_weight_g);
    setText(
      "#close-estimate",
      t("estimate %(total)s kg: cartons %(cartons)s + pallet %(pallet)s", {
        total: kg(view.estimated_weight_g),
        cartons: kg(view.cartons_weight_g),
        pallet: kg(view.tare_g),
      }),
    );
  }
  const closed = Boolean(view.sscc) && view.status !== "open";
  show("#closed-box", closed);
  if (closed) {
    setText("#pallet-sscc", view.sscc);
    setText(
      "#pallet-measures",
      t("%(weight)s kg gross · %(height)s mm high · %(type)s %(length)s × %(width)s mm", {
        weight: kg(view.weight_g),
        height: view.height_mm,
        type: view.pallet_type,
        length: view.dims_mm[0],
        width: view.dims_mm[1],
      }),
    );
    $("#pallet-label-link").href = view.label_url;
    $("#pallet-zpl-link").href = view.label_zpl_url;
    const bol = $("#pallet-bol-link");
    bol.hidden = !view.bol_url;
    if (view.bol_url) bol.href = view.bol_url;
    show("#reopen-button", view.status === "closed");
  }
}

function renderReady(groups) {
  setText("#ready-count", groups.length ? `(${groups.reduce((n, g) => n + g.pallets.length, 0)})` : "");
  show("#ready-empty", groups.length === 0);
  const options = $("#freight-classes").content;
  $("#ready").replaceChildren(
    ...groups.map((group, n) => {
      const to = group.consignee || {};
      const klass = h("select", { class: "field", name: "freight_class" }, h("option", { value: "" }, t("Class: not given")));
      klass.append(options.cloneNode(true));
      klass.value = group.freight_class || "";
      const form = h(
        "form",
        {
          class: "ready-group",
          dataset: { testid: `ready-${n}` },
          autocomplete: "off",
          onsubmit: (event) => {
            event.preventDefault();
            st.run(() => shipGroup(form));
          },
        },
        h("h3", {}, `${to.name || "?"} · ${to.city || ""} ${to.country || ""}`),
        ...group.pallets.map((p) =>
          h(
            "label",
            {},
            h("input", { type: "checkbox", name: "pallet", value: p.pallet, checked: true }),
            h("span", { class: "mono" }, p.pallet),
            h("span", { class: "meta" }, `${t("%(n)s ctn", { n: p.cartons })} · ${kg(p.weight_g)} kg · ${KIND[p.kind] || ""}`),
          ),
        ),
        h("label", { class: "label" }, t("Freight class"), klass),
        h(
          "label",
          { class: "label" },
          t("Special instructions"),
          h("textarea", { class: "field", name: "instructions" }, group.instructions || ""),
        ),
        h("input", { class: "field", name: "trailer", placeholder: t("Trailer number") }),
        h("input", { class: "field", name: "seal", placeholder: t("Seal number") }),
        h(
          "button",
          { type: "submit", class: "btn btn-primary btn-block", dataset: { testid: "ship-pallets" } },
          t("Ship with bill of lading"),
        ),
      );
      return form;
    }),
  );
}

function renderOpen(rows) {
  show("#open-empty", rows.length === 0);
  $("#open-pallets").replaceChildren(
    ...rows.map((row) =>
      h(
        "li",
        {},
        h(
          "button",
          { type: "button", class: "queue-item", onclick: () => st.deliver(row.pallet) },
          h("span", { class: "queue-code mono" }, row.pallet),
          h("span", { class: "queue-meta" }, row.station || ""),
        ),
      ),
    ),
  );
}

function renderBols(rows) {
  $("#bols").replaceChildren(
    ...rows.map((b) =>
      h(
        "li",
        { dataset: { bol: b.bol } },
        h("span", { class: "closeout-name mono" }, b.bol),
        h("span", { class: "meta" }, `${b.consignee || ""} · ${t("%(n)s plt", { n: b.pallets })} · ${b.carrier} PRO ${b.pro_number || "—"}`),
        h("a", { class: "btn btn-small", href: b.pdf_url, target: "_blank", rel: "noopener" }, t("BOL PDF")),
      ),
    ),
  );
}

async function refresh() {
  const ack = await st.call("pallet_state", { station: stationId, pallet: currentCode() });
  if (!ack.ok) return;
  render(ack.pallet);
  renderOpen(ack.open);
  renderReady(ack.ready);
  renderBols(ack.bols);
}

st.onScan(async (code) => {
  const ack = await st.ask("pallet_scan", { code, pallet: currentCode(), station: stationId });
  if (!ack.ok) return;
  render(ack.pallet);
  flash(ack.result === "already" ? "warn" : true, ack.message);
  await refresh();
});

async function removeCarton(carton) {
  const ack = await st.ask("pallet_remove", { pallet: pallet.pallet, carton });
  if (!ack.ok) return;
  render(ack.pallet);
  flash("warn", ack.message);
}

async function closePallet() {
  const weightText = $("#close-weight").value.trim().replace(",", ".");
  const heightText = $("#close-height").value.trim().replace(",", ".");
  const height = Math.round(Number(heightText) * 10);
  if (!heightText || !Number.isFinite(height) || height <= 0) {
    flash(false, t("Measure the pallet's height (cm) first."));
    $("#close-height").focus();
    return;
  }
  const payload = { pallet: pallet.pallet, height_mm: height, station: stationId };
  if (weightText) {
    const weight = Math.round(Number(weightText) * 1000);
    if (!Number.isFinite(weight) || weight <= 0) {
      flash(false, t("The gross weight is a number of kilograms, like 412.5."));
      return;
    }
    payload.weight_g = weight;
  }
  for (const input of [$("#close-weight"), $("#close-height")]) input.blur();
  const ack = await st.ask("pallet_close", payload);
  if (!ack.ok) return;
  $("#close-height").value = "";
  render(ack.pallet);
  const printed = ack.print || {};
  setText(
    "#pallet-print",
    printed.printed ? t("Printed on %(printer)s.", { printer: printed.printer }) : printed.error || t("Open the PDF and print it."),
  );
  flash(printed.error ? "warn" : true, ack.message);
  await refresh();
}

async function shipGroup(form) {
  const pallets = [...form.querySelectorAll('input[name="pallet"]:checked')].map((i) => i.value);
  if (!pallets.length) {
    flash(false, t("Tick the pallets that go on this truck."));
    return;
  }
  const value = (name) => form.querySelector(`[name="${name}"]`).value.trim();
  const ack = await st.ask(
    "pallet_ship",
    {
      pallets,
      freight_class: value("freight_class"),
      instructions: value("instructions"),
      trailer: value("trailer"),
      seal: value("seal"),
    },
    { timeoutMs: 20000 },
  );
  if (!ack.ok) {
    await refresh();
    return;
  }
  flash(true, ack.message);
  window.open(ack.bol.pdf_url, "_blank", "noopener");
  await refresh();
}

$("#close-form").addEventListener("submit", (event) => {
  event.preventDefault();
  st.run(closePallet);
});

$("#new-pallet").addEventListener("click", () =>
  st.run(async () => {
    const ack = await st.ask("pallet_new", { station: stationId });
    if (!ack.ok) return;
    render(ack.pallet);
    flash(true, ack.message);
    await refresh();
  }),
);

$("#next-pallet").addEventListener("click", () =>
  st.run(async () => {
    render(null);
    flash("info", t("Scan the first carton of the next pallet."), { quiet: true });
  }),
);

$("#reopen-button").addEventListener("click", () =>
  st.run(async () => {
    const ack = await st.ask("pallet_reopen", { pallet: pallet.pallet });
    if (!ack.ok) return;
    render(ack.pallet);
    flash("warn", ack.message);
    await refresh();
  }),
);
