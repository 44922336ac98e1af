// Station set-up (admins; supervisors may look): per station the printer (with a test print
// to the real printer), the scale (with its live reading from the server's scale hub), the
// camera (live preview, a frame decoded by the server) and the carrier account. Also the
// scanner test for a Zebra handheld set up with the DataWedge sheet.

import { t } from "./i18n.js";
import { $, $$, flash, grams, h, poller, setText, show, station, time } from "./station.js";

let data = null; // the last `stations` answer: {stations, options, can_edit}
let current = null; // the station shown
let watching = null; // the station whose scale we read
let stream = null; // the camera preview
const liveReads = poller(() => readScaleNow(), 400);

const st = station("/setup", {
  onSignedIn: async () => {
    await load();
  },
  onSignedOut: () => {
    stopWatching();
    stopCamera();
    data = null;
    show("#station-panel", false);
  },
  onDisconnect: () => {
    liveReads.stop();
    watching = null;
  },
});

function view(id = current) {
  return data ? data.stations.find((s) => s.id === id) || null : null;
}

function sourceText(source) {
  if (source === "saved") return t("Saved here");
  if (source === "stations.toml") return t("From stations.toml");
  return t("Not set");
}

function setSource(selector, device) {
  const tag = $(selector);
  tag.textContent = sourceText(device ? device.source : null);
  tag.dataset.source = device ? device.source : "";
}

function result(selector, ok, message) {
  const node = $(selector);
  node.dataset.state = ok ? "ok" : "error";
  node.textContent = message || "";
}

// ------------------------------------------------------------------ the list of stations

function summary(s) {
  const parts = [];
  if (s.printer) parts.push(s.printer.kind === "zpl" ? t("printer %(where)s", { where: `${s.printer.host}:${s.printer.port}` }) : t("printer: browser PDF"));
  if (s.scale) parts.push(t("scale: %(driver)s", { driver: s.scale.driver }));
  if (s.camera) parts.push(t("camera: %(label)s", { label: s.camera.label }));
  if (s.carrier_account) parts.push(t("ships on %(code)s", { code: s.carrier_account.code }));
  return parts.join(" · ") || t("nothing set up");
}

function renderList() {
  const list = $("#station-list");
  list.replaceChildren(
    ...data.stations.map((s) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "btn",
            "aria-current": s.id === current ? "true" : "false",
            dataset: { testid: `station-${s.id}`, station: s.id },
            onclick: () => st.run(() => choose(s.id)),
          },
          h("span", {}, `${s.name} `),
          h("span", { class: "tag mono" }, s.id),
          h("span", { class: "devices" }, summary(s)),
        ),
      ),
    ),
  );
}

async function load(select = current) {
  const ack = await st.ask("stations", {});
  if (!ack.ok) return;
  data = ack;
  document.body.classList.toggle("read-only", !ack.can_edit);
  show("#read-only", !ack.can_edit);
  fillAccounts(ack.options.accounts);
  const ids = ack.stations.map((s) => s.id);
  await choose(ids.includes(select) ? select : ids[0] || null);
}

async function choose(id) {
  const changed = id !== current;
  current = id;
  renderList();
  const s = view();
  show("#station-panel", Boolean(s));
  if (!s) return;
  setText("#station-title", s.name);
  setText("#station-id", s.id);
  setText(
    "#station-updated",
    s.saved ? t("Saved by %(who)s, %(when)s", { who: s.updated_by, when: time(s.updated_at) }) : t("Not saved here: as config/stations.toml says."),
  );
  fillPrinter(s.printer);
  fillScale(s.scale);
  fillCamera(s.camera);
  fillAccount(s.carrier_account);
  if (changed) {
    setText("#printer-result", "");
    setText("#camera-result", "");
  }
  if (changed || watching !== id) await watch();
}

function replaceView(updated) {
  const i = data.stations.findIndex((s) => s.id === updated.id);
  if (i >= 0) data.stations[i] = updated;
  else data.stations.push(updated);
  data.stations.sort((a, b) => a.id.localeCompare(b.id));
}

async function save(changes, extra = {}) {
  const ack = await st.ask("save", { station: current, changes, ...extra });
  if (!ack.ok) return ack;
  flash(true, ack.message);
  replaceView(ack.station);
  await choose(ack.station.id);
  return ack;
}

// ------------------------------------------------------------------ printer

const printerForm = $("#printer-form");

function fillPrinter(p) {
  setSource("#printer-source", p);
  const kind = p ? p.kind : "zpl";
  printerForm.kind.value = kind;
  printerForm.host.value = p && p.host ? p.host : "";
  printerForm.port.value = p && p.port ? p.port : 9100;
  printerForm.dpi.value = p && p.dpi ? String(p.dpi) : "203";
  printerForm.name.value = p && p.name ? p.name : "";
  printerKind();
}

function printerKind() {
  const zpl = printerForm.kind.value === "zpl";
  for (const node of $$(".zpl-only", printerForm)) show(node, zpl);
}

function number(value) {
  const text = String(value).trim();
  if (text === "") return undefined;
  return /^\d+$/.test(text) ? Number(text) : text; // the server says what is wrong with text
}

function readPrinter() {
  const kind = printerForm.kind.value;
  const name = printerForm.name.value.trim();
  if (kind === "pdf") return name ? { kind, name } : { kind };
  const out = { kind, host: printerForm.host.value.trim(), port: number(printerForm.port.value), dpi: number(printerForm.dpi.value) };
  if (name) out.name = name;
  return out;
}

for (const radio of $$("input[name=kind]", printerForm)) radio.addEventListener("change", printerKind);

printerForm.addEventListener("submit", (event) => {
  event.preventDefault();
  st.run(() => save({ printer: readPrinter() }));
});

$("#test-print").addEventListener("click", () =>
  st.run(async () => {
    result("#printer-result", true, t("Sending a test label…"));
    const ack = await st.ask("test_print", { station: current, printer: readPrinter() }, { flashErrors: false, timeoutMs: 15000 });
    result("#printer-result", ack.ok, ack.message);
    flash(ack.ok, ack.message);
    if (ack.ok && ack.url) window.open(ack.url, "_blank");
  }),
);

$("#reset-printer").addEventListener("click", () => st.run(() => save({ printer: null })));

// ------------------------------------------------------------------ scale

const scaleForm = $("#scale-form");

function fillScale(s) {
  setSource("#scale-source", s);
  scaleForm.driver.value = s ? s.driver : "serial";
  scaleForm.port.value = s && s.port ? s.port : "";
  scaleForm.path.value = s && s.path ? s.path : "";
  scaleForm.transport.value = s && s.transport ? s.transport : "hid";
  scaleForm.protocol.value = s && s.protocol ? s.protocol : "mt-sics";
  scaleForm.baudrate.value = String(s && s.baudrate ? s.baudrate : 9600);
  scaleForm.unit.value = s && s.unit ? s.unit : "";
  scaleDriver();
  const link = $("#weigh-link");
  link.href = `/weigh/${encodeURIComponent(current)}`;
  show(link, Boolean(s));
}

function scaleDriver() {
  const driver = scaleForm.driver.value;
  const serialProtocol = driver === "serial" || (driver === "browser" && scaleForm.transport.value === "serial");
  show($(".driver-serial", scaleForm), driver === "serial");
  show($(".driver-hid", scaleForm), driver === "hid");
  show($(".driver-browser", scaleForm), driver === "browser");
  show($(".driver-protocol", scaleForm), serialProtocol);
}

function readScaleForm() {
  const driver = scaleForm.driver.value;
  const out = { driver };
  const protocol = () => {
    out.protocol = scaleForm.protocol.value;
    out.baudrate = number(scaleForm.baudrate.value);
    if (scaleForm.unit.value) out.unit = scaleForm.unit.value;
  };
  if (driver === "serial") {
    out.port = scaleForm.port.value.trim();
    protocol();
  } else if (driver === "hid") {
    out.path = scaleForm.path.value.trim();
  } else if (driver === "browser") {
    out.transport = scaleForm.transport.value;
    if (out.transport === "serial") protocol();
  }
  return out;
}

scaleForm.driver.addEventListener("change", scaleDriver);
scaleForm.transport.addEventListener("change", scaleDriver);
scaleForm.addEventListener("submit", (event) => {
  event.preventDefault();
  st.run(async () => {
    const ack = await save({ scale: readScaleForm() });
    if (ack.ok) await watch();
  });
});
$("#reset-scale").addEventListener("click", () => st.run(() => save({ scale: null })));

function renderLive(live, message = null) {
  const box = $("#live-box");
  const weight = $("#live-weight");
  let state = "waiting";
  let icon = "…";
  let words = message || t("Waiting for the first reading…");
  if (live) {
    words = live.message;
    if (live.accepted_g !== null && live.accepted_g !== undefined) {
      state = "stable";
      icon = "✔";
      words = words || t("Stable");
    } else if (live.status === "ok" || live.status === "motion") {
      state = "motion";
      icon = "〰";
      words = words || t("Moving: wait for it to settle");
    } else {
      state = "error";
      icon = "✖";
      words = words || live.status;
    }
  } else if (message) {
    state = "none";
    icon = "–";
  }
  box.dataset.state = state;
  setText("#live-icon", icon);
  weight.textContent = live && live.weight_g !== null && live.weight_g !== undefined ? grams(live.weight_g) : "—";
  weight.dataset.grams = live && live.weight_g !== null && live.weight_g !== undefined ? String(live.weight_g) : "";
  setText("#live-status", words);
}

async function watch() {
  liveReads.stop();
  watching = null;
  const s = view();
  let why = null;
  if (!s || !s.scale) why = t("No scale set up for this station.");
  else if (s.scale.driver === "manual") why = t("No scale: weights are typed at this station.");
  else if (s.scale.driver === "browser") why = t("This scale is read by the kiosk's browser: open the weigh station there to see it.");
  if (why) {
    st.call("unwatch_scale", {});
    renderLive(null, why);
    return;
  }
  const ack = await st.call("watch_scale", { station: s.id });
  if (!ack.ok) {
    renderLive(null, ack.message);
    return;
  }
  watching = s.id;
  renderLive(ack.live);
  liveReads.start(false);
}

async function readScaleNow() {
  if (!watching) return;
  const ack = await st.call("scale_reading", { station: watching });
  if (ack.ok && ack.live !== undefined) renderLive(ack.live);
}

function stopWatching() {
  liveReads.stop();
  if (watching) st.call("unwatch_scale", {});
  watching = null;
}

// ------------------------------------------------------------------ camera

const video = $("#camera-video");
const cameraSelect = $("#camera-select");

function fillCamera(c) {
  setSource("#camera-source", c);
  if (!stream) {
    const label = c ? c.label : t("Start the preview to list cameras");
    cameraSelect.replaceChildren(h("option", { value: c ? c.device_id : "" }, label));
  }
}

function stopCamera() {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.srcObject = null;
  show(video, false);
  $("#camera-decode").disabled = true;
  $("#camera-save").disabled = true;
}

async function startCamera(deviceId = "") {
  stopCamera();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    result("#camera-result", false, t("This browser offers no camera here (it needs https or localhost)."));
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: "environment" } },
      audio: false,
    });
  } catch (err) {
    result("#camera-result", false, t("No camera: %(why)s", { why: err && err.name ? err.name : String(err) }));
    return;
  }
  video.srcObject = stream;
  show(video, true);
  await video.play().catch(() => {});
  const active = stream.getVideoTracks()[0];
  const activeId = active && active.getSettings ? active.getSettings().deviceId : "";
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
  cameraSelect.replaceChildren(
    ...devices.map((d, i) => h("option", { value: d.deviceId, selected: d.deviceId === activeId }, d.label || t("Camera %(n)s", { n: i + 1 }))),
  );
  $("#camera-decode").disabled = false;
  $("#camera-save").disabled = false;
  result("#camera-result", true, t("Preview running: hold a barcode in front of the camera and press Test decode."));
}

async function frameJpeg() {
  const w = video.videoWidth;
  const hgt = video.videoHeight;
  if (!w || !hgt) return null;
  const scale = Math.min(1, 1280 / w);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(hgt * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  return blob ? blob.arrayBuffer() : null;
}

$("#camera-start").addEventListener("click", () => st.run(() => startCamera(cameraSelect.value)));
cameraSelect.addEventListener("change", () => {
  if (stream) st.run(() => startCamera(cameraSelect.value));
});
$("#camera-decode").addEventListener("click", () =>
  st.run(async () => {
    const image = await frameJpeg();
    if (!image) {
      result("#camera-result", false, t("The camera has no picture yet: wait a second and try again."));
      return;
    }
    const ack = await st.ask("test_decode", { image }, { flashErrors: false });
    result("#camera-result", ack.ok, ack.message);
    flash(ack.ok, ack.message);
  }),
);
$("#camera-save").addEventListener("click", () =>
  st.run(() => {
    const option = cameraSelect.selectedOptions[0];
    return save({ camera: { label: option ? option.textContent : "", device_id: cameraSelect.value } });
  }),
);
$("#reset-camera").addEventListener("click", () => st.run(() => save({ camera: null })));

// ------------------------------------------------------------------ carrier account

const accountSelect = $("#account-select");

function fillAccounts(accounts) {
  accountSelect.replaceChildren(
    h("option", { value: "" }, t("None chosen")),
    ...accounts.map((a) => h("option", { value: a.code }, `${a.name} (${a.code}${a.number ? ", " + a.number : ""})`)),
  );
}

function fillAccount(a) {
  setSource("#account-source", a);
  accountSelect.value = a ? a.code : "";
}

$("#account-form").addEventListener("submit", (event) => {
  event.preventDefault();
  st.run(() => save({ carrier_account: accountSelect.value || null }));
});

// ------------------------------------------------------------------ add and forget stations

$("#add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = $("#add-id").value.trim();
  const name = $("#add-name").value.trim();
  st.run(async () => {
    const ack = await st.ask("save", { station: id, new: true, changes: { name: name || null } });
    if (!ack.ok) return;
    flash(true, t("Station %(id)s added: now choose its devices.", { id: ack.station.id }));
    $("#add-id").value = "";
    $("#add-name").value = "";
    replaceView(ack.station);
    await choose(ack.station.id);
  });
});

$("#remove-station").addEventListener("click", () =>
  st.run(async () => {
    const ack = await st.ask("remove", { station: current });
    if (!ack.ok) return;
    flash(true, ack.message);
    stopWatching();
    await load(ack.gone ? null : ack.station);
  }),
);

// ------------------------------------------------------------------ scanner test

const GS = "\x1d";
const shown = (code) => code.split(GS).join("⟨GS⟩");

function testRows() {
  return $$("#scan-tests tr").map((row) => ({ row, expect: JSON.parse(row.dataset.expect) }));
}

function mark(row, ok, received, why = "") {
  row.dataset.state = ok ? "ok" : "error";
  $(".scan-icon", row).textContent = ok ? "✔" : "✖";
  $(".received", row).textContent = shown(received) + (why ? ` — ${why}` : "");
}

st.onScan(async (code) => {
  const rows = testRows();
  const exact = rows.find((r) => r.expect === code);
  if (exact) {
    mark(exact.row, true, code);
    flash(true, t("%(code)s arrived exactly as encoded.", { code: shown(code) }));
    return;
  }
  const noGs = rows.find((r) => r.expect.includes(GS) && r.expect.split(GS).join("") === code.split(GS).join(""));
  if (noGs) {
    const why = t("the group separator did not arrive: turn on Send control characters as events");
    mark(noGs.row, false, code, why);
    flash(false, why);
    return;
  }
  const padded = rows.find((r) => code.length === r.expect.length + 1 && code === `0${r.expect}`);
  if (padded) {
    const why = t("read as EAN-13: enable the UPC-A decoder");
    mark(padded.row, false, code, why);
    flash(false, why);
    return;
  }
  flash("warn", t("%(code)s is not one of the test codes of the set-up sheet.", { code: shown(code) }));
});

if (location.hash === "#scanner-test") $("#scanner-test").scrollIntoView();
