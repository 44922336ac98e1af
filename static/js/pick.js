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
import { openQueue } from "./offline-queue.js";
import { judge, judgeQuantity, judgeShort, stageOf } from "./pick-rules.js";
import { $, $$, flash, h, newScanId, poller, setText, show, station } from "./station.js";

const PUT_BACK = "put_back"; // a cancelled order's picked units going back to their bin
const TASK_KEY = "dockhand.pick.task";
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
  offlineMessage: "Offline: keep picking. Scans are kept on this handheld and sent when the connection is back.",
  onSignedIn: () => {
    st.run(() => resume());
  },
  onSignedOut: () => {
    poll.stop();
    setTask(null);
    show("#task", false);
    show("#no-work", false);
  },
  onDisconnect: () => poll.stop(),
  onDuplicate: (code) => note(`Same scan delivered twice: ${code} counted once.`),
  onResumeOffline: () => {
    const saved = savedTask();
    render(saved);
    flash("warn", "Offline: working from this handheld. Scans are kept and sent when the connection is back.", {
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
    const what = ack.task.kind === PUT_BACK ? "Put-back task" : "New task";
    flash(true, `${what}: go to ${ack.task.location}.`);
  }
}, 3000);

// ---------------------------------------------------------------- rendering

function prompt(t) {
  if (t.kind === PUT_BACK) {
    if (t.stage === "location") return `Put back: scan location ${t.location}`;
    if (t.stage === "item") return `Scan each item as it goes in (${t.qty - t.picked} to go)`;
    return "Put-back done";
  }
  switch (t.stage) {
    case "location":
      return `Scan location ${t.location}`;
    case "item":
      return `Scan item (${t.qty - t.picked} to go)`;
    case "tote":
      return t.tote ? `Scan tote ${t.tote}` : "Scan an empty tote";
    case "done":
      return st.online ? "Task done" : "Task done: the next task comes when back online";
    default:
      return "Scan";
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

function render(t) {
  setTask(t);
  show("#task", Boolean(t) && !reconciling);
  show("#no-work", !t && !reconciling);
  if (!t) return;
  const card = $("#task");
  const putBack = t.kind === PUT_BACK;
  Object.assign(card.dataset, {
    kind: t.kind || "pick",
    stage: t.stage || "",
    taskId: String(t.task_id),
    qty: String(t.qty),
    picked: String(t.picked),
    tote: t.tote || "",
    barcode: t.barcode || "",
  });
  setText("#task-stage", prompt(t));
  setText("#task-location", t.location);
  setText("#task-sku", t.sku);
  setText("#task-name", t.sku_name);
  setText("#task-barcode", t.barcode);
  const lotText = [t.lot ? `Lot ${t.lot}` : t.bin_lot ? `Bin lot ${t.bin_lot}` : "", t.expires_on ? `expires ${t.expires_on}` : "", t.serial_required ? "scan each serial" : ""]
    .filter(Boolean)
    .join(" · ");
  setText("#task-lot", lotText);
  show("#task-lot", Boolean(lotText));
  setText("#task-picked", t.picked);
  setText("#task-total", t.qty);
  show("#task-kind", putBack);
  setText("#qty-label", putBack ? "Put back" : "Picked");
  setText("#tote-label", putBack ? "From" : "Tote");
  const tote = putBack ? t.from || t.tote || "—" : t.tote || "Any empty tote";
  setText("#task-tote", tote);
  $("#task-tote").classList.toggle("free", putBack || !t.tote);
  setText("#task-order", t.order_number);
  setText("#task-wave", t.wave);
  show("#task-wave-part", Boolean(t.wave));
  for (const field of card.querySelectorAll(".task-field")) {
    const current = field.dataset.field === t.stage || (t.stage === "item" && field.dataset.field === "qty");
    field.classList.toggle("current", current);
  }
  show("#qty-button", !putBack && t.stage === "item" && t.picked > 0 && !t.serial_required);
  show("#short-button", !putBack && (t.stage === "location" || t.stage === "item"));
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
  setText("#queue-text", n === 1 ? "1 scan waiting to send" : `${n} scans waiting to send`);
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
    return { ok: false, error: "offline", message: `Waiting for ${item.badge} to sign in.` };
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
    flash("queued", "Saved on this handheld: it is checked when the connection is back.");
    return;
  }
  if (local.ok) render(local.task);
  if (!alreadyShown) {
    flash(kindFor(local.result, local.ok), `${local.message} (saved offline)`, { sound: local.result });
  }
}

/** The server's answer on screen; the next task fetched before the scan counts as handled. */
async function applyAnswer(ack, provisional) {
  if (ack.task) render(ack.task);
  const result = ack.result || ack.error || "error";
  const message = ack.message || ack.error || "Rejected.";
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
        match ? null : h("span", { class: "reconcile-was" }, `The handheld said: ${local.message}`),
      ),
    );
  }
  for (const item of failed) {
    scans.append(
      h(
        "li",
        { class: "reconcile-row row-bad row-differs", dataset: { result: "failed", id: item.id } },
        h("span", { class: "mono reconcile-code" }, item.label),
        h("span", { class: "reconcile-result" }, "✖ The server could not take this scan: tell your supervisor."),
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
  const summary =
    `${rows.length} offline scan${rows.length === 1 ? "" : "s"} sent: ${applied} applied, ${rows.length - applied} refused.` +
    (differ ? ` ${differ} came out differently than the handheld said.` : "") +
    (changes.length ? ` ${changes.length} change${changes.length === 1 ? "" : "s"} while you were offline.` : "");
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
  flash(attention ? "warn" : "ok", `Back online. ${summary}`, { sound: attention ? null : "item_ok" });
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
    flash("warn", `No task right now: ${code} was not used.`);
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
  setText("#keypad-hint", `${task.picked} scanned so far, ${task.qty} wanted. How many ${task.sku} are in your hand in total?`);
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
    flash(false, "Key in how many units are in your hand.", { sound: "bad_quantity" });
    return;
  }
  const local = judgeQuantity(task, total);
  st.run(() => act("quantity", { task_id: task.task_id, total, entry: "keypad" }, local, `Qty ${total}`));
});

// ---------------------------------------------------------------- short pick

$("#short-button").addEventListener("click", () => {
  if (!task) return;
  setText("#short-hint", `${task.picked} of ${task.qty} picked at ${task.location}. The rest is looked for in other bins.`);
  openSheet("short-sheet");
});
$("#short-cancel").addEventListener("click", () => closeSheets());
for (const button of $$(".short-reason")) {
  button.addEventListener("click", () => {
    closeSheets();
    if (!task) return;
    const reason = button.dataset.reason;
    const local = judgeShort(task, reason);
    st.run(() => act("short", { task_id: task.task_id, reason, entry: "button" }, local, `Short: ${button.textContent}`));
  });
}

// ---------------------------------------------------------------- camera

const camera = cameraScanner({
  video: $("#camera-video"),
  call: st.call,
  onCode: (code) => st.deliver(code, { entry: "camera" }),
  onStatus: (text) => setText("#camera-status", text),
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
