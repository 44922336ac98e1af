// Stock handheld: receive, put away / move, replenish — by scan, one step at a time.
//
//   Receive:    item (GTIN or GS1 with lot/expiry) → quantity → location   books a receipt
//   Move:       from-location → item → quantity → to-location              books a move
//   Replenish:  the next task: reserve bin → item → pick face              books the task
//
// Quantity: every further scan of the same item adds one; a number typed on the keyboard (or
// the # Qty keypad) sets it. Each scan is judged by the server as it is made (`check`: a wrong
// bin is refused at once) and the last one books the change (`receive`, `move`,
// `replenish_confirm`) with a client id, answered after the commit. Refused scans change
// nothing and say why in the red banner, with the error tone.

import { t } from "./i18n.js";
import { $, $$, flash, h, poller, setText, show, station } from "./station.js";

const flow = $("#flow");
const MAX_UNITS = Number(flow.dataset.max) || 10000;
const QTY_TYPED = /^\d{1,6}$/; // a quantity typed by a person (a scanner's GTIN-8 is 8 digits)
const MODE_KEY = "dockhand.stock.mode";
const STAGES = {
  receive: ["item", "to"],
  move: ["from", "item", "to"],
  replenish: ["from", "item", "to"],
};
const FIELDS = {
  receive: ["item", "qty", "to"],
  move: ["from", "item", "qty", "to"],
  replenish: ["from", "item", "qty", "to"],
};

let mode = "receive";
let stage = "item";
let item = null; // {sku, name, lot, expires_on, code (as scanned), free?}
let qty = 0;
let from = null; // location code
let to = null;
let task = null; // replenish: the task in hand

const st = station("/stock", {
  wedge: { inject: true },
  onSignedIn: () => {
    st.run(() => enterMode(mode)); // queued after the sign-in itself: never awaited here
  },
  onSignedOut: () => {
    poll.stop();
    reset();
  },
  onDisconnect: () => poll.stop(),
});

// With no replenishment task, ask again every 5 s; a new task beeps.
const poll = poller(async () => {
  if (!st.user || mode !== "replenish" || task || !st.online) return;
  const ack = await st.call("replenish_next", {});
  if (ack.ok && ack.task) {
    poll.stop();
    setTask(ack.task);
    flash(true, t("Replenishment task: go to %(from)s.", { from: ack.task.from }));
  }
}, 5000);

// ---------------------------------------------------------------- rendering

function prompt() {
  const inHand = item ? t("%(n)s in hand", { n: qty }) : "";
  if (mode === "receive") {
    if (stage === "item") return t("Scan an item");
    return t("Scan the location (%(inhand)s)", { inhand: inHand });
  }
  if (mode === "move") {
    if (stage === "from") return t("Scan the location to take stock from");
    if (stage === "item") return t("Scan the item in %(from)s", { from });
    return t("Scan where it goes (%(inhand)s)", { inhand: inHand });
  }
  if (!task) return t("No replenishment task");
  if (stage === "from") return t("Go to reserve %(from)s and scan it", { from: task.from });
  if (stage === "item") return t("Scan %(sku)s and take %(qty)s", { sku: task.sku, qty: task.qty });
  return t("Take %(qty)s to pick face %(to)s and scan it", { qty, to: task.to });
}

function render() {
  Object.assign(flow.dataset, { mode, stage, qty: String(qty) });
  const replenish = mode === "replenish";
  show(flow, !replenish || Boolean(task));
  show("#no-task", replenish && !task);
  for (const button of $$(".mode")) button.setAttribute("aria-selected", String(button.dataset.mode === mode));
  for (const field of $$(".task-field", flow)) {
    const name = field.dataset.field;
    show(field, FIELDS[mode].includes(name));
    field.classList.toggle("current", name === stage || (name === "qty" && stage === "to" && mode !== "replenish"));
  }
  setText("#stage-prompt", prompt());
  setText("#from-label", replenish ? t("From reserve") : t("From"));
  setText("#from-code", (replenish && task ? task.from : from) || "—");
  setText("#from-hint", replenish && task ? t("%(free)s free there", { free: task.free_at_source }) : "");
  setText("#to-label", replenish ? t("To pick face") : mode === "move" ? t("To") : t("Location"));
  setText("#to-code", (replenish && task ? task.to : to) || "—");
  const shown = replenish && task ? { sku: task.sku, name: task.sku_name, lot: task.lot, expires_on: task.expires_on } : item;
  setText("#item-sku", shown ? shown.sku : "—");
  setText("#item-name", shown ? shown.name : "");
  const lot = shown ? [shown.lot ? t("Lot %(lot)s", { lot: shown.lot }) : "", shown.expires_on ? t("expires %(date)s", { date: shown.expires_on }) : ""].filter(Boolean).join(" · ") : "";
  setText("#item-lot", lot);
  show("#item-lot", Boolean(lot));
  setText("#qty", qty);
  let of = "";
  if (replenish && task) of = ` / ${task.qty}`;
  else if (mode === "move" && item && item.free !== undefined) of = ` ${t("of %(free)s free", { free: item.free })}`;
  setText("#qty-of", of);
  show("#reference-box", mode === "receive");
  show("#quarantine-box", mode !== "replenish");
  show("#give-back", replenish && Boolean(task));
  show("#task-trigger", replenish && Boolean(task));
  if (replenish && task) {
    const why = { pick: t("Picks brought the face to its minimum"), short: t("A picker came up short here"), stock: t("Stock arrived for a waiting face"), done: t("Still low after the last task"), move: t("Stock was moved out of the face"), manual: t("Asked for by a supervisor") };
    setText("#task-trigger", `${why[task.trigger] || task.trigger} · ${t("face holds %(n)s (min %(min)s, max %(max)s)", { n: task.face_on_hand, min: task.min ?? "—", max: task.max ?? "—" })}`);
  }
  let hint = "";
  if (stage === "to" && !replenish) hint = t("Scan the item again for one more, or type the quantity and Enter.");
  else if (replenish && stage !== "from") hint = t("Fewer there? Type the quantity you take and Enter.");
  setText("#flow-hint", hint);
}

function reset() {
  stage = STAGES[mode][0];
  item = null;
  qty = 0;
  from = null;
  to = null;
  if (mode === "replenish" && task) qty = task.qty;
  render();
}

function setTask(next) {
  task = next || null;
  reset();
  if (!task && mode === "replenish") poll.start(false);
}

function remember(message) {
  const list = $("#last");
  list.prepend(h("li", {}, `${new Date().toLocaleTimeString()} ${message}`));
  while (list.children.length > 5) list.lastElementChild.remove();
}

async function enterMode(next, { announce = false } = {}) {
  mode = STAGES[next] ? next : "receive";
  try {
    sessionStorage.setItem(MODE_KEY, mode);
  } catch {
    // storage disabled: the mode is not remembered across reloads
  }
  poll.stop();
  task = null;
  reset();
  if (mode === "replenish" && st.user) {
    const ack = await st.ask("replenish_next", {});
    if (!ack.ok) return;
    setTask(ack.task);
    if (!announce) return;
    if (ack.task) flash("info", t("Replenishment task: go to %(from)s.", { from: ack.task.from }), { quiet: true });
    else flash("info", t("No replenishment tasks right now."), { quiet: true });
    return;
  }
  if (announce && st.user) flash("info", prompt(), { quiet: true });
}

// ---------------------------------------------------------------- scans

function sameItem(found) {
  return item && found.sku === item.sku && (found.lot || null) === (item.lot || null);
}

function setQuantity(n) {
  const cap = mode === "replenish" && task ? task.qty : mode === "move" && item && item.free !== undefined ? item.free : MAX_UNITS;
  if (!Number.isInteger(n) || n < 1) {
    flash(false, t("Quantity %(n)s is not possible: it must be 1 or more.", { n }), { sound: "bad_quantity" });
    return;
  }
  if (n > cap) {
    const message =
      cap === MAX_UNITS
        ? t("Quantity %(n)s is more than %(max)s, the most one scan may book.", { n, max: MAX_UNITS })
        : t("Quantity %(n)s is more than the %(cap)s there are.", { n, cap });
    flash(false, message, { sound: "bad_quantity" });
    return;
  }
  qty = n;
  render();
  flash("info", t("Quantity set to %(n)s.", { n }), { quiet: true });
}

function check(code, entry, checkStage) {
  const payload = { mode, stage: checkStage, code, entry, quarantine: $("#quarantine").checked };
  if (mode === "move" && from) payload.from = from;
  if (mode === "replenish" && task) payload.task_id = task.task_id;
  return st.ask("check", payload, { flashErrors: false });
}

function refused(ack) {
  flash(false, ack.message || ack.error || t("Refused."), { sound: ack.result || ack.error });
}

async function onReceiveScan(code, entry) {
  const ack = await check(code, entry, stage === "item" ? "item" : "location");
  if (!ack.ok) return refused(ack);
  if (ack.item) {
    if (stage === "item" || !item) {
      item = { ...ack.item, code };
      qty = 1;
      stage = "to";
      render();
      return flash(true, t("%(sku)s: 1 in hand. Scan more, type the quantity, or scan the location.", { sku: item.sku }), { sound: "item_ok" });
    }
    if (!sameItem(ack.item)) {
      return flash(false, t("That is %(other)s, not %(sku)s: book %(sku)s first (or Start over).", { other: `${ack.item.sku}${ack.item.lot ? ` lot ${ack.item.lot}` : ""}`, sku: item.sku }), { sound: "wrong_item" });
    }
    if (qty + 1 > MAX_UNITS) return setQuantity(qty + 1);
    qty += 1;
    render();
    return flash(true, t("%(sku)s: %(n)s in hand.", { sku: item.sku, n: qty }), { sound: "item_ok" });
  }
  const location = ack.location.code;
  const reference = $("#reference").value.trim();
  const booked = await st.askScan(
    "receive",
    { item: item.code, qty, location, reference: reference || null, quarantine: $("#quarantine").checked, entry },
    `receive:${item.code}:${qty}:${location}`,
  );
  if (!booked.ok) return refused(booked);
  flash(true, booked.message, { sound: "tote_ok" });
  remember(booked.message);
  $("#quarantine").checked = false;
  reset();
}

async function onMoveScan(code, entry) {
  if (stage === "from") {
    const ack = await check(code, entry, "from");
    if (!ack.ok) return refused(ack);
    from = ack.location.code;
    stage = "item";
    render();
    const skus = ack.bin.map((b) => `${b.sku}${b.lot ? ` (${b.lot})` : ""}: ${b.free}`).join(", ");
    return flash(true, t("%(loc)s: %(skus)s free. Scan the item.", { loc: from, skus }), { sound: "location_ok" });
  }
  const ack = await check(code, entry, stage);
  if (!ack.ok) return refused(ack);
  if (ack.item) {
    if (stage === "item" || !item) {
      item = { ...ack.item, code };
      qty = 1;
      stage = "to";
      render();
      return flash(true, t("%(sku)s: 1 in hand, %(free)s free here. Scan more, type the quantity, or scan where it goes.", { sku: item.sku, free: item.free }), { sound: "item_ok" });
    }
    if (!sameItem(ack.item)) {
      return flash(false, t("That is %(other)s, not %(sku)s: move %(sku)s first (or Start over).", { other: ack.item.sku, sku: item.sku }), { sound: "wrong_item" });
    }
    if (qty + 1 > item.free) return setQuantity(qty + 1);
    qty += 1;
    render();
    return flash(true, t("%(sku)s: %(n)s in hand.", { sku: item.sku, n: qty }), { sound: "item_ok" });
  }
  const target = ack.location.code;
  const booked = await st.askScan(
    "move",
    { from, item: item.code, qty, to: target, quarantine: $("#quarantine").checked, entry },
    `move:${from}:${item.code}:${qty}:${target}`,
  );
  if (!booked.ok) return refused(booked);
  flash(true, booked.message, { sound: "tote_ok" });
  remember(booked.message);
  $("#quarantine").checked = false;
  reset();
}

async function onReplenishScan(code, entry) {
  if (!task) {
    flash("warn", t("No replenishment task right now: %(code)s was not used.", { code }));
    return;
  }
  const ack = await check(code, entry, stage);
  if (!ack.ok) {
    refused(ack);
    if (["no_task", "task_taken"].includes(ack.result)) await enterMode("replenish"); // the next one
    return;
  }
  if (stage === "from") {
    from = code;
    stage = "item";
    render();
    return flash(true, ack.message, { sound: "location_ok" });
  }
  if (stage === "item") {
    item = { sku: task.sku, code };
    stage = "to";
    render();
    return flash(true, ack.message, { sound: "item_ok" });
  }
  const booked = await st.askScan(
    "replenish_confirm",
    { task_id: task.task_id, from, item: item.code, to: code, qty, entry },
    `replenish:${task.task_id}:${qty}`,
  );
  if (!booked.ok) return refused(booked);
  flash(true, booked.message, { sound: "tote_ok" });
  remember(booked.message);
  await enterMode("replenish");
}

st.onScan(async (code, meta = {}) => {
  const entry = meta.entry || "scan";
  // A short number typed by a person sets the quantity of what is in hand.
  const typed = entry === "keyed" || entry === "form";
  if (typed && QTY_TYPED.test(code) && (stage === "to" || (mode === "replenish" && stage === "item"))) {
    setQuantity(Number.parseInt(code, 10));
    return;
  }
  if (mode === "receive") await onReceiveScan(code, entry);
  else if (mode === "move") await onMoveScan(code, entry);
  else await onReplenishScan(code, entry);
});

// ---------------------------------------------------------------- buttons

for (const button of $$(".mode")) {
  button.addEventListener("click", () => st.run(() => enterMode(button.dataset.mode, { announce: true })));
}

$("#reset-button").addEventListener("click", () => {
  reset();
  flash("info", t("Started over: nothing was booked."), { quiet: true });
});

$("#give-back").addEventListener("click", () =>
  st.run(async () => {
    if (!task) return;
    const ack = await st.ask("replenish_release", { task_id: task.task_id });
    if (ack.ok) flash("info", ack.message, { quiet: true });
    task = null;
    reset();
    poll.start(false);
  }),
);

function openKeypad() {
  const input = $("#keypad-input");
  input.value = qty ? String(qty) : "";
  setText("#keypad-hint", item || task ? t("Units of %(sku)s in hand.", { sku: (item || task).sku }) : t("Scan the item first."));
  show("#keypad", true);
  input.focus();
  input.select();
}

function closeKeypad() {
  $("#keypad-input").blur(); // the scanner's hidden field takes the focus back
  show("#keypad", false);
}

$("#qty-button").addEventListener("click", openKeypad);
$("#keypad-cancel").addEventListener("click", closeKeypad);
for (const key of $$(".keypad-key[data-key]")) {
  key.addEventListener("click", () => {
    const input = $("#keypad-input");
    if (key.dataset.key === "back") input.value = input.value.slice(0, -1);
    else if (input.value.length < 6) input.value += key.dataset.key;
  });
}
$("#keypad-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = Number.parseInt($("#keypad-input").value, 10);
  closeKeypad();
  if (!item && !(mode === "replenish" && task)) {
    flash(false, t("Scan the item first, then key in the quantity."));
    return;
  }
  setQuantity(Number.isNaN(value) ? 0 : value);
});

// The reference field takes typing (and a scan into it); Enter hands the keyboard back.
$("#reference").addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    event.target.blur();
  }
});

try {
  mode = sessionStorage.getItem(MODE_KEY) || "receive";
} catch {
  mode = "receive";
}
reset();

// For the people who support the floor (and for tests): what the handheld holds right now.
window.dockhandStock = { state: () => ({ mode, stage, qty, item, from, to, task }) };
