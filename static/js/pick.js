// Handheld pick: location → item × qty → tote, all by scan. No tap needed for a standard pick.
//
// Every action (scan, keypad quantity, short pick) goes into the handheld's queue first
// (IndexedDB, offline-queue.js) with a client id, then to the server. Online, the server's
// answer is the feedback; if it is slower than PROVISIONAL_MS the page shows its own verdict
// (pick-rules.js, the same rules) so the picker hears a result at once. Offline, the page
// judges every scan itself and keeps picking; back online the queue is replayed in order, the
// server applies each client id once, and a reconciliation screen shows what the server made
// of the offline scans and what changed meanwhile (a cancel, a hold, a reassignment).

import { cameraScanner } from "./camera.js";
import { firstShift } from "./first-shift-panel.js";
import { openQueue } from "./offline-queue.js";
import { judge, judgeQuantity, judgeShort, stageOf } from "./pick-rules.js";
import { t, tn } from "./i18n.js";
import { $, $$, flash, h, newScanId, poller, setText, show, station } from "./station.js";

const PUT_BACK = "put_back"; // a cancelled order's picked units going back to their bin
const TASK_KEY = "dockhand.pick.task";
const STATION_KEY = "dockhand.pick.station";
const CAMERA_KEY = "dockhand.pick.camera";
const PROVISIONAL_MS = 100; // feedback within 150 ms of the scan, whatever the network does
const ACTION_TIMEOUT_MS = 3000;
const FINISHED = [
  "tote_ok",
  "task_done",
  "no_task",
  "put_back_task_done",
  "reassigned",
  "cancelled",
  "on_hold",
];
const WARN_RESULTS = new Set(["on_hold", "short_ok", "reassigned", "nothing_missing"]);

const queueReady = openQueue("dockhand-pick");
let task = null;
let batch = []; // answers to actions that were queued offline: the reconciliation screen's rows
let reconciling = false;
let noteTimer = null;

const st = station("/pick", {
  wedge: { inject: true },
  offlineMessage: t("Offline: keep picking. Scans are kept on this handheld and sent when the connection is back."),
  onSignedIn: () => {
    st.run(async () => {
      await fs.refresh(); // new here? hints on, and a practice wave on offer
      await resume();
    });
  },
  onSignedOut: () => {
    fs.clear();
    poll.stop();
    setTask(null);
    show("#task", false);
    show("#no-work", false);
  },
  onDisconnect: () => poll.stop(),
  onDuplicate: (code) => note(t("Same scan delivered twice: %(code)s counted once.", { code })),
  onResumeOffline: () => {
    const saved = savedTask();
    render(saved);
    flash("warn", t("Offline: working from this handheld. Scans are kept and sent when the connection is back."), {
      quiet: true,
    });
    refreshQueueStatus();
  },
});

// With no task, ask again every 3 s; a new task beeps so the picker looks at the screen.
const poll = poller(async () => {
  if (!st.user || task || reconciling || !st.online) return;
  const ack = await st.call("next_task", {});
  if (ack.ok && ack.task) {
    poll.stop();
    render(ack.task);
    const where = { location: ack.task.location };
    flash(true, ack.task.kind === PUT_BACK ? t("Put-back task: go to %(location)s.", where) : t("New task: go to %(location)s.", where));
  }
}, 3000);

// ---------------------------------------------------------------- rendering

function prompt(job) {
  const left = { n: job.qty - job.picked };
  if (job.kind === PUT_BACK) {
    if (job.stage === "location") return t("Put back: scan location %(location)s", { location: job.location });
    if (job.stage === "item") return t("Scan each item as it goes in (%(n)s to go)", left);
    return t("Put-back done");
  }
  switch (job.stage) {
    case "location":
      return t("Scan location %(location)s", { location: job.location });
    case "item":
      return t("Scan item (%(n)s to go)", left);
    case "tote":
      return job.tote ? t("Scan tote %(tote)s", { tote: job.tote }) : t("Scan an empty tote");
    case "done":
      return st.online ? t("Task done") : t("Task done: the next task comes when back online");
    default:
      return t("Scan");
  }
}

function savedTask() {
  try {
    return JSON.parse(localStorage.getItem(TASK_KEY) || "null");
  } catch {
    return null;
  }
}

function setTask(t) {
  task = t;
  try {
    if (t) localStorage.setItem(TASK_KEY, JSON.stringify(t));
    else localStorage.removeItem(TASK_KEY);
  } catch {
    // storage full or disabled: the page still works while it stays open
  }
}

// First shift: the hint line and the PRACTICE marker follow the task (first-shift-panel.js).
const fs = firstShift(st, { onChange: () => loadNext() });

function render(shown) {
  setTask(shown);
  show("#task", Boolean(shown) && !reconciling);
  show("#no-work", !shown && !reconciling);
  fs.practice(Boolean(shown && shown.practice));
  fs.hint(shown ? (shown.hints && shown.hints[shown.stage]) || shown.hint : null);
  if (!shown) return;
  const card = $("#task");
  const putBack = shown.kind === PUT_BACK;
  Object.assign(card.dataset, {
    kind: shown.kind || "pick",
    stage: shown.stage || "",
    taskId: String(shown.task_id),
    qty: String(shown.qty),
    picked: String(shown.picked),
    tote: shown.tote || "",
    barcode: shown.barcode || "",
  });
  setText("#task-stage", prompt(shown));
  setText("#task-location", shown.location);
  setText("#task-sku", shown.sku);
  setText("#task-name", shown.sku_name);
  setText("#task-barcode", shown.barcode);
  const lotText = [
    shown.lot ? t("Lot %(lot)s", { lot: shown.lot }) : shown.bin_lot ? t("Bin lot %(lot)s", { lot: shown.bin_lot }) : "",
    shown.expires_on ? t("expires %(date)s", { date: shown.expires_on }) : "",
    shown.serial_required ? t("scan each serial") : "",
  ]
    .filter(Boolean)
    .join(" · ");
  setText("#task-lot", lotText);
  show("#task-lot", Boolean(lotText));
  setText("#task-picked", shown.picked);
  setText("#task-total", shown.qty);
  show("#task-kind", putBack);
  setText("#qty-label", putBack ? t("Put back") : t("Picked"));
  setText("#tote-label", putBack ? t("From") : t("Tote"));
  const tote = putBack ? shown.from || shown.tote || "—" : shown.tote || t("Any empty tote");
  setText("#task-tote", tote);
  $("#task-tote").classList.toggle("free", putBack || !shown.tote);
  setText("#task-order", shown.order_number);
  setText("#task-wave", shown.wave);
  show("#task-wave-part", Boolean(shown.wave));
  for (const field of card.querySelectorAll(".task-field")) {
    const current = field.dataset.field === shown.stage || (shown.stage === "item" && field.dataset.field === "qty");
    field.classList.toggle("current", current);
  }
  show("#qty-button", !putBack && shown.stage === "item" && shown.picked > 0 && !shown.serial_required);
  show("#short-button", !putBack && (shown.stage === "location" || shown.stage === "item"));
}

function kindFor(result, ok) {
  if (WARN_RESULTS.has(result)) return "warn";
  return ok ? "ok" : "error";
}

function note(text) {
  setText("#wedge-note", text);
  show("#wedge-note", true);
  if (noteTimer) clearTimeout(noteTimer);
  noteTimer = setTimeout(() => show("#wedge-note", false), 4000);
}

async function refreshQueueStatus() {
  const q = await queueReady;
  const n = await q.count();
  const status = $("#queue-status");
  status.dataset.count = String(n);
  setText("#queue-text", tn("%(n)s scan waiting to send", "%(n)s scans waiting to send", n, { n }));
  show(status, n > 0);
}
queueReady.then((q) => q.onChange(() => refreshQueueStatus()));

// ---------------------------------------------------------------- talking to the server

async function loadNext() {
  if (!st.online) return;
  const ack = await st.ask("next_task", {});
  if (!ack.ok) return;
  render(ack.task);
  if (ack.task) poll.stop();
  else poll.start(false);
}

/** One queued action to the server, with its client id: a resend is answered, not redone. */
async function send(item) {
  if (st.user && item.badge && item.badge !== st.user.badge) {
    return { ok: false, error: "offline", message: t("Waiting for %(badge)s to sign in.", { badge: item.badge }) };
  }
  const payload = { ...item.payload, client_scan_id: item.id, queued: Boolean(item.offline) };
  return st.ask(item.event, payload, { flashErrors: false, timeoutMs: ACTION_TIMEOUT_MS });
}

const waiting = new Map(); // seq -> resolve(ack) for the action the picker is watching

async function onAnswer(item, ack) {
  const resolve = waiting.get(item.seq);
  if (resolve) {
    waiting.delete(item.seq);
    resolve(ack);
  } else {
    batch.push({ item, ack });
  }
}

/** Send what waits, in order. After an offline stretch, show what the server made of it. */
async function pump() {
  const q = await queueReady;
  if (!st.online || !st.user) return null;
  const outcome = await q.drain(send, onAnswer);
  refreshQueueStatus();
  if (!outcome.stopped && batch.length && (await q.count()) === 0) await showReconcile();
  return outcome;
}

async function resume() {
  const q = await queueReady;
  refreshQueueStatus();
  if ((await q.count()) > 0) await pump();
  if (!reconciling) await loadNext();
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Queue an action and get it answered. `local` is the page's own verdict (pick-rules.js) or
 * null where the page cannot judge (put-backs).
 */
async function act(event, payload, local, label) {
  const q = await queueReady;
  const live = st.online && (await q.count()) === 0;
  const item = await q.add({
    id: newScanId(),
    event,
    payload: { ...payload, scanned_at: new Date().toISOString() },
    taskId: payload.task_id,
    badge: st.user ? st.user.badge : null,
    label,
    local: local ? { result: local.result, ok: local.ok, message: local.message } : null,
    offline: !live,
  });
  if (!live) {
    applyLocal(local);
    if (st.online) pump().catch((err) => console.warn("queue not sent yet", err));
    return;
  }
  let provisional = null;
  const timer = setTimeout(() => {
    if (local && local.certain) {
      provisional = local;
      flash(kindFor(local.result, local.ok), local.message, { sound: local.result });
    }
  }, PROVISIONAL_MS);
  const answered = new Promise((resolve) => waiting.set(item.seq, resolve));
  const outcome = await pump();
  clearTimeout(timer);
  if ((!outcome || outcome.stopped) && waiting.has(item.seq)) {
    // No answer (the connection died under us): the action stays queued and is replayed.
    waiting.delete(item.seq);
    await markOffline(item);
    applyLocal(local, provisional !== null);
    return;
  }
  const ack = await answered;
  await applyAnswer(ack, provisional);
}

async function markOffline(item) {
  // Its answer now belongs on the reconciliation screen, not in the banner.
  const q = await queueReady;
  const row = (await q.items()).find((r) => r.seq === item.seq);
  if (row && !row.offline) await q.update({ ...row, offline: true });
}

/** The handheld's own verdict for an action that waits in the queue. */
function applyLocal(local, alreadyShown = false) {
  if (!local) {
    flash("queued", t("Saved on this handheld: it is checked when the connection is back."));
    return;
  }
  if (local.ok) render(local.task);
  if (!alreadyShown) {
    flash(kindFor(local.result, local.ok), t("%(message)s (saved offline)", { message: local.message }), { sound: local.result });
  }
}

/** The server's answer on screen; the next task fetched before the scan counts as handled. */
async function applyAnswer(ack, provisional) {
  if (ack.task) render(ack.task);
  const result = ack.result || ack.error || "error";
  const message = ack.message || ack.error || t("Rejected.");
  const same = provisional && provisional.result === result;
  flash(kindFor(result, ack.ok), message, { sound: result, quiet: same });
  const finished = FINISHED.includes(result);
  const putBackDone = Boolean(ack.task && ack.task.kind === PUT_BACK && ack.task.stage === "done");
  const shortDone = result === "short_ok" && ack.task && ack.task.stage === "done";
  // A replayed answer (the same scan after a lost ack) may carry no task: fetch the current one.
  const replayed = Boolean(ack.replayed && !ack.task);
  if (finished || putBackDone || shortDone || replayed) await loadNext();
}

// ---------------------------------------------------------------- reconciliation

async function showReconcile() {
  const rows = batch;
  batch = [];
  const ids = [...new Set(rows.map((r) => r.item.taskId).filter((id) => Number.isInteger(id)))];
  const ack = ids.length ? await st.ask("reconcile", { task_ids: ids }, { flashErrors: false }) : { ok: true, tasks: [] };
  const changes = ack.ok ? ack.tasks.filter((t) => !["unchanged", "done"].includes(t.change)) : [];
  const failed = await (await queueReady).failedItems();
  let differ = 0;
  const scans = $("#reconcile-scans");
  scans.replaceChildren();
  for (const { item, ack: answer } of rows) {
    const local = item.local;
    const result = answer.result || answer.error || "error";
    const match = local ? local.result === result : true;
    if (!match) differ += 1;
    scans.append(
      h(
        "li",
        {
          class: `reconcile-row ${answer.ok ? "row-ok" : "row-bad"}${match ? "" : " row-differs"}`,
          dataset: { result, local: local ? local.result : "", match: String(match), id: item.id },
        },
        h("span", { class: "mono reconcile-code" }, item.label),
        h("span", { class: "reconcile-result" }, `${answer.ok ? "✔" : "✖"} ${answer.message || result}`),
        match ? null : h("span", { class: "reconcile-was" }, t("The handheld said: %(message)s", { message: local.message })),
      ),
    );
  }
  for (const item of failed) {
    scans.append(
      h(
        "li",
        { class: "reconcile-row row-bad row-differs", dataset: { result: "failed", id: item.id } },
        h("span", { class: "mono reconcile-code" }, item.label),
        h("span", { class: "reconcile-result" }, `✖ ${t("The server could not take this scan: tell your supervisor.")}`),
      ),
    );
  }
  const list = $("#reconcile-changes");
  list.replaceChildren(
    ...changes.map((c) =>
      h("li", { class: `reconcile-change change-${c.change}`, dataset: { change: c.change, taskId: String(c.task_id) } }, c.message),
    ),
  );
  const applied = rows.filter((r) => r.ack.ok).length;
  const counts = { n: rows.length, applied, refused: rows.length - applied };
  const summary = [
    tn("%(n)s offline scan sent: %(applied)s applied, %(refused)s refused.", "%(n)s offline scans sent: %(applied)s applied, %(refused)s refused.", rows.length, counts),
    differ ? t("%(n)s came out differently than the handheld said.", { n: differ }) : "",
    changes.length ? tn("%(n)s change while you were offline.", "%(n)s changes while you were offline.", changes.length, { n: changes.length }) : "",
  ]
    .filter(Boolean)
    .join(" ");
  setText("#reconcile-summary", summary);
  const section = $("#reconcile");
  section.dataset.scans = String(rows.length);
  section.dataset.changes = String(changes.length);
  section.dataset.differ = String(differ);
  reconciling = true;
  const next = await st.ask("next_task", {}, { flashErrors: false });
  render(next.ok ? next.task : null);
  show("#task", false);
  show("#no-work", false);
  show("#reconcile", true);
  const attention = changes.length || differ || failed.length;
  flash(attention ? "warn" : "ok", t("Back online. %(summary)s", { summary }), { sound: attention ? null : "item_ok" });
  $("#reconcile-continue").focus({ preventScroll: true });
}

function closeReconcile() {
  if (!reconciling) return;
  reconciling = false;
  $("#reconcile-continue").blur(); // the scanner's hidden field takes the focus back
  show("#reconcile", false);
  render(task);
  if (!task) poll.start(false);
}

$("#reconcile-continue").addEventListener("click", () =>
  st.run(async () => {
    closeReconcile();
    if (!task) await loadNext();
  }),
);

// ---------------------------------------------------------------- scans

st.onScan(async (code, meta = {}) => {
  closeReconcile(); // a scan means the picker has moved on: it counts
  if (!task) {
    flash("warn", t("No task right now: %(code)s was not used.", { code }));
    return;
  }
  const payload = { task_id: task.task_id, code, entry: meta.entry || "scan" };
  if (task.kind === PUT_BACK) payload.kind = PUT_BACK;
  const local = task.kind === PUT_BACK ? null : judge(task, code, today());
  await act("scan", payload, local, code);
});

// ---------------------------------------------------------------- keypad

function openSheet(id) {
  for (const sheet of $$(".sheet")) show(sheet, sheet.id === id);
}

function closeSheets() {
  for (const sheet of $$(".sheet")) show(sheet, false);
  if (camera.running) camera.stop();
}

$("#qty-button").addEventListener("click", () => {
  if (!task) return;
  const input = $("#keypad-input");
  input.value = String(task.qty);
  setText(
    "#keypad-hint",
    t("%(picked)s scanned so far, %(qty)s wanted. How many %(sku)s are in your hand in total?", { picked: task.picked, qty: task.qty, sku: task.sku }),
  );
  openSheet("keypad");
  input.focus();
  input.select();
});

for (const key of $$(".keypad-key[data-key]")) {
  key.addEventListener("click", () => {
    const input = $("#keypad-input");
    if (key.dataset.key === "back") input.value = input.value.slice(0, -1);
    else if (input.value.length < 4) input.value += key.dataset.key;
  });
}

$("#keypad-cancel").addEventListener("click", () => closeSheets());
$("#keypad-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#keypad-input");
  const total = Number.parseInt(input.value, 10);
  input.blur();
  closeSheets();
  if (!task || !Number.isInteger(total) || total < 1) {
    flash(false, t("Key in how many units are in your hand."), { sound: "bad_quantity" });
    return;
  }
  const local = judgeQuantity(task, total);
  st.run(() => act("quantity", { task_id: task.task_id, total, entry: "keypad" }, local, t("Qty %(n)s", { n: total })));
});

// ---------------------------------------------------------------- short pick

$("#short-button").addEventListener("click", () => {
  if (!task) return;
  setText(
    "#short-hint",
    t("%(picked)s of %(qty)s picked at %(location)s. The rest is looked for in other bins.", { picked: task.picked, qty: task.qty, location: task.location }),
  );
  openSheet("short-sheet");
});
$("#short-cancel").addEventListener("click", () => closeSheets());
for (const button of $$(".short-reason")) {
  button.addEventListener("click", () => {
    closeSheets();
    if (!task) return;
    const reason = button.dataset.reason;
    const local = judgeShort(task, reason);
    st.run(() => act("short", { task_id: task.task_id, reason, entry: "button" }, local, t("Short: %(reason)s", { reason: button.textContent })));
  });
}

// ---------------------------------------------------------------- camera

/** This handheld's station id (for its saved camera): ?station=PICK-7, remembered on the device. */
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

/** The camera saved for this station on the set-up page; the last answer when offline. */
async function savedCamera() {
  if (!STATION) return null;
  const ack = st.online ? await st.call("camera", { station: STATION }) : { ok: false };
  try {
    if (ack.ok) localStorage.setItem(CAMERA_KEY, JSON.stringify(ack.device || null));
    return ack.ok ? ack.device || null : JSON.parse(localStorage.getItem(CAMERA_KEY) || "null");
  } catch {
    return ack.ok ? ack.device || null : null;
  }
}

const camera = cameraScanner({
  video: $("#camera-video"),
  call: st.call,
  onCode: (code) => st.deliver(code, { entry: "camera" }),
  onStatus: (text) => setText("#camera-status", text),
  savedCamera,
});

$("#camera-button").addEventListener("click", async () => {
  openSheet("camera");
  if (!(await camera.start())) return;
});
$("#camera-close").addEventListener("click", () => closeSheets());
document.addEventListener("visibilitychange", () => {
  if (document.hidden && camera.running) closeSheets();
});

// ---------------------------------------------------------------- installable, and loads offline

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/pick" }).catch((err) => {
    console.warn("service worker not registered: the page will not load offline", err);
  });
}

// Exposed for the people who support the floor (and for tests): what waits on this handheld.
window.dockhandPick = {
  queued: async () => (await queueReady).items(),
  failed: async () => (await queueReady).failedItems(),
  stage: () => (task ? stageOf(task) : null),
};
