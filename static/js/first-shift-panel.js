// First shift on a station page (pick, pack): the hint line, the PRACTICE marker, and the
// panel that offers a new person a practice wave and says how it went (docs/first-shift.md).
//
// The server decides everything: whether this person is new, which hint goes with the
// current step (task.hint / order.hint), whether a task is practice. This module only shows it.
//
// Usage: const fs = firstShift(st, { onChange: () => loadNext() });
//        fs.refresh() after sign-in; fs.hint(text); fs.practice(bool)

import { t } from "./i18n.js";
import { $, flash, setText, show } from "./station.js";

export function firstShift(st, { onChange = null } = {}) {
  let state = null;
  let practising = false;
  let idleHint = null; // the pack bench's hint while no order is open

  function summary(run) {
    const what = run.kind === "pack" ? t("packed") : t("picked");
    return t("%(done)s of %(orders)s practice orders %(what)s (%(units)s units), %(wrong)s wrong scans.", {
      done: run.orders_done,
      orders: run.orders,
      what,
      units: run.units_done,
      wrong: run.wrong_scans,
    });
  }

  function render(fs) {
    state = fs;
    const panel = $("#first-shift");
    if (!panel || !fs) return;
    const run = fs.practice;
    const running = Boolean(run && run.status === "running");
    const over = Boolean(run && run.status !== "running" && !run.seen);
    panel.dataset.state = running ? "practising" : over ? "practice-over" : fs.new ? "new" : "experienced";
    let status = "";
    if (running) {
      status = t("Practice wave %(wave)s: nothing here is a real order.", { wave: run.wave });
      if (run.totes && run.totes.length) status += " " + t("Practice totes: %(totes)s.", { totes: run.totes.join(", ") });
    } else if (over) {
      status = run.status === "done" ? t("Practice done. Put the practice items back on their shelf.") : t("Practice ended.");
    } else if (fs.new) {
      status = t("First shift: hints are on until you have done %(needed)s (%(done)s so far).", {
        needed: fs.needed,
        done: fs.done,
      });
    }
    setText("#first-shift-status", status);
    // While practising the task card says enough: the summary waits for the end.
    setText("#practice-summary", run && !running ? summary(run) : "");
    show("#practice-summary", Boolean(run) && !running);
    show("#practice-start", !running && !over && fs.can_practise && fs.new);
    show("#practice-end", running);
    show("#practice-done", over);
    show(panel, running || over || fs.new);
    idleHint = fs.idle_hint || null;
  }

  async function refresh() {
    const ack = await st.call("first_shift", {});
    if (ack.ok) render(ack.first_shift);
    return state;
  }

  async function act(event) {
    const ack = await st.ask(event, {});
    if (!ack.ok) return;
    render(ack.first_shift);
    flash(true, ack.message);
    if (onChange) await onChange(state);
  }

  const start = $("#practice-start");
  if (start) start.addEventListener("click", () => st.run(() => act("start_practice")));
  const end = $("#practice-end");
  if (end) end.addEventListener("click", () => st.run(() => act("end_practice")));
  const done = $("#practice-done");
  if (done) done.addEventListener("click", () => st.run(() => act("end_practice")));

  return {
    refresh,
    render,
    get state() {
      return state;
    },
    get idleHint() {
      return idleHint;
    },
    /** The one-line hint for the step on screen (null hides the line). */
    hint(text) {
      setText("#hint-text", text || "");
      show("#first-shift-hint", Boolean(text));
    },
    /** The PRACTICE marker: on every screen of a practice task or order. */
    practice(on) {
      const was = practising;
      practising = Boolean(on);
      show("#practice-marker", practising);
      document.body.classList.toggle("practising", practising);
      if (was !== practising) refresh().catch((err) => console.warn("first shift", err));
    },
    clear() {
      state = null;
      practising = false;
      show("#first-shift", false);
      show("#first-shift-hint", false);
      show("#practice-marker", false);
      document.body.classList.remove("practising");
    },
  };
}
