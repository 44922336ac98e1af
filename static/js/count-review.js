// Count review (supervisors): the counts waiting for a decision with expected, every count,
// the variance in units and value; approve with a reason code (the ledger changes, the audit
// log records it) or reject (the bin is counted again). Also: request a count, see the queue.

import { t } from "./i18n.js";
import { $, flash, h, money, poller, setText, show, station, time } from "./station.js";

const SOURCES = { short_pick: t("short pick"), request: t("requested"), schedule: t("cycle schedule"), recount: t("recount") };
const OUTCOMES = {
  match: t("matched"),
  recount: t("differed: recounted"),
  system: t("recount agreed with the system"),
  tolerance: t("within tolerance"),
  confirmed: t("two counts agree"),
  disputed: t("counts disagree"),
  approved: t("approved"),
  rejected: t("rejected: counted again"),
};

let reasons = [];
let currency = "GBP";
const cards = new Map(); // task id -> card element (kept across refreshes: its form keeps its input)

const st = station("/count_review", {
  onSignedIn: async () => {
    await refresh();
    fallback.start(false);
  },
  onSignedOut: () => fallback.stop(),
});

// The server nudges on every count and decision; a slow poll covers a missed nudge.
const fallback = poller(() => refresh(), 15000);
st.socket.on("changed", () => {
  if (st.user) refresh();
});

async function refresh() {
  const ack = await st.call("reviews", {});
  if (ack.ok) render(ack);
}

function signed(n) {
  return n > 0 ? `+${n}` : String(n);
}

function varianceCell(n) {
  return h("td", { class: `num ${n < 0 ? "variance-minus" : n > 0 ? "variance-plus" : ""}`, dataset: { testid: "variance" } }, signed(n));
}

function valueText(minor) {
  return minor === null || minor === undefined ? "—" : money(minor, currency);
}

function reviewTable(r) {
  const heads = r.counts.map((c, i) => h("th", { class: "num" }, i === 0 ? t("Count") : t("Recount %(n)s", { n: i }), h("br"), h("span", { class: "hint" }, c.counter || "")));
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "table" },
      h(
        "thead",
        {},
        h("tr", {}, h("th", {}, t("Item")), h("th", {}, t("Lot")), h("th", { class: "num" }, t("Expected")), ...heads, h("th", { class: "num" }, t("Variance")), h("th", { class: "num" }, t("Value")), h("th", { class: "num" }, t("On hand now / held"))),
      ),
      h(
        "tbody",
        {},
        ...r.lines.map((ln) =>
          h(
            "tr",
            { dataset: { item: ln.item, lot: ln.lot, testid: "review-line" } },
            h("td", {}, h("b", { class: "mono" }, ln.item), h("br"), h("span", { class: "hint" }, ln.name)),
            h("td", {}, ln.lot || "—"),
            h("td", { class: "num", dataset: { testid: "expected" } }, String(ln.expected)),
            ...ln.counts.map((q) => h("td", { class: "num" }, q === null || q === undefined ? "—" : String(q))),
            varianceCell(ln.variance),
            h("td", { class: "num" }, valueText(ln.value_minor)),
            h("td", { class: "num" }, `${ln.on_hand_now} / ${ln.allocated_now}`),
          ),
        ),
      ),
    ),
  );
}

function newCard(r) {
  const reasonSelect = h(
    "select",
    { class: "field", name: "reason_code", dataset: { testid: "reason" } },
    h("option", { value: "" }, t("Choose a reason…")),
    ...reasons.map((x) => h("option", { value: x.code }, x.label)),
  );
  const note = h("input", { class: "field", name: "note", maxlength: "200", placeholder: t("Note (optional)"), dataset: { testid: "note" } });
  const blocked = h("div", { class: "callout callout-error review-blocked", role: "alert", dataset: { testid: "blocked" }, hidden: true });
  const approve = h(
    "button",
    {
      type: "button",
      class: "btn btn-primary",
      dataset: { testid: "approve" },
      onclick: () =>
        st.run(async () => {
          if (!reasonSelect.value) {
            flash(false, t("Choose why the stock changes before approving."));
            reasonSelect.focus();
            return;
          }
          const ack = await st.ask("approve", { task_id: r.task_id, reason_code: reasonSelect.value, note: note.value }, { flashErrors: false });
          if (ack.ok) {
            flash(true, ack.message);
            await refresh();
            return;
          }
          flash(false, ack.message || t("Refused."));
          showBlocked(blocked, ack);
        }),
    },
    `✔ ${t("Approve adjustment")}`,
  );
  const reject = h(
    "button",
    {
      type: "button",
      class: "btn",
      dataset: { testid: "reject" },
      onclick: () =>
        st.run(async () => {
          const ack = await st.ask("reject", { task_id: r.task_id, note: note.value }, { flashErrors: false });
          flash(ack.ok ? "warn" : false, ack.message || t("Refused."));
          if (ack.ok) await refresh();
        }),
    },
    `↻ ${t("Reject: count again")}`,
  );
  const card = h(
    "article",
    { class: "review", dataset: { taskId: String(r.task_id), location: r.location, testid: "review" } },
    h("div", { class: "review-head" }),
    h("div", { class: "review-body" }),
    blocked,
    h(
      "div",
      { class: "review-decide" },
      h("label", {}, t("Reason"), reasonSelect),
      h("label", {}, t("Note"), note),
      approve,
      reject,
    ),
  );
  return card;
}

function showBlocked(box, ack) {
  const holds = ack.holds || [];
  box.replaceChildren(
    h("p", {}, h("b", {}, "✖ "), ack.message || t("Refused.")),
    holds.length
      ? h(
          "ul",
          {},
          ...holds.map((x) =>
            h(
              "li",
              { dataset: { testid: "hold" } },
              x.kind === "order"
                ? t("%(allocation)s (order %(order)s, line %(line)s, %(status)s): %(qty)s held%(picker)s", {
                    allocation: x.allocation_id,
                    order: x.order_number,
                    line: x.line_id,
                    status: x.status,
                    qty: x.qty,
                    picker: x.picker ? `, ${t("picker")} ${x.picker}` : "",
                  })
                : t("%(qty)s held by other tasks (replenishment, moves)", { qty: x.qty }),
            ),
          ),
        )
      : null,
  );
  show(box, true);
}

function fillCard(card, r) {
  const scope = r.scope === "sku" ? t("SKU %(sku)s only", { sku: r.sku }) : t("whole bin");
  const total = r.value_minor === null ? `${valueText(r.value_known_minor)} ${t("(some items have no value)")}` : valueText(r.value_minor);
  card.querySelector(".review-head").replaceChildren(
    h("h3", { class: "mono" }, r.location),
    h("span", { class: "tag" }, scope),
    h("span", { class: "tag" }, SOURCES[r.source] || r.source),
    h("span", { class: "tag tag-strong" }, OUTCOMES[r.outcome] || r.outcome),
    h("span", { class: "hint" }, t("Task %(id)s", { id: r.task_id })),
    h("span", { class: "review-total", dataset: { testid: "review-total" } }, t("Variance %(units)s units · %(value)s", { units: signed(r.variance_units), value: total })),
  );
  card.querySelector(".review-body").replaceChildren(
    reviewTable(r),
    h("p", { class: "hint" }, r.counts.map((c) => `${c.counter || "—"} ${time(c.counted_at)}`).join(" → ")),
  );
}

function render(data) {
  reasons = data.reasons || reasons;
  currency = data.currency || currency;
  const list = $("#reviews");
  const seen = new Set();
  for (const r of data.reviews) {
    seen.add(r.task_id);
    let card = cards.get(r.task_id);
    if (!card) {
      card = newCard(r);
      cards.set(r.task_id, card);
    }
    fillCard(card, r);
    list.append(card); // in the server's order (oldest first)
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) {
      card.remove();
      cards.delete(id);
    }
  }
  setText("#reviews-count", data.reviews.length);
  show("#reviews-empty", data.reviews.length === 0);
  setText("#queue-count", data.open);
  $("#queue").replaceChildren(
    ...data.queue.map((q) =>
      h(
        "tr",
        { dataset: { taskId: String(q.task_id) } },
        h("td", {}, String(q.task_id)),
        h("td", { class: "mono" }, q.location),
        h("td", {}, q.sku || t("whole bin")),
        h("td", {}, `${SOURCES[q.source] || q.source}${q.kind === "recount" && q.source !== "recount" ? ` (${t("recount")})` : ""}`),
        h("td", {}, q.assigned_to || "—"),
      ),
    ),
  );
  $("#recent").replaceChildren(
    ...data.recent.map((x) =>
      h(
        "li",
        { dataset: { taskId: String(x.task_id), outcome: x.outcome || "" } },
        h("b", { class: "mono" }, x.location),
        ` · ${OUTCOMES[x.outcome] || x.outcome || "—"}`,
        x.reason_code ? ` (${x.reason_code})` : "",
        ` · ${x.decided_by || x.counted_by || ""} · ${time(x.completed_at)}`,
      ),
    ),
  );
  document.body.dataset.reviews = String(data.reviews.length);
}

$("#refresh").addEventListener("click", () => st.run(refresh));

$("#request-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const kind = $("#request-kind").value;
  const value = $("#request-value").value.trim();
  const assign = $("#request-assign").value.trim();
  if (!value) {
    flash(false, t("Type the location, aisle or SKU to count."));
    return;
  }
  st.run(async () => {
    const payload = { [kind]: value };
    if (assign) payload.assign_to = assign;
    const ack = await st.ask("request", payload, { flashErrors: false });
    flash(ack.ok, ack.message || t("Refused."));
    if (ack.ok) {
      $("#request-value").value = "";
      $("#request-assign").value = "";
      await refresh();
    }
  });
});
