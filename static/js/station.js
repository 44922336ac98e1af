// What every station page shares: the Socket.IO connection, calls with acks and a timeout,
// the keyboard-wedge scanner, sign-in by badge, and the result banner with sound and vibration.
//
// Usage (one per page):
//   const st = station("/pick", { onSignedIn(user, { reconnect }) {...}, onSignedOut() {...} });
//   st.onScan(async (code, meta) => { const ack = await st.ask("scan", {...}); ... });
//
// `meta.entry` says how a code arrived: "scan" (a scanner's keystroke burst), "inject" (text
// put into the page at once: Android IME / DataWedge intent-style injection), "keyed" (a
// person typing with no field focused), "form" (the manual entry form) or "camera".
// The wedge is configured per device (DataWedge prefix/suffix, double-delivery window...):
// see wedgeConfig() and docs/handheld.md.

/* global io */

import { LANGUAGES, forgetLanguage, formatDateTime, formatGrams, formatMoney, lang, reloadOnce, switchLanguage, t } from "./i18n.js";

export { t, tn } from "./i18n.js";

const ACK_TIMEOUT_MS = 8000;
const NO_ANSWER = t("No answer from server — scan again");
const OFFLINE = t("Offline: no connection to the server. Scan again when the pill says Online.");
const LANG_CHOSEN = "dockhand.lang.chosen"; // picked on the sign-in screen: saved at sign-in
const BADGE = /^U\d{4,6}$/i;
// A scanner types a whole code in a few milliseconds; a buffer idle this long is a stray key.
const STALE_KEYS_MS = 3000;
// "Scan again" after a timeout re-sends the same client id, so the server replays its first
// answer instead of counting the unit twice when the lost scan did arrive.
const RETRY_WINDOW_MS = 60000;

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** A DOM element from a tag, properties and children (text is always set as text, never HTML). */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function show(node, visible = true) {
  if (typeof node === "string") node = $(node);
  if (node) node.hidden = !visible;
}

export function setText(selector, text) {
  const node = typeof selector === "string" ? $(selector) : selector;
  if (node) node.textContent = text === null || text === undefined ? "" : String(text);
}

/** A client id for a scan: the server answers a repeated id with its first answer. */
export function newScanId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID(); // secure contexts only
  if (c && typeof c.getRandomValues === "function") {
    const b = c.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// ---------------------------------------------------------------- feedback: banner, tone, buzz

let audio = null; // created on first use: browsers only allow sound after a key or a tap

function audioContext() {
  if (audio === null) {
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      audio = Ctx ? new Ctx() : false;
    } catch {
      audio = false;
    }
  }
  return audio || null;
}

function tone(freq, startS, durS, type = "sine", volume = 0.25) {
  const ctx = audioContext();
  if (!ctx) return;
  if (ctx.state === "suspended") ctx.resume().catch(() => {});
  const t0 = ctx.currentTime + startS;
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.setValueAtTime(freq, t0);
  gain.gain.setValueAtTime(volume, t0);
  gain.gain.exponentialRampToValueAtTime(0.0001, t0 + durS);
  osc.connect(gain).connect(ctx.destination);
  osc.start(t0);
  osc.stop(t0 + durS + 0.02);
}

/** A tune: [frequency Hz, start s, duration s, wave, volume?] notes. */
function play(notes) {
  for (const [freq, start, dur, type, volume] of notes) tone(freq, start, dur, type, volume);
}

const SOUNDS = {
  ok: () => tone(1760, 0, 0.09, "sine"), // one high, short beep
  error: () => {
    tone(160, 0, 0.2, "square", 0.3); // two low buzzes
    tone(160, 0.28, 0.2, "square", 0.3);
  },
  warn: () => tone(660, 0, 0.18, "triangle"),
  queued: () => play([[990, 0, 0.05, "triangle"], [990, 0.09, 0.05, "triangle"]]),
};
const BUZZ = { ok: 40, error: [150, 80, 150, 80, 150], warn: [80, 60, 80], queued: [30, 40, 30] };

// One tune and one buzz per scan result, so a picker knows what happened without looking.
// Results not listed fall back to their banner kind (ok / error / warn).
export const RESULT_SOUNDS = {
  location_ok: { notes: [[1320, 0, 0.08, "sine"]], buzz: 40 },
  item_ok: { notes: [[1760, 0, 0.07, "sine"]], buzz: 30 },
  tote_ok: { notes: [[1320, 0, 0.07, "sine"], [1760, 0.09, 0.12, "sine"]], buzz: [40, 40, 80] },
  short_ok: { notes: [[880, 0, 0.1, "triangle"], [660, 0.12, 0.14, "triangle"]], buzz: [60, 50, 60] },
  wrong_location: {
    notes: [[220, 0, 0.18, "square", 0.3], [220, 0.24, 0.18, "square", 0.3]],
    buzz: [200, 100, 200],
  },
  wrong_item: {
    notes: [[160, 0, 0.12, "square", 0.3], [160, 0.16, 0.12, "square", 0.3], [160, 0.32, 0.12, "square", 0.3]],
    buzz: [120, 60, 120, 60, 120],
  },
  over_pick: {
    notes: [[660, 0, 0.14, "sawtooth", 0.22], [440, 0.16, 0.14, "sawtooth", 0.22], [330, 0.32, 0.2, "sawtooth", 0.22]],
    buzz: [300, 80, 100],
  },
  expired: {
    notes: [[440, 0, 0.12, "square", 0.28], [220, 0.14, 0.12, "square", 0.28], [440, 0.28, 0.12, "square", 0.28], [220, 0.42, 0.12, "square", 0.28]],
    buzz: [80, 40, 80, 40, 80, 40, 300],
  },
  wrong_lot: {
    notes: [[520, 0, 0.14, "square", 0.28], [260, 0.17, 0.22, "square", 0.28]],
    buzz: [80, 40, 80, 40, 240],
  },
  on_hold: { notes: [[196, 0, 0.55, "sine", 0.35]], buzz: [600] },
  cancelled: {
    notes: [[392, 0, 0.16, "square", 0.3], [330, 0.2, 0.16, "square", 0.3], [262, 0.4, 0.3, "square", 0.3]],
    buzz: [400, 100, 400],
  },
  reassigned: {
    notes: [[294, 0, 0.3, "triangle", 0.3], [294, 0.38, 0.3, "triangle", 0.3]],
    buzz: [250, 120, 250],
  },
};
const ICONS = { ok: "✔", error: "✖", warn: "⚠", info: "ℹ", queued: "✉" };

function kindOf(ok) {
  if (ok === true || ok === "ok") return "ok";
  if (ok === "warn" || ok === "info" || ok === "queued") return ok;
  return "error";
}

/**
 * Set the banner (colour class + icon + text) and, unless quiet, beep and vibrate.
 * `sound`: a scan result code (wrong_item, expired...) for its own tune and buzz.
 */
export function flash(ok, message, { quiet = false, sound = null } = {}) {
  const kind = kindOf(ok);
  const banner = $("#banner");
  if (banner) {
    banner.dataset.state = kind;
    banner.dataset.result = sound || "";
    banner.dataset.seq = String(Number(banner.dataset.seq || 0) + 1);
    setText("#banner-icon", ICONS[kind]);
    setText("#banner-text", message || (kind === "ok" ? t("OK") : t("Something is wrong")));
    // Restart the attention animation even when the same state repeats.
    banner.classList.remove("pulse");
    void banner.offsetWidth;
    banner.classList.add("pulse");
  }
  if (quiet || kind === "info") return;
  const special = sound ? RESULT_SOUNDS[sound] : null;
  try {
    if (special) play(special.notes);
    else SOUNDS[kind]();
  } catch {
    // no audio device: the banner says it all
  }
  try {
    if (navigator.vibrate) navigator.vibrate(special ? special.buzz : BUZZ[kind]);
  } catch {
    // not a handheld
  }
}

// ---------------------------------------------------------------- keyboard wedge

export const WEDGE_DEFAULTS = Object.freeze({
  prefix: "", // DataWedge "prefix": when set, a burst without it is a person typing
  suffix: "", // DataWedge "suffix": stripped; ends the scan by itself when no Enter follows
  gs: "", // a character the wedge types for GS1's FNC1 / GS (e.g. "~"); mapped back to \x1d
  dedupMs: 400, // the same code again this soon, before the first was answered: one scan twice
  scanGapMs: 40, // median gap between keys: a scanner is faster than this, a person slower
  idleMs: 80, // injected text with no terminator is complete after this quiet time
  inject: false, // keep a hidden input focused so IME / intent-style injection has a target
});
const WEDGE_STORE = "dockhand.wedge";

/**
 * The wedge settings for this device: defaults, then the page's, then what was saved on the
 * device (localStorage), then ?wedge.prefix=...&wedge.suffix=... in the URL (saved for later).
 */
export function wedgeConfig(pageDefaults = {}) {
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(WEDGE_STORE) || "{}") || {};
  } catch {
    saved = {};
  }
  const fromUrl = {};
  try {
    for (const [key, value] of new URLSearchParams(location.search)) {
      if (!key.startsWith("wedge.")) continue;
      const name = key.slice(6);
      if (name in WEDGE_DEFAULTS) fromUrl[name] = value;
    }
    if (Object.keys(fromUrl).length) {
      localStorage.setItem(WEDGE_STORE, JSON.stringify({ ...saved, ...fromUrl }));
    }
  } catch {
    // private mode or no URL: defaults it is
  }
  const merged = { ...WEDGE_DEFAULTS, ...pageDefaults, ...saved, ...fromUrl };
  for (const key of ["dedupMs", "scanGapMs", "idleMs"]) merged[key] = Number(merged[key]) || 0;
  merged.inject = merged.inject === true || merged.inject === "1" || merged.inject === "true";
  return merged;
}

function median(values) {
  if (!values.length) return Infinity;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * What a finished burst of keys was: {code, entry} with prefix/suffix stripped and the GS
 * stand-in mapped back, or null for nothing. Pure: exported for tests.
 * `gaps`: milliseconds between consecutive keys of the burst.
 */
export function classifyBurst(text, gaps, config = WEDGE_DEFAULTS) {
  let code = text;
  let scanned = median(gaps) <= config.scanGapMs;
  if (config.prefix) {
    scanned = code.startsWith(config.prefix);
    if (scanned) code = code.slice(config.prefix.length);
  }
  if (config.suffix && code.endsWith(config.suffix)) code = code.slice(0, -config.suffix.length);
  if (config.gs) code = code.split(config.gs).join("\x1d");
  code = code.replace(/^[\s\x1d]+|[\s\x1d]+$/g, "");
  if (!code) return null;
  return { code, entry: scanned ? "scan" : "keyed" };
}

function isTypingInto(target) {
  const node = target instanceof Element ? target : document.activeElement;
  if (!node || node.id === "wedge-input") return false;
  if (node.isContentEditable) return true;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName);
}

/**
 * Listen for scanners: keystroke bursts with nothing focused (or the hidden wedge input),
 * and, with config.inject, text injected into the hidden input. Calls deliver(code, meta).
 */
function captureWedge(deliver, config) {
  let buffer = "";
  let keyTimes = [];
  let lastKeyAt = 0;
  let hidden = null;
  let idleTimer = null;
  let injectedAt = null; // when the text now in the hidden input began to arrive

  function finishBurst() {
    const gaps = keyTimes.slice(1).map((t, i) => t - keyTimes[i]);
    const found = classifyBurst(buffer, gaps, config);
    const startedAt = keyTimes[0];
    buffer = "";
    keyTimes = [];
    if (found) deliver(found.code, { entry: found.entry, startedAt });
  }

  function takeInjected() {
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = null;
    if (!hidden || !hidden.value) return false;
    const text = hidden.value;
    const startedAt = injectedAt;
    hidden.value = "";
    injectedAt = null;
    for (const part of text.split(/[\r\n]+/)) {
      const found = classifyBurst(part, [0], config); // arrived at once: no key timing
      const entry = found && found.entry === "scan" ? "inject" : "keyed";
      if (found) deliver(found.code, { entry, startedAt });
    }
    return true;
  }

  document.addEventListener(
    "keydown",
    (event) => {
      if (event.defaultPrevented || event.isComposing) return;
      if (isTypingInto(event.target)) return;
      // When the key happened, not when this handler got to run: a second burst queued
      // behind a busy page keeps its true arrival time.
      const now = event.timeStamp || performance.now();
      if (event.ctrlKey && buffer && (event.key === "]" || event.code === "BracketRight")) {
        // Wedges type GS1's FNC1 group separator as Ctrl+]: keep it, it ends a lot number.
        event.preventDefault();
        buffer += "\x1d";
        keyTimes.push(now);
        lastKeyAt = now;
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) return; // shortcuts, not scans
      if (buffer && now - lastKeyAt > STALE_KEYS_MS) {
        buffer = "";
        keyTimes = [];
      }
      lastKeyAt = now;
      if (event.key === "Enter" || event.key === "Tab") {
        if (!buffer) {
          // Injected text ended by the wedge's Enter; else a keyboard user pressing a button.
          if (takeInjected()) event.preventDefault();
          return;
        }
        event.preventDefault();
        finishBurst();
        return;
      }
      if (event.key.length !== 1) return; // Shift, CapsLock, arrows, F-keys, IME "Process"...
      if (event.key === " " && !buffer) return; // Space on a focused button still presses it
      event.preventDefault();
      buffer += event.key;
      keyTimes.push(now);
      if (config.suffix && buffer.endsWith(config.suffix)) finishBurst();
    },
    true,
  );

  if (!config.inject) return;
  // A focused, invisible field that opens no soft keyboard (inputmode=none): Android IMEs
  // and intent-to-keystroke bridges commit whole strings into it as `input` events.
  hidden = h("input", {
    id: "wedge-input",
    class: "wedge-input",
    type: "text",
    inputmode: "none",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    tabindex: "-1",
    "aria-hidden": "true",
  });
  document.body.append(hidden);
  hidden.addEventListener("input", (event) => {
    if (injectedAt === null) injectedAt = event.timeStamp || performance.now();
    if (/[\r\n]/.test(hidden.value) || event.inputType === "insertLineBreak") {
      takeInjected();
      return;
    }
    if (config.suffix && hidden.value.endsWith(config.suffix)) {
      takeInjected();
      return;
    }
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = setTimeout(takeInjected, config.idleMs);
  });
  const refocus = () => {
    const active = document.activeElement;
    if (!active || active === document.body || active === document.documentElement) {
      hidden.focus({ preventScroll: true });
    }
  };
  document.addEventListener("focusout", () => setTimeout(refocus, 0));
  document.addEventListener("visibilitychange", refocus);
  refocus();
}

// ---------------------------------------------------------------- the station

/**
 * Connect to a namespace and run sign-in, scans and feedback for one station page.
 * options: onSignedIn(user, {reconnect}), onSignedOut(), onConnect(), onDisconnect(),
 *   wedge: page defaults for wedgeConfig(); offlineMessage: the banner when the connection
 *   drops; onDuplicate(code, meta): a double delivery was dropped; onResumeOffline(user): the
 *   page loaded without a connection and the badge signed in before is taken as signed in.
 */
export function station(namespace, options = {}) {
  const storageKey = `dockhand.badge:${namespace}`;
  const userKey = `dockhand.user:${namespace}`;
  const socket = io(namespace, { transports: ["websocket"] });
  const wedge = wedgeConfig(options.wedge || {});
  let user = null;
  let lastDelivered = null; // {code, at, answeredAt}: a double delivery of one scan is dropped
  let duplicates = 0;
  let scanHandler = null;
  let queue = Promise.resolve();
  let handled = 0; // scans and actions fully handled: tells tests the page is idle
  let pending = 0;
  let lastTimeout = null; // {code, id, at}

  function setConnection(online) {
    const pill = $("#conn");
    if (pill) pill.dataset.state = online ? "online" : "offline";
    setText("#conn-text", online ? t("Online") : t("Offline"));
  }

  function showSignIn() {
    show("#signin", true);
    show("#work", false);
    show("#sign-out", false);
    const who = $("#user");
    if (who) {
      who.textContent = t("Not signed in");
      who.dataset.badge = "";
    }
  }

  function showWork() {
    show("#signin", false);
    show("#work", true);
    show("#sign-out", true);
    const who = $("#user");
    if (who && user) {
      who.textContent = `${user.name} · ${user.badge}`;
      who.dataset.badge = user.badge;
      who.title = user.role;
    }
  }

  /** Emit with an ack; resolves to the ack, or to {ok:false, message} on timeout/offline. */
  function call(event, payload = {}, timeoutMs = ACK_TIMEOUT_MS) {
    if (!socket.connected) {
      return Promise.resolve({ ok: false, error: "offline", message: OFFLINE });
    }
    return new Promise((resolve) => {
      socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
        if (err) resolve({ ok: false, error: "timeout", message: NO_ANSWER });
        else if (ack && typeof ack === "object") resolve(ack);
        else resolve({ ok: false, error: "bad_ack", message: t("The server's answer made no sense.") });
      });
    });
  }

  /** call() that survives a lost server session (re-signs in once) and shows failures in red. */
  async function ask(event, payload = {}, { flashErrors = true, timeoutMs = ACK_TIMEOUT_MS } = {}) {
    let ack = await call(event, payload, timeoutMs);
    if (!ack.ok && ack.field === "badge" && event !== "sign_in") {
      const badge = sessionStorage.getItem(storageKey);
      if (badge && (await signIn(badge, { silent: true, reconnect: true }))) {
        ack = await call(event, payload, timeoutMs); // refused before anything was saved
      } else {
        user = null;
        showSignIn();
      }
    }
    if (!ack.ok && flashErrors) flash(false, ack.message || ack.error || t("Rejected."));
    return ack;
  }

  const tokenKey = (badge) => `dockhand.token:${badge}`;
  // A handheld that must come back after a battery swap keeps its shift token across
  // restarts (as it keeps the signed-in person); other stations keep it for the tab only.
  const tokens = options.onResumeOffline ? localStorage : sessionStorage;

  /** Shows the PIN field for this badge; resolves to the PIN, or null on Escape. */
  function askPin(badge, message) {
    const form = $("#pin-form");
    const input = $("#pin-input");
    if (!form || !input) return Promise.resolve(null);
    show("#signin", true);
    show("#work", false);
    setText("#pin-badge", badge);
    flash("info", message || t("Enter the PIN for %(badge)s.", { badge }), { quiet: true });
    form.hidden = false;
    input.value = "";
    input.focus();
    return new Promise((resolve) => {
      const done = (value) => {
        form.removeEventListener("submit", onSubmit);
        input.removeEventListener("keydown", onKey);
        input.value = "";
        input.blur(); // hand the keyboard back to the wedge scanner
        form.hidden = true;
        resolve(value);
      };
      const onSubmit = (event) => {
        event.preventDefault();
        done(input.value);
      };
      const onKey = (event) => {
        if (event.key === "Escape") done(null);
      };
      form.addEventListener("submit", onSubmit);
      input.addEventListener("keydown", onKey);
    });
  }

  async function signIn(badge, { silent = false, reconnect = false } = {}) {
    const who = badge.trim().toUpperCase();
    const token = tokens.getItem(tokenKey(who));
    // A language picked on the sign-in screen goes with the sign-in and is kept for this person.
    const chosen = sessionStorage.getItem(LANG_CHOSEN);
    const extra = chosen ? { language: chosen } : {};
    let ack = await call("sign_in", token ? { badge: who, token, ...extra } : { badge: who, ...extra });
    if (!ack.ok && ack.field === "pin") {
      // No token, or an expired one: the person types the PIN (never stored on the device).
      tokens.removeItem(tokenKey(who));
      const pin = await askPin(who, ack.message);
      if (pin === null) {
        if (user) showWork();
        else showSignIn();
        return false;
      }
      ack = await call("sign_in", { badge: who, pin, ...extra });
    }
    if (ack.ok && ack.token) tokens.setItem(tokenKey(who), ack.token);
    if (!ack.ok) {
      // Forget the badge only when the server refused it, not when the answer got lost.
      if (silent && !["timeout", "offline"].includes(ack.error)) sessionStorage.removeItem(storageKey);
      if (!user) showSignIn();
      flash(false, ack.message || t("Sign-in failed."));
      return false;
    }
    user = ack.user;
    if (chosen) sessionStorage.removeItem(LANG_CHOSEN);
    // This person reads another language: the page comes back in it (one reload, then the
    // station token signs them in again without the PIN).
    // Someone without a language of their own (a badge handed over on a handheld) gets the
    // station's language back: the page forgets the one the previous person brought.
    const reload = user.language ? user.language !== lang : forgetLanguage();
    if (reload) {
      sessionStorage.setItem(storageKey, user.badge);
      if (options.onResumeOffline) localStorage.setItem(userKey, JSON.stringify(user));
      if (user.language ? switchLanguage(user.language) : reloadOnce()) return true;
    } else if (user.language) {
      switchLanguage(user.language); // keeps the cookie for pages loaded later
    }
    sessionStorage.setItem(storageKey, user.badge);
    // Kept across restarts of the app, for a page that must start without a connection.
    if (options.onResumeOffline) localStorage.setItem(userKey, JSON.stringify(user));
    showWork();
    if (!silent) flash(true, t("Signed in: %(name)s", { name: user.name }));
    else if (reconnect) flash("info", t("Back online. Signed in as %(name)s.", { name: user.name }), { quiet: true });
    else flash("info", t("Signed in as %(name)s.", { name: user.name }), { quiet: true });
    if (options.onSignedIn) await options.onSignedIn(user, { reconnect });
    return true;
  }

  async function signOut() {
    await call("sign_out", {});
    if (user) tokens.removeItem(tokenKey(user.badge));
    sessionStorage.removeItem(storageKey);
    localStorage.removeItem(userKey);
    user = null;
    showSignIn();
    flash("info", t("Signed out. Scan your badge."), { quiet: true });
    if (options.onSignedOut) options.onSignedOut();
    // The next person starts in the station's own language.
    if (forgetLanguage()) reloadOnce();
  }

  /** The language buttons: saved on the signed-in person (or with the next sign-in). */
  async function chooseLanguage(code) {
    if (!LANGUAGES[code]) return;
    if (user) {
      const ack = await ask("set_language", { language: code });
      if (!ack.ok) return;
    } else {
      sessionStorage.setItem(LANG_CHOSEN, code);
    }
    show("#lang-sheet", false);
    if (!switchLanguage(code)) flash("info", t("Language: %(language)s", { language: LANGUAGES[code] }), { quiet: true });
  }

  async function route(code, meta) {
    if (!user || BADGE.test(code)) {
      // A badge scan at a signed-in station hands it over to that person.
      await signIn(code);
      return;
    }
    if (!scanHandler) {
      flash("warn", t("Nothing to scan here right now (%(code)s).", { code }));
      return;
    }
    await scanHandler(code, meta);
  }

  /** Scans and button actions share one queue: in order, one at a time. */
  function run(task) {
    pending += 1;
    document.body.dataset.busy = String(pending);
    queue = queue
      .then(task)
      .catch((err) => {
        console.error(err);
        flash(false, t("This page failed: %(error)s. Scan again.", { error: err && err.message ? err.message : err }));
      })
      .finally(() => {
        handled += 1;
        pending -= 1;
        document.body.dataset.scans = String(handled);
        if (pending === 0) delete document.body.dataset.busy;
        else document.body.dataset.busy = String(pending);
      });
    return queue;
  }

  /**
   * A scan, from the wedge, the camera or typed into a form. meta: {entry, startedAt}.
   * The same code again, begun within wedge.dedupMs of the last delivery and before the page
   * answered that one, is one physical scan delivered twice: a picker scans again only after
   * hearing the answer, while a doubled delivery follows the first within milliseconds.
   */
  function deliver(raw, meta = { entry: "form" }) {
    const code = String(raw).trim();
    if (!code) return;
    const now = performance.now();
    const began = meta.startedAt ?? now;
    const last = lastDelivered;
    const windowMs = meta.entry === "camera" ? Math.max(wedge.dedupMs, 2000) : wedge.dedupMs;
    const early = last && (last.answeredAt === null || began < last.answeredAt);
    // A camera sees one barcode in many frames: there the window alone decides.
    if (
      meta.entry !== "form" &&
      last &&
      last.code === code &&
      began - last.at < windowMs &&
      (early || meta.entry === "camera")
    ) {
      duplicates += 1;
      document.body.dataset.duplicates = String(duplicates);
      if (options.onDuplicate) options.onDuplicate(code, meta);
      return;
    }
    const delivery = { code, at: began, answeredAt: null };
    lastDelivered = delivery;
    run(() => route(code, { ...meta, startedAt: began })).then(() => {
      delivery.answeredAt = performance.now();
    });
  }

  /** The page loaded with no connection: work on as the person signed in before. */
  function resumeOffline() {
    if (user || socket.connected || !options.onResumeOffline) return false;
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(userKey) || "null");
    } catch {
      saved = null;
    }
    if (!saved || !saved.badge) return false;
    user = saved;
    // Back online, the connection signs this person in again by itself.
    sessionStorage.setItem(storageKey, saved.badge);
    showWork();
    options.onResumeOffline(user);
    return true;
  }

  /** A client id for this scan; after a timeout the same code reuses the unanswered id. */
  function scanId(code) {
    if (lastTimeout && lastTimeout.code === code && Date.now() - lastTimeout.at < RETRY_WINDOW_MS) {
      return lastTimeout.id;
    }
    return newScanId();
  }

  /** ask() for a scan event: adds client_scan_id and remembers it when the answer is lost. */
  async function askScan(event, payload, code) {
    const id = scanId(code);
    const ack = await ask(event, { ...payload, client_scan_id: id });
    if (ack.error === "timeout") lastTimeout = { code, id, at: Date.now() };
    else if (lastTimeout && lastTimeout.id === id) lastTimeout = null;
    return ack;
  }

  captureWedge(deliver, wedge);

  const signinForm = $("#signin-form");
  if (signinForm) {
    signinForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("#badge-input");
      const value = input.value;
      input.value = "";
      input.blur(); // hand the keyboard back to the wedge scanner
      deliver(value);
    });
  }
  const codeForm = $("#code-form");
  if (codeForm) {
    codeForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("#code-input");
      const value = input.value;
      input.value = "";
      deliver(value);
    });
  }
  const signOutButton = $("#sign-out");
  if (signOutButton) signOutButton.addEventListener("click", () => signOut());
  const langButton = $("#lang-button");
  if (langButton) langButton.addEventListener("click", () => show("#lang-sheet", true));
  const langClose = $("#lang-close");
  if (langClose) langClose.addEventListener("click", () => show("#lang-sheet", false));
  for (const button of $$(".lang-choice[data-lang]")) {
    button.addEventListener("click", () => run(() => chooseLanguage(button.dataset.lang)));
  }

  // A clicked button keeps focus; blur it so the wedge's Enter cannot press it again.
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const button = target ? target.closest("button, a, summary") : null;
    if (button) setTimeout(() => button.blur(), 0);
  });

  socket.on("connect", async () => {
    setConnection(true);
    if (options.onConnect) options.onConnect();
    const badge = sessionStorage.getItem(storageKey);
    if (badge) {
      // The server keeps the sign-in per connection: a new connection signs in again.
      if (!(await signIn(badge, { silent: true, reconnect: user !== null }))) {
        user = null;
        showSignIn();
      }
    } else {
      user = null;
      showSignIn();
      flash("info", t("Scan your badge to sign in."), { quiet: true });
    }
  });
  socket.on("disconnect", () => {
    setConnection(false);
    if (options.onDisconnect) options.onDisconnect();
    const message =
      options.offlineMessage || t("Offline: reconnecting… Scan again once the pill says Online.");
    flash("warn", message, { quiet: true });
  });
  socket.on("connect_error", () => {
    setConnection(false);
    resumeOffline();
  });
  // The browser knows first when the network is gone (Wi-Fi off, out of range): drop the
  // socket at once instead of waiting for Socket.IO's ping timeout, and redial when it is back.
  window.addEventListener("offline", () => {
    if (socket.connected) socket.disconnect();
    setConnection(false);
    resumeOffline();
  });
  window.addEventListener("online", () => {
    if (!socket.connected) socket.connect();
  });
  if (navigator.onLine === false) setTimeout(resumeOffline, 0);

  return {
    socket,
    call,
    ask,
    askScan,
    flash,
    deliver,
    run,
    signOut,
    wedge,
    get user() {
      return user;
    },
    get online() {
      return socket.connected;
    },
    get duplicates() {
      return duplicates;
    },
    onScan(handler) {
      scanHandler = handler;
    },
  };
}

// ---------------------------------------------------------------- small formatters

// In the page's language (i18n.js): 1,25 kg and 24.11.26, 14:05 in German.
export function grams(g) {
  return formatGrams(g);
}

export function money(minor, currency) {
  return formatMoney(minor, currency);
}

export function time(iso) {
  return formatDateTime(iso);
}

/** Poll fn every ms while active; never two calls at once. Returns {start, stop}. */
export function poller(fn, ms) {
  let timer = null;
  let running = false;
  async function tick() {
    if (running) return;
    running = true;
    try {
      await fn();
    } finally {
      running = false;
    }
  }
  return {
    start(now = true) {
      if (timer === null) timer = setInterval(tick, ms);
      if (now) tick();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
    get active() {
      return timer !== null;
    },
  };
}
