// The pack bench camera. Two kinds:
//   - "station": the bench's own camera, read by the server (config/stations.toml). The page
//     asks `look` a couple of times a second: the server decodes the frame, scans new unit
//     barcodes against the order and sends back a small preview.
//   - "browser": this device's camera (getUserMedia). Frames go to the server as JPEG
//     (`frame`), which decodes them and scans the same way.
// Either way a unit held under the camera counts once; the next unit of the same item counts
// after the first has left the view. Photos of the packed carton come from the same camera.

import { openCamera } from "./camera.js";
import { t } from "./i18n.js";
import { $, setText, show } from "./station.js";

const BROWSER_EVERY_MS = 400;
const STATION_EVERY_MS = 600;
const FRAME_WIDTH_PX = 960; // enough for an EAN-13 at bench distance, a fraction of the bytes
const FRAME_QUALITY = 0.8;
const PHOTO_QUALITY = 0.88;

export function packCamera({ st, station, target, onAnswer }) {
  let mode = "off"; // off | browser | station
  let stationCamera = null; // {station, name, source} when the bench has one
  let savedDevice = null; // {label, device_id}: this station's browser camera (set-up page)
  let opening = false; // the browser camera is being opened: a second start waits for nothing
  let generation = 0; // stop() while opening cancels the opening
  let stream = null;
  let timer = null;
  let previewUrl = null;
  let frameSeq = 0;
  const video = $("#camera-video");
  const preview = $("#camera-preview");
  const canvas = document.createElement("canvas");

  function status(text) {
    setText("#camera-status", text);
  }

  function setMode(next) {
    mode = next;
    $("#camera-panel").dataset.mode = next;
    show(video, next === "browser");
    show(preview, next === "station");
    setText(
      "#camera-toggle",
      next !== "off" ? t("Stop camera") : stationCamera ? t("Start bench camera") : t("Start this device's camera"),
    );
  }

  async function setup() {
    stationCamera = null;
    if (station) {
      const ack = await st.call("camera", { station });
      if (ack.ok && ack.camera) stationCamera = ack.camera;
      if (ack.ok) savedDevice = ack.device || null;
    }
    setText("#camera-name", stationCamera ? `· ${stationCamera.name}` : "");
    if (mode === "off") setMode("off");
  }

  function schedule(fn, ms) {
    if (mode !== "off") timer = setTimeout(fn, ms);
  }

  function seen(ack) {
    const codes = (ack.codes || []).map((c) => c.gtin14 || c.text);
    setText("#camera-codes", codes.length ? `In view: ${codes.join(", ")}` : "");
  }

  async function grab(width, quality) {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return null;
    const scale = Math.min(1, width / w);
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    return blob ? blob.arrayBuffer() : null;
  }

  async function browserTick() {
    if (mode !== "browser") return;
    const where = target();
    if (where && st.online) {
      const image = await grab(FRAME_WIDTH_PX, FRAME_QUALITY);
      if (image) {
        frameSeq += 1;
        const ack = await st.call("frame", { ...where, image, frame_id: `${Date.now()}-${frameSeq}` }, 5000);
        if (ack.ok) {
          seen(ack);
          onAnswer(ack);
        } else if (ack.error !== "timeout" && ack.error !== "offline") {
          status(ack.message || t("The server could not read that frame."));
        }
      }
    }
    schedule(browserTick, BROWSER_EVERY_MS);
  }

  async function stationTick() {
    if (mode !== "station") return;
    const where = target() || {};
    const ack = await st.call("look", { station, preview: true, ...where }, 6000);
    if (ack.ok) {
      seen(ack);
      if (ack.preview) {
        const url = URL.createObjectURL(new Blob([ack.preview], { type: "image/jpeg" }));
        preview.src = url;
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        previewUrl = url;
      }
      if (ack.results && ack.results.length) onAnswer(ack);
      status(t("%(camera)s: units it sees count as scans.", { camera: stationCamera.name }));
    } else if (ack.error !== "timeout" && ack.error !== "offline") {
      status(ack.message || t("No picture from the bench camera."));
    }
    schedule(stationTick, STATION_EVERY_MS);
  }

  async function startBrowser() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status(t("This browser offers no camera here (it needs https or localhost)."));
      return false;
    }
    if (opening) return true;
    opening = true;
    try {
      return await openBrowser(++generation);
    } finally {
      opening = false;
    }
  }

  async function openBrowser(gen) {
    if (station) {
      // Asked again on every start: a camera chosen on the set-up page meanwhile is used.
      const ack = await st.call("camera", { station });
      if (ack.ok) savedDevice = ack.device || null;
    }
    let opened;
    try {
      opened = await openCamera(savedDevice);
    } catch (err) {
      status(t("No camera: %(why)s", { why: err && err.name ? err.name : err }));
      return false;
    }
    if (gen !== generation) {
      for (const track of opened.stream.getTracks()) track.stop(); // stopped while opening
      return false;
    }
    stream = opened.stream;
    video.dataset.camera = opened.used;
    video.srcObject = stream;
    await video.play().catch(() => {});
    if (gen !== generation) return false;
    setMode("browser");
    const hint = t("Hold each unit's barcode to the camera; units it sees count as scans.");
    status(opened.note ? `${opened.note} ${hint}` : hint);
    browserTick();
    return true;
  }

  async function start() {
    if (mode !== "off") return true;
    if (stationCamera) {
      setMode("station");
      status(`${stationCamera.name}: connecting…`);
      stationTick();
      return true;
    }
    return startBrowser();
  }

  function stop() {
    generation += 1;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    setMode("off");
    setText("#camera-codes", "");
    status(t("Off. Units the camera sees count as scans."));
  }

  $("#camera-toggle").addEventListener("click", () => {
    if (mode === "off") start();
    else stop();
  });

  return {
    setup,
    start,
    stop,
    get mode() {
      return mode;
    },
    get hasStation() {
      return Boolean(stationCamera);
    },
    /** A full-size JPEG from the browser camera, or null when it is not running. */
    async photoJpeg() {
      if (mode !== "browser") return null;
      return grab(1920, PHOTO_QUALITY);
    },
  };
}
