// Handheld pick: location → item × qty → tote, all by scan. No tap needed for a standard pick.

import { $, flash, poller, setText, show, station } from "./station.js";

const PUT_BACK = "put_back"; // a cancelled order's picked units going back to their bin

let task = null;

const st = station("/pick", {
  onSignedIn: () => loadNext(),
  onSignedOut: () => {
    poll.stop();
    task = null;
    show("#task", false);
    show("#no-work", false);
  },
  onDisconnect: () => poll.stop(),
});

// With no task, ask again every 3 s; a new task beeps so the picker looks at the screen.
const poll = poller(async () => {
  if (!st.user || task) return;
  const ack = await st.call("next_task", {});
  if (ack.ok && ack.task) {
    poll.stop();
    render(ack.task);
    const what = ack.task.kind === PUT_BACK ? "Put-back task" : "New task";
    flash(true, `${what}: go to ${ack.task.location}.`);
  }
}, 3000);

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
      return "Task done";
    default:
      return "Scan";
  }
}

function render(t) {
  task = t;
  show("#task", Boolean(t));
  show("#no-work", !t);
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
}

async function loadNext() {
  const ack = await st.ask("next_task", {});
  if (!ack.ok) return;
  render(ack.task);
  if (ack.task) poll.stop();
  else poll.start(false);
}

st.onScan(async (code) => {
  if (!task) {
    flash("warn", `No task right now: ${code} was not used.`);
    return;
  }
  const payload = { task_id: task.task_id, code };
  if (task.kind === PUT_BACK) payload.kind = PUT_BACK;
  const ack = await st.askScan("scan", payload, code);
  if (ack.task) render(ack.task);
  if (ack.ok) flash(true, ack.message);
  const finished = ["tote_ok", "task_done", "no_task", "put_back_task_done"].includes(ack.result);
  const putBackDone = Boolean(ack.task && ack.task.kind === PUT_BACK && ack.task.stage === "done");
  // A replayed answer (the same scan after a lost ack) carries no task: fetch the current one.
  const replayed = Boolean(ack.replayed && !ack.task);
  if (finished || putBackDone || replayed) await loadNext();
});
