// First shift, for supervisors: who is new at the pick or pack station, how far they are,
// a mark that makes someone experienced (no more hints), and practice waves started or
// ended for anyone (docs/first-shift.md).

import { t } from "./i18n.js";
import { $, flash, h, poller, setText, show, station } from "./station.js";

const ROLE_KIND = { picker: "pick", packer: "pack" };

const st = station("/first-shift", {
  onSignedIn: async () => {
    await refresh();
    poll.start(false);
  },
  onSignedOut: () => poll.stop(),
});

const poll = poller(() => refresh(), 5000);

async function act(event, payload) {
  const ack = await st.ask(event, payload);
  if (!ack.ok) return;
  flash(true, ack.message);
  await refresh();
}

function button(label, testid, onClick, primary = false) {
  return h(
    "button",
    { type: "button", class: primary ? "btn btn-primary" : "btn", dataset: { testid }, onclick: () => st.run(onClick) },
    label,
  );
}

function practiceText(run) {
  if (!run) return "—";
  const what = run.kind === "pack" ? t("pack") : t("pick");
  const state = run.status === "running" ? t("running") : run.status === "done" ? t("done") : t("ended");
  let text = t("%(wave)s (%(what)s): %(state)s, %(done)s of %(orders)s orders, %(wrong)s wrong scans", {
    wave: run.wave,
    what,
    state,
    done: run.orders_done,
    orders: run.orders,
    wrong: run.wrong_scans,
  });
  if (run.status === "running" && run.contents && run.contents.length) {
    const totes = run.contents.map((c) => `${c.tote}: ${c.lines.map(([sku, qty]) => `${qty} × ${sku}`).join(", ")}`);
    text += ". " + t("Put in the totes: %(totes)s", { totes: totes.join("; ") });
  }
  return text;
}

function row(p) {
  const kind = ROLE_KIND[p.role];
  const running = p.practice && p.practice.status === "running";
  const hints = p.marked
    ? h("span", { class: "tag" }, t("marked experienced"))
    : p.new
      ? h("span", { class: "tag tag-new" }, h("span", { "aria-hidden": "true" }, "? "), t("on"))
      : h("span", { class: "tag tag-go" }, h("span", { "aria-hidden": "true" }, "✔ "), t("off: experienced"));
  const unit = kind === "pack" ? t("orders packed") : t("pick tasks");
  const actions = [
    p.marked
      ? button(t("Remove mark"), `unmark-${p.badge}`, () => act("mark", { badge: p.badge, experienced: false }))
      : button(t("Mark experienced"), `mark-${p.badge}`, () => act("mark", { badge: p.badge, experienced: true })),
    running
      ? button(t("End practice"), `end-${p.badge}`, () => act("end_practice", { badge: p.badge }))
      : button(t("Start practice"), `practice-${p.badge}`, () => act("start_practice", { badge: p.badge, kind }), true),
  ];
  return h(
    "tr",
    { dataset: { badge: p.badge, new: String(p.new), marked: String(p.marked), practice: p.practice ? p.practice.status : "" } },
    h("td", { class: "mono" }, p.badge),
    h("td", {}, p.name),
    h("td", {}, p.role),
    h("td", {}, `${p.done} / ${p.needed} ${unit}`),
    h("td", {}, hints),
    h("td", { dataset: { testid: `practice-of-${p.badge}` } }, practiceText(p.practice)),
    h("td", {}, h("div", { class: "actions" }, ...actions)),
  );
}

async function refresh() {
  const ack = await st.call("people", {});
  if (!ack.ok) return;
  const r = ack.rules;
  setText(
    "#rules",
    t("Hints stay on until %(pick)s pick tasks or %(pack)s packed orders are done; a practice wave has %(orders)s orders.", {
      pick: r.pick_tasks,
      pack: r.pack_orders,
      orders: r.practice_orders,
    }),
  );
  $("#people").replaceChildren(...ack.people.map(row));
  show("#people-empty", ack.people.length === 0);
}
