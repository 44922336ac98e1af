// Returns: scan a parcel (RMA, order, tracking number or return label), then each unit in it:
// scan the item, photograph it, grade it with a reason (a button or a bench-card scan), and
// put resellable units away by scanning the bin. Close the parcel to report it upstream.
//
// Photos: the station camera or the browser camera through getUserMedia, one frame drawn on a
// canvas and sent as a JPEG; where there is no camera access (no secure context, no device,
// permission refused) a file input takes a picture or a file, re-encoded the same way.

import { t, tn } from "./i18n.js";
import { $, flash, h, newScanId, poller, setText, show, station, time } from "./station.js";

const PHOTO_MAX_EDGE_PX = 1600;
const PHOTO_MAX_BYTES = 900000; // the server takes 950 kB: one Socket.IO message
const CAMERA_KEY = "dockhand.returns.camera";
const CMD = { photo: "CMD-PHOTO", close: "CMD-CLOSE", review: "CMD-REVIEW" };
const FLAG_TEXT = {
  over_authorized: t("More than authorized"),
  not_on_order: t("Not on this order"),
  unknown_item: t("Not one of our products"),
};
const STATUS_TEXT = {
  scanned: t("to grade"),
  awaiting_put_away: t("to put away"),
  restocked: t("in stock"),
  quarantined: t("quarantine"),
  disposed: t("disposed"),
  held: t("held (review)"),
  set_aside: t("set aside"),
};
const GRADE_TEXT = { resellable: t("resellable"), damaged: t("damaged"), dispose: t("dispose") };
const RECEIPT_STATUS = { open: t("open"), closed: t("closed"), review: t("review") };
const MATCHED_BY = {
  rma: t("RMA"),
  allocation: t("allocation"),
  order: t("order number"),
  tracking: t("tracking number"),
  return_label: t("return label"),
  receipt: t("receipt"),
};

let receipt = null; // the receipt being worked
let pendingCode = null; // a parcel scan with no authorization, waiting for "review"
// The camera's MediaStream, kept while a parcel is open (starting a camera takes a second,
// too long to pay per unit) and stopped when the parcel is closed or left.
let stream = null;

const st = station("/returns", {
  onSignedIn: async () => {
    listPoll.start();
    if (receipt) await open(receipt.code, { quiet: true });
  },
  onSignedOut: () => {
    listPoll.stop();
    pendingCode = null;
    setReceipt(null);
  },
});

const listPoll = poller(refreshLists, 5000);

// ---------------------------------------------------------------- lists

function listItem(row) {
  const meta = [row.order_number, tn("%(n)s unit", "%(n)s units", row.units, { n: row.units }), time(row.opened_at)].filter(Boolean);
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: "queue-item",
        dataset: { code: row.code },
        onclick: () => st.run(() => open(row.code)),
      },
      h("span", { class: "queue-code mono" }, row.rma_id || row.scanned_code),
      h("span", { class: "queue-meta" }, `${row.code} · ${meta.join(" · ")}`),
    ),
  );
}

async function refreshLists() {
  const ack = await st.call("worklist", {});
  if (!ack.ok) return;
  $("#open-list").replaceChildren(...ack.open.map(listItem));
  $("#review-list").replaceChildren(...ack.review.map(listItem));
  setText("#open-count", ack.open.length ? `(${ack.open.length})` : "");
  setText("#review-count", ack.review.length ? `(${ack.review.length})` : "");
  show("#open-empty", ack.open.length === 0);
  show("#review-empty", ack.review.length === 0);
}

// ---------------------------------------------------------------- rendering

function unitRow(u) {
  return h(
    "tr",
    { dataset: { unit: String(u.id), status: u.status, grade: u.grade || "", flag: u.flag || "" } },
    h("td", { class: "num" }, String(u.seq)),
    h(
      "td",
      {},
      h("span", { class: "mono" }, u.sku || u.code),
      u.flag ? h("span", { class: "tag tag-warn" }, `⚠ ${FLAG_TEXT[u.flag] || u.flag}`) : null,
    ),
    h("td", {}, GRADE_TEXT[u.grade] || u.grade || "—"),
    h("td", {}, u.reason ? t(u.reason) : "—"),
    h("td", {}, STATUS_TEXT[u.status] || u.status, u.location ? ` · ${u.location}` : ""),
    h("td", { class: "num" }, String(u.photos.length)),
  );
}

function setReceipt(r) {
  receipt = r;
  show("#receipt", Boolean(r));
  show("#idle", !r && !pendingCode);
  show("#no-auth", Boolean(pendingCode) && !r);
  if (!r) {
    stopCamera();
    return;
  }
  show("#closed", false);
  const panel = $("#receipt");
  panel.dataset.code = r.code;
  panel.dataset.status = r.status;
  panel.dataset.stage = r.stage;
  setText("#receipt-title", r.review ? t("Review") : t("Return %(rma)s", { rma: r.rma_id }));
  setText("#receipt-code", r.code);
  const tag = $("#receipt-tag");
  tag.textContent = r.review ? `⚠ ${t("No authorization")}` : RECEIPT_STATUS[r.status] || r.status;
  tag.className = r.review ? "tag tag-warn" : "tag";
  const meta = [];
  if (r.order_number) meta.push(t("Order %(order)s", { order: r.order_number }));
  meta.push(t("found by %(how)s %(code)s", { how: MATCHED_BY[r.matched_by] || r.matched_by, code: r.scanned_code }));
  setText("#receipt-meta", meta.join(" · "));

  $("#authorized").replaceChildren(
    ...r.authorized.map((ln) =>
      h(
        "tr",
        {
          class: ln.received >= ln.qty ? "row-done" : "",
          dataset: { sku: ln.sku, qty: String(ln.qty), received: String(ln.received) },
        },
        h("td", {}, ln.line_id || "—"),
        h("td", {}, h("span", { class: "mono" }, ln.sku), ln.name ? ` ${ln.name}` : ""),
        h("td", {}, ln.reason ? t(ln.reason) : ""),
        h("td", { class: "num" }, String(ln.qty)),
        h("td", { class: "num" }, String(ln.received)),
      ),
    ),
  );
  show("#no-lines", r.authorized.length === 0);
  $("#units").replaceChildren(...r.units.map(unitRow));
  setText("#units-count", r.units.length ? `(${r.units.length})` : "");

  show("#stage-item", r.stage === "item");
  show("#stage-grade", r.stage === "grade");
  show("#stage-put-away", r.stage === "put_away");
  const closeButton = $("#close-button");
  closeButton.disabled = !r.can_close;
  closeButton.textContent = r.review ? t("Done: park it in the review queue") : t("Close return & report");

  const role = st.user ? st.user.role : "";
  show("#resolve", r.review && ["supervisor", "admin"].includes(role));

  const u = r.current;
  if (r.stage === "grade" && u) {
    const unit = $("#unit");
    unit.dataset.unitId = String(u.id);
    unit.dataset.flag = u.flag || "";
    setText("#unit-sku", u.sku || t("Unknown item"));
    setText("#unit-name", u.name || "");
    setText("#unit-code", u.code);
    setText("#unit-seq", u.seq);
    show("#unit-flag", Boolean(u.flag));
    setText("#unit-flag", u.flag ? `⚠ ${t("%(flag)s: photograph it, then grade it.", { flag: FLAG_TEXT[u.flag] || u.flag })}` : "");
    const need = u.photo_required_for;
    const needText =
      need.length === 3
        ? t("required")
        : need.length
          ? t("required if %(grades)s", { grades: need.map((g) => GRADE_TEXT[g] || g).join(t(" or ")) })
          : t("optional");
    setText("#photo-need", u.photos.length ? `✔ ${t("%(n)s taken", { n: u.photos.length })}` : needText);
    const photos = $("#photos");
    photos.dataset.count = String(u.photos.length);
    photos.replaceChildren(
      ...u.photos.map((p) =>
        h("li", {}, h("img", { src: p.url, alt: t("Photo %(id)s (%(source)s)", { id: p.id, source: p.source }), width: 120, height: 90 })),
      ),
    );
    for (const button of document.querySelectorAll(".reason")) {
      const blocked = need.includes(button.dataset.grade) && u.photos.length === 0;
      button.classList.toggle("needs-photo", blocked);
      button.title = blocked ? t("Take a photo first") : "";
    }
    startCamera();
  } else if (r.stage === "closed") {
    stopCamera();
  }
  if (r.stage === "put_away" && u) {
    setText("#put-away-sku", u.sku);
    setText("#put-away-location", u.suggested_location);
  }
}

// ---------------------------------------------------------------- actions

async function open(code, { review = false, quiet = false } = {}) {
  const ack = await st.ask("receive", { code, review }, { flashErrors: false });
  if (!ack.ok) {
    if (ack.error === "no_authorization") {
      pendingCode = code;
      setReceipt(null);
      setText("#no-auth-text", ack.message);
      flash("warn", ack.message);
    } else {
      flash(false, ack.message || t("Rejected."));
    }
    return;
  }
  pendingCode = null;
  setReceipt(ack.receipt);
  if (!quiet) flash(ack.receipt.review ? "warn" : true, ack.message);
  refreshLists();
}

async function scanInReceipt(code) {
  const payload = { receipt: receipt.code, code };
  const ack = await st.askScan("scan", payload, code);
  if (ack.receipt) setReceipt(ack.receipt);
  if (!ack.ok) return; // ask() flashed the reason in red
  if (ack.result === "closed" || ack.result === "parked") {
    finished(ack);
    return;
  }
  const flagged = ["over_authorized", "not_on_order", "unknown_item"].includes(ack.result);
  flash(flagged ? "warn" : true, ack.message);
  if (ack.result !== "photo") refreshLists();
}

function finished(ack) {
  const r = ack.receipt;
  setText("#closed-title", ack.result === "closed" ? t("Return %(rma)s closed", { rma: r.rma_id }) : t("%(code)s parked for review", { code: r.code }));
  setText("#closed-text", ack.message);
  $("#closed-units").replaceChildren(
    ...r.units.map((u) =>
      h(
        "li",
        { dataset: { status: u.status } },
        `${u.sku || u.code}: ${GRADE_TEXT[u.grade] || u.grade || "—"} → ${STATUS_TEXT[u.status] || u.status}`,
        u.location ? ` ${u.location}` : "",
        u.flag ? ` ⚠ ${FLAG_TEXT[u.flag] || u.flag}` : "",
      ),
    ),
  );
  $("#closed").dataset.code = r.code;
  setReceipt(null);
  show("#closed", true);
  show("#idle", true);
  flash(true, ack.message);
  refreshLists();
}

async function closeReceipt() {
  if (!receipt) return;
  const ack = await st.ask("close", { receipt: receipt.code });
  if (ack.receipt && ack.ok) finished(ack);
}

async function resolve(rmaId) {
  const ack = await st.ask("resolve_review", { receipt: receipt.code, rma_id: rmaId });
  if (!ack.ok) return;
  setReceipt(ack.receipt);
  flash(true, ack.message);
  refreshLists();
}

async function removeUnit() {
  if (!receipt || !receipt.current) return;
  const ack = await st.ask("remove_unit", { unit_id: receipt.current.id });
  if (!ack.ok) return;
  setReceipt(ack.receipt);
  flash("info", ack.message);
}

st.onScan(async (code) => {
  const upper = code.toUpperCase();
  if (!receipt) {
    if (upper === CMD.review) {
      if (pendingCode) await open(pendingCode, { review: true });
      else flash("warn", t("Scan the parcel first, then CMD-REVIEW if it has no authorization."));
      return;
    }
    if (upper.startsWith("CMD-") || upper.startsWith("R-")) {
      flash("warn", t("Scan a returned parcel first."));
      return;
    }
    await open(code);
    return;
  }
  if (upper === CMD.photo) {
    await takePhoto();
    return;
  }
  await scanInReceipt(code);
});

// ---------------------------------------------------------------- photos

function cameraAvailable() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

async function listCameras() {
  const select = $("#camera-select");
  try {
    const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
    if (devices.length < 2) {
      show(select, false);
      return;
    }
    const chosen = localStorage.getItem(CAMERA_KEY) || "";
    select.replaceChildren(
      ...devices.map((d, i) =>
        h("option", { value: d.deviceId, selected: d.deviceId === chosen }, d.label || t("Camera %(n)s", { n: i + 1 })),
      ),
    );
    show(select, true);
  } catch {
    show(select, false);
  }
}

let starting = null;

function startCamera() {
  if (stream || starting || !cameraAvailable()) {
    if (!cameraAvailable()) {
      setText("#camera-off", t("No camera access in this browser here: use “Choose or take a picture”."));
    }
    return starting;
  }
  const deviceId = localStorage.getItem(CAMERA_KEY);
  const video = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: "environment" };
  starting = navigator.mediaDevices
    .getUserMedia({ video: { ...video, width: { ideal: 1280 }, height: { ideal: 960 } }, audio: false })
    .catch(() => navigator.mediaDevices.getUserMedia({ video: true, audio: false }))
    .then(async (s) => {
      if (!receipt) {
        s.getTracks().forEach((track) => track.stop()); // the parcel was closed meanwhile
        return;
      }
      stream = s;
      const el = $("#camera-video");
      el.srcObject = s;
      show(el, true);
      show("#take-photo", true);
      show("#camera-off", false);
      await listCameras();
    })
    .catch((err) => {
      setText("#camera-off", t("Camera unavailable (%(why)s): use “Choose or take a picture”.", { why: err && err.name ? err.name : err }));
      show("#camera-off", true);
    })
    .finally(() => {
      starting = null;
    });
  return starting;
}

function stopCamera() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  const el = $("#camera-video");
  if (el) {
    el.srcObject = null;
    show(el, false);
  }
  show("#take-photo", false);
  setText("#camera-off", t("Camera off."));
  show("#camera-off", true);
}

/** Draw a frame or a picture on a canvas, at most PHOTO_MAX_EDGE_PX, and encode it as JPEG. */
async function toJpeg(source, width, height) {
  const scale = Math.min(1, PHOTO_MAX_EDGE_PX / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
  for (const quality of [0.85, 0.7, 0.55, 0.4]) {
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    if (blob && blob.size <= PHOTO_MAX_BYTES) return blob.arrayBuffer();
  }
  throw new Error("the photo is too large even at low quality");
}

async function upload(jpeg, source) {
  if (!receipt || !receipt.current) {
    flash("warn", t("Scan an item first, then photograph it."));
    return;
  }
  const ack = await st.ask("photo", {
    unit_id: receipt.current.id,
    jpeg,
    source,
    client_photo_id: newScanId(),
  });
  if (!ack.ok) return;
  setReceipt(ack.receipt);
  flash(true, t("Photo saved. Now grade it."));
}

async function takePhoto() {
  if (!receipt || receipt.stage !== "grade") {
    flash("warn", t("Scan an item first, then photograph it."));
    return;
  }
  await startCamera();
  const video = $("#camera-video");
  if (!stream || !video.videoWidth) {
    flash(false, t("The camera is not ready: use “Choose or take a picture”."));
    return;
  }
  const jpeg = await toJpeg(video, video.videoWidth, video.videoHeight);
  await upload(jpeg, "camera");
}

async function fromFile(file) {
  if (!file) return;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    flash(false, t("That file is not a picture this browser can read."));
    return;
  }
  const jpeg = await toJpeg(bitmap, bitmap.width, bitmap.height);
  if (bitmap.close) bitmap.close();
  await upload(jpeg, "file");
}

// ---------------------------------------------------------------- wiring

$("#take-photo").addEventListener("click", () => st.run(takePhoto));
$("#photo-file").addEventListener("change", (event) => {
  const input = event.currentTarget;
  const file = input.files && input.files[0];
  st.run(async () => {
    await fromFile(file);
    input.value = "";
  });
});
$("#camera-select").addEventListener("change", (event) => {
  localStorage.setItem(CAMERA_KEY, event.currentTarget.value);
  stopCamera();
  startCamera();
});
for (const button of document.querySelectorAll(".reason")) {
  button.addEventListener("click", () => st.deliver(button.dataset.reason));
}
$("#close-button").addEventListener("click", () => st.run(closeReceipt));
$("#remove-unit").addEventListener("click", () => st.run(removeUnit));
$("#review-button").addEventListener("click", () => {
  if (pendingCode) st.run(() => open(pendingCode, { review: true }));
});
$("#no-auth-cancel").addEventListener("click", () => {
  pendingCode = null;
  setReceipt(null);
  flash("info", t("Set aside. Scan the next parcel."), { quiet: true });
});
$("#resolve-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("#rma-input");
  const value = input.value.trim();
  input.value = "";
  input.blur();
  if (value) st.run(() => resolve(value));
});
