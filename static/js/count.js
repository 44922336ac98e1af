// Handheld blind count: scan the location, scan every item (one scan, one unit) or tap a line
// to key in how many, then scan the location again (or tap Finish). An empty bin is confirmed
// empty with its own button. The page never gets the system's figures: the server answers
// every count with the same words, whatever it found (docs/counts.md).

import { t } from "./i18n.js";
import { $, $$, RESULT_SOUNDS, flash, h, newScanId, poller, setText, show, station } from "./station.js";

const WARN_RESULTS = new Set(["found_ok", "skip_ok"]);
// Tunes of their own for the count's results (the rest fall back to ok / error / warn).
RESULT_SOUNDS.count_ok = RESULT_SOUNDS.tote_ok;
RESULT_SOUNDS.qty_ok = RESULT_SOUNDS.item_ok;
RESULT_SOUNDS.found_ok = { notes: [[1320, 0, 0.08, "triangle"], [990, 0.1, 0.12, "triangle"]], buzz: [60, 40, 60] };
RESULT_SOUNDS.unknown_location = RESULT_SOUNDS.wrong_location;
RESULT_SOUNDS.unknown_code = RESULT_SOUNDS.wrong_item;
RESULT_SOUNDS.not_an_item = RESULT_SOUNDS.wrong_item;

let task = null;
let keypadLine = null;
let previousQty = new Map(); // line key -> qty before the last answer: marks the line that moved

const st = station("/count", {
  wedge: { inject: true },
  onSignedIn: () => {
    heartbeat.start(false);
    st.run(() => loadNext());
  },
  onSignedOut: () => {
    poll.stop();
    heartbeat.stop();
    render(null, { idle: false });
  },
  onDisconnect: () => poll.stop(),
});

// With no count in hand, ask again every 3 s; a new count beeps so the counter looks up.
const poll = poller(async () => {
  if (!st.user || task || !st.online) return;
  const ack = await st.call("next_task", {});
  if (ack.ok && ack.task) {
    poll.stop();
    render(ack.task);
    flash(true, t("New count: go to %(location)s.", { location: ack.task.location }));
  }
}, 3000);

// "Signed in to count" is how the server sends a recount to someone else: keep saying so.
const heartbeat = poller(async () => {
  if (st.user && st.online) await st.call("here", {});
}, 60000);

// ---------------------------------------------------------------- rendering

const lineKey = (line) => `${line.item}\u0000${line.lot || ""}`;

function prompt(tk) {
  if (tk.stage === "location") return t("Scan location %(location)s", { location: tk.location });
  return t("Scan each item, then scan %(location)s again", { location: tk.location });
}

function render(tk, { idle = true } = {}) {
  task = tk;
  show("#task", Boolean(tk));
  show("#no-work", !tk && idle);
  closeSheets();
  if (!tk) {
    if (idle) poll.start(false);
    return;
  }
  const card = $("#task");
  Object.assign(card.dataset, {
    stage: tk.stage,
    taskId: String(tk.task_id),
    kind: tk.kind,
    scope: tk.scope,
    location: tk.location,
    units: String(tk.units),
  });
  setText("#task-stage", prompt(tk));
  setText("#task-location", tk.location);
  setText("#task-scope", tk.scope === "sku" ? tk.sku : t("Everything in the bin"));
  setText("#task-scope-name", tk.scope === "sku" ? tk.sku_name : t("Every item, every lot"));
  show("#task-kind", tk.kind === "recount");
  setText("#task-units", tk.units);
  const counting = tk.stage === "items";
  for (const field of card.querySelectorAll(".task-field")) {
    const current = (field.dataset.field === "location" && !counting) || (field.dataset.field === "items" && counting);
    field.classList.toggle("current", current);
  }
  const moved = tk.lines.find((line) => previousQty.get(lineKey(line)) !== line.qty);
  $("#count-lines").replaceChildren(
    ...tk.lines.map((line) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `count-line${line.unknown ? " unknown" : ""}${moved && lineKey(moved) === lineKey(line) ? " last" : ""}`,
            dataset: { item: line.item, lot: line.lot || "", qty: String(line.qty), testid: "count-line" },
            "aria-label": t("%(item)s: %(qty)s counted. Tap to key in how many.", { item: line.item, qty: line.qty }),
            onclick: () => openKeypad(line),
          },
          h(
            "span",
            { class: "count-line-what" },
            h("span", { class: "count-line-item mono" }, line.lot ? `${line.item} · ${t("lot")} ${line.lot}` : line.item),
            h("span", { class: "count-line-name" }, line.unknown ? t("Unknown item: recorded as found") : line.name),
          ),
          h("span", { class: "count-line-qty" }, String(line.qty)),
        ),
      ),
    ),
  );
  previousQty = new Map(tk.lines.map((line) => [lineKey(line), line.qty]));
  show("#count-lines-empty", tk.lines.length === 0);
  show($(".count-actions"), counting);
}

function kindFor(result, ok) {
  if (WARN_RESULTS.has(result)) return "warn";
  return ok ? "ok" : "error";
}

// ---------------------------------------------------------------- talking to the server

async function loadNext() {
  if (!st.online) return;
  const ack = await st.ask("next_task", {});
  if (!ack.ok) return;
  render(ack.task);
  if (ack.task) poll.stop();
}

/** The server's answer on screen: banner, tone, and the count as it stands now. */
async function answer(ack) {
  const result = ack.result || ack.error || "error";
  flash(kindFor(result, ack.ok), ack.message || t("Rejected."), { sound: result });
  if (!("task" in ack)) return;
  if (ack.task) render(ack.task);
  else {
    render(null, { idle: false });
    await loadNext();
  }
}

async function act(event, payload) {
  const ack = await st.ask(event, { ...payload, client_scan_id: newScanId() }, { flashErrors: false });
  await answer(ack);
}

st.onScan(async (code, meta = {}) => {
  if (!task) {
    flash("warn", t("No count right now: %(code)s was not used.", { code }));
    return;
  }
  await act("scan", { task_id: task.task_id, code, entry: meta.entry || "scan" });
});

// ---------------------------------------------------------------- keypad

function openSheet(id) {
  for (const sheet of $$(".sheet")) show(sheet, sheet.id === id);
}

function closeSheets() {
  for (const sheet of $$(".sheet")) show(sheet, false);
}

function openKeypad(line) {
  if (!task) return;
  keypadLine = line;
  const input = $("#keypad-input");
  input.value = String(line.qty);
  const what = line.lot ? `${line.item} ${t("lot")} ${line.lot}` : line.item;
  setText("#keypad-hint", t("How many %(what)s are in %(location)s? 0 takes the line off.", { what, location: task.location }));
  openSheet("keypad");
  input.focus();
  input.select();
}

for (const key of $$(".keypad-key[data-key]")) {
  key.addEventListener("click", () => {
    const input = $("#keypad-input");
    if (key.dataset.key === "back") input.value = input.value.slice(0, -1);
    else if (input.value.length < 5) input.value += key.dataset.key;
  });
}

$("#keypad-cancel").addEventListener("click", () => closeSheets());
$("#keypad-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#keypad-input");
  const text = input.value.trim();
  input.blur(); // hand the keyboard back to the wedge scanner
  closeSheets();
  const qty = /^\d+$/.test(text) ? Number.parseInt(text, 10) : Number.NaN;
  if (!task || !keypadLine || !Number.isInteger(qty)) {
    flash(false, t("Key in how many units you counted."), { sound: "bad_quantity" });
    return;
  }
  const line = keypadLine;
  keypadLine = null;
  st.run(() => act("quantity", { task_id: task.task_id, item: line.item, lot: line.lot || "", qty, entry: "keypad" }));
});

// ---------------------------------------------------------------- finish, empty, give back

$("#finish-button").addEventListener("click", () => {
  if (!task) return;
  st.run(() => act("confirm", { task_id: task.task_id, entry: "button" }));
});

$("#empty-button").addEventListener("click", () => {
  if (!task) return;
  setText("#empty-hint", t("Nothing at all in %(location)s: no item, no lot.", { location: task.location }));
  openSheet("empty-sheet");
  $("#empty-confirm").focus({ preventScroll: true });
});
$("#empty-cancel").addEventListener("click", () => closeSheets());
$("#empty-confirm").addEventListener("click", () => {
  closeSheets();
  if (!task) return;
  st.run(() => act("confirm", { task_id: task.task_id, empty: true, entry: "button" }));
});

$("#skip-button").addEventListener("click", () => {
  if (!task) return;
  st.run(() => act("skip", { task_id: task.task_id, entry: "button" }));
});

// For the people who support the floor (and for tests): the count in hand, as the page has it.
window.dockhandCount = { task: () => task };
