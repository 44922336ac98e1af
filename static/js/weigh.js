// Weigh: scan a packed carton, record its weight (typed or simulated scale); out of
// tolerance keeps the carton blocked.

import { $, flash, grams, h, poller, setText, show, station } from "./station.js";

let carton = null;

const st = station("/weigh", {
  onSignedIn: async () => {
    queuePoll.start();
    if (carton) await open(carton.carton, { quiet: true });
  },
  onSignedOut: () => {
    queuePoll.stop();
    setCarton(null);
  },
});

const queuePoll = poller(refreshQueue, 5000);

async function refreshQueue() {
  const ack = await st.call("queue", {});
  if (!ack.ok) return;
  $("#weigh-queue").replaceChildren(
    ...ack.queue.map((row) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "queue-item",
            dataset: { code: row.carton },
            onclick: () => st.deliver(row.carton),
          },
          h("span", { class: "queue-code mono" }, row.carton),
          h("span", { class: "queue-meta" }, `${row.carton_type} · ${row.order_number}`),
        ),
      ),
    ),
  );
  setText("#queue-count", ack.queue.length ? `(${ack.queue.length})` : "");
  show("#queue-empty", ack.queue.length === 0);
}

const STATUS = { packed: "Needs weighing", weighed: "Weighed", shipped: "Shipped" };

function setCarton(c, blockedMessage = null) {
  carton = c;
  show("#carton-panel", Boolean(c));
  show("#weigh-idle", !c);
  if (!c) return;
  const panel = $("#carton-panel");
  panel.dataset.carton = c.carton;
  panel.dataset.status = c.status;
  setText("#carton-code", c.carton);
  setText("#carton-type", c.carton_type);
  setText("#carton-order", c.order_number);
  setText("#carton-status", STATUS[c.status] || c.status);
  const expected = $("#expected-weight");
  expected.dataset.grams = String(c.expected_weight_g);
  expected.textContent = grams(c.expected_weight_g);
  setText("#measured-weight", c.weight_g ? grams(c.weight_g) : "—");
  $("#measured-weight").classList.remove("bad");
  show("#weigh-blocked", Boolean(blockedMessage));
  setText("#weigh-blocked-text", blockedMessage || "");
  $("#weight-input").value = "";
}

function setLast(ok, text) {
  const last = $("#weigh-last");
  last.dataset.state = ok ? "ok" : "error";
  last.className = `panel ${ok ? "panel-ok" : "panel-error"}`;
  setText("#weigh-last-icon", ok ? "✔" : "✖");
  setText("#weigh-last-text", text);
  show(last, true);
}

async function open(code, { quiet = false } = {}) {
  const ack = await st.ask("open", { code });
  if (!ack.ok) return;
  setCarton(ack.carton);
  show("#weigh-last", false);
  if (quiet) return;
  if (ack.carton.status === "shipped") {
    flash("warn", `Carton ${ack.carton.carton} has already shipped.`);
  } else if (ack.carton.status === "weighed") {
    flash("warn", `Carton ${ack.carton.carton} was already weighed (${grams(ack.carton.weight_g)}). Weigh again to replace it.`);
  } else {
    flash(true, `Carton ${ack.carton.carton}: expected ${grams(ack.carton.expected_weight_g)}. Weigh it.`);
  }
}

async function record(weightG, source) {
  if (!carton) {
    flash("warn", "Scan a carton first.");
    return;
  }
  if (!Number.isInteger(weightG) || weightG <= 0) {
    flash(false, "Type the weight in whole grams, more than 0.");
    return;
  }
  const ack = await st.ask("weight", { carton: carton.carton, weight_g: weightG, source });
  if (ack.ok) {
    flash(true, ack.message);
    setLast(true, `${carton.carton}: ${ack.message}`);
    setCarton(null);
    refreshQueue();
    return;
  }
  // Out of tolerance (or a refused reading): the carton stays here, blocked.
  if (ack.carton) setCarton(ack.carton, ack.message);
  else if (ack.result) setCarton(carton, ack.message);
  if (ack.measured_g) {
    setText("#measured-weight", grams(ack.measured_g));
    $("#measured-weight").classList.add("bad");
  }
}

$("#weight-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#weight-input");
  const value = input.value.trim();
  input.blur(); // the next carton is scanned with the wedge, not typed into this field
  st.run(() => record(/^\d+$/.test(value) ? Number(value) : Number.NaN, "manual"));
});

$("#simulate-weight").addEventListener("click", () => {
  if (!carton) {
    flash("warn", "Scan a carton first.");
    return;
  }
  const jitter = Math.round((Math.random() * 2 - 1) * 4);
  const weightG = Math.max(1, carton.expected_weight_g + jitter);
  st.run(() => record(weightG, "simulated"));
});

st.onScan(async (code) => {
  if (carton && code.toUpperCase() === carton.carton) {
    flash("warn", `Carton ${carton.carton} is open: put it on the scale and record the weight.`);
    return;
  }
  await open(code);
});
