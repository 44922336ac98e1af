// Camera scanning for handhelds and phones without a scanner. The browser's BarcodeDetector
// reads frames on the device where it exists (Chrome on Android); elsewhere a frame a few
// times a second goes to the server's decoder as a JPEG (`decode_frame` on the namespace).
// A code is delivered once while it stays in view: the next unit of the same item counts when
// the camera has looked away (or at nothing) in between.
//
//   const cam = cameraScanner({ video, call: st.call, onCode(code) {...}, onStatus(text) {...},
//                               savedCamera: async () => ({ label, device_id }) or null });
//   await cam.start();  cam.stop();
//
// A station may have a camera saved on the set-up page (its label and the browser's device
// id): `openCamera` opens that one, finds it by its label when this browser knows it under
// another id, and otherwise opens the default (rear) camera with a note saying so.

import { t } from "./i18n.js";

const DETECTOR_FORMATS = [
  "ean_13",
  "ean_8",
  "upc_a",
  "upc_e",
  "code_128",
  "code_39",
  "itf",
  "qr_code",
  "data_matrix",
];
const DETECT_EVERY_MS = 120;
const SERVER_EVERY_MS = 350; // plus the round trip: one frame in flight at a time
const MAX_WIDTH_PX = 960; // enough for a 13-digit EAN at arm's length, a tenth of the bytes
const JPEG_QUALITY = 0.75;
const RETAIL = new Set(["ean13", "ean8", "upca", "upce", "ean_13", "ean_8", "upc_a", "upc_e"]);

const SIZE = { width: { ideal: 1280 }, height: { ideal: 720 } };
const DEFAULT_VIDEO = { facingMode: { ideal: "environment" }, ...SIZE };

function stopStream(stream) {
  if (stream) for (const track of stream.getTracks()) track.stop();
}

function exactly(deviceId) {
  return navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: deviceId }, ...SIZE }, audio: false });
}

/**
 * Open the camera saved for the station (`saved`: {label, device_id}, or null for none).
 * Resolves to {stream, used, note}: `used` is "saved" (the saved camera is open), "fallback"
 * (it is not on this device: the default camera is open and `note` says so) or "default"
 * (nothing saved). A refused permission or a device without any camera rejects as
 * getUserMedia does.
 */
export async function openCamera(saved) {
  const want = saved && (saved.device_id || saved.label) ? saved : null;
  if (want && want.device_id) {
    try {
      return { stream: await exactly(want.device_id), used: "saved", note: "" };
    } catch (err) {
      // Not on this device (or this browser profile knows it under another id): carry on.
      if (!err || !["OverconstrainedError", "NotFoundError", "NotReadableError"].includes(err.name)) throw err;
    }
  }
  const stream = await navigator.mediaDevices.getUserMedia({ video: DEFAULT_VIDEO, audio: false });
  if (!want) return { stream, used: "default", note: "" };
  // Device ids are per browser profile, labels are not: look for the same camera by name.
  const current = stream.getVideoTracks()[0];
  const currentId = current && current.getSettings ? current.getSettings().deviceId : "";
  let devices = [];
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    devices = [];
  }
  const same = want.label ? devices.find((d) => d.kind === "videoinput" && d.label === want.label) : null;
  if (same && same.deviceId === currentId) return { stream, used: "saved", note: "" };
  if (same) {
    try {
      const again = await exactly(same.deviceId);
      stopStream(stream);
      return { stream: again, used: "saved", note: "" };
    } catch {
      // keep the default camera
    }
  }
  return {
    stream,
    used: "fallback",
    note: t("⚠ The camera saved for this station (%(camera)s) is not on this device: using the default camera.", {
      camera: want.label || want.device_id,
    }),
  };
}

/** The text to treat as the scan: GTIN-14 for retail symbols (so UPC-E matches its GTIN). */
export function codeOf(found) {
  if (found.gtin14) return found.gtin14;
  const format = String(found.format || "").toLowerCase();
  const text = found.text ?? found.rawValue ?? "";
  if (RETAIL.has(format) && /^\d+$/.test(text)) return text.padStart(14, "0");
  return text;
}

async function makeDetector() {
  const Detector = globalThis.BarcodeDetector;
  if (!Detector) return null;
  try {
    const supported = Detector.getSupportedFormats ? await Detector.getSupportedFormats() : [];
    const formats = DETECTOR_FORMATS.filter((f) => supported.includes(f));
    if (!formats.length) return null;
    return new Detector({ formats });
  } catch {
    return null;
  }
}

export function cameraScanner({ video, call, onCode, onStatus = () => {}, savedCamera = async () => null }) {
  let stream = null;
  let timer = null;
  let detector = null;
  let running = false;
  let inView = null; // the code the camera is looking at: read once until it leaves the view
  const canvas = document.createElement("canvas");

  function seen(code) {
    if (code && code !== inView) onCode(code);
    inView = code || null;
  }

  async function frameToJpeg() {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return null;
    const scale = Math.min(1, MAX_WIDTH_PX / w);
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    return blob ? blob.arrayBuffer() : null;
  }

  async function tick() {
    if (!running) return;
    let wait = detector ? DETECT_EVERY_MS : SERVER_EVERY_MS;
    try {
      if (detector) {
        const found = await detector.detect(video);
        seen(found.length ? codeOf(found[0]) : null);
      } else {
        const image = await frameToJpeg();
        if (image) {
          const ack = await call("decode_frame", { image }, 5000);
          if (ack.ok) seen(ack.codes && ack.codes.length ? codeOf(ack.codes[0]) : null);
          else if (ack.error === "decoder_unavailable") {
            onStatus(ack.message);
            stop();
            return;
          } else if (["offline", "timeout"].includes(ack.error)) {
            onStatus(t("Camera needs the connection on this handheld: scan with the trigger."));
            wait = 2000;
          }
        }
      }
    } catch (err) {
      console.warn("camera frame failed", err);
    }
    if (running) timer = setTimeout(tick, wait);
  }

  let starting = null; // the start under way: closing the camera meanwhile cancels it
  let generation = 0;

  function start() {
    if (running) return Promise.resolve(true);
    if (!starting) {
      starting = open().finally(() => {
        starting = null;
      });
    }
    return starting;
  }

  async function open() {
    const gen = ++generation;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      onStatus(t("This browser offers no camera here (it needs https or localhost)."));
      return false;
    }
    let opened;
    try {
      opened = await openCamera(await savedCamera().catch(() => null));
    } catch (err) {
      onStatus(t("No camera: %(why)s", { why: err && err.name ? err.name : err }));
      return false;
    }
    if (gen !== generation) {
      stopStream(opened.stream); // closed while the camera was opening
      return false;
    }
    stream = opened.stream;
    video.dataset.camera = opened.used;
    video.srcObject = stream;
    video.setAttribute("playsinline", "");
    video.muted = true;
    await video.play().catch(() => {});
    detector = await makeDetector();
    if (gen !== generation) return false; // stop() has let the stream go already
    running = true;
    inView = null;
    video.dataset.decoder = detector ? "device" : "server";
    const point = detector ? t("Point the camera at the barcode.") : t("Point the camera at the barcode (read by the server).");
    onStatus(opened.note ? `${opened.note} ${point}` : point);
    tick();
    return true;
  }

  function stop() {
    generation += 1;
    running = false;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
  }

  return {
    start,
    stop,
    /** Running, or being opened (stop() cancels that too). */
    get running() {
      return running || Boolean(starting);
    },
  };
}
