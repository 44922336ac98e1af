// Handheld pick: location → item × qty → tote, all by scan. No tap needed for a standard pick.

import { $, flash, poller, setText, show, station } from "./station.js";

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
    flash(true, `New task: go to ${ack.task.location}.`);
  }
}, 3000);

function prompt(t) {
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
  Object.assign(card.dataset, {
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
  setText("#task-tote", t.tote || "Any empty tote");
  $("#task-tote").classList.toggle("free", !t.tote);
  setText("#task-order", t.order_number);
  setText("#task-wave", t.wave);
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
  const ack = await st.askScan("scan", { task_id: task.task_id, code }, code);
  if (ack.task) render(ack.task);
  if (ack.ok) flash(true, ack.message);
  if (["tote_ok", "task_done", "no_task"].includes(ack.result)) await loadNext();
});
