// What every station page shares: the Socket.IO connection, calls with acks and a timeout,
// the keyboard-wedge scanner, sign-in by badge, and the result banner with sound and vibration.
//
// Usage (one per page):
//   const st = station("/pick", { onSignedIn(user, { reconnect }) {...}, onSignedOut() {...} });
//   st.onScan(async (code) => { const ack = await st.ask("scan", {...}); ... });

/* global io */

const ACK_TIMEOUT_MS = 8000;
const NO_ANSWER = "No answer from server — scan again";
const OFFLINE = "Offline: no connection to the server. Scan again when the pill says Online.";
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

const SOUNDS = {
  ok: () => tone(1760, 0, 0.09, "sine"), // one high, short beep
  error: () => {
    tone(160, 0, 0.2, "square", 0.3); // two low buzzes
    tone(160, 0.28, 0.2, "square", 0.3);
  },
  warn: () => tone(660, 0, 0.18, "triangle"),
};
const BUZZ = { ok: 40, error: [150, 80, 150, 80, 150], warn: [80, 60, 80] };
const ICONS = { ok: "✔", error: "✖", warn: "⚠", info: "ℹ" };

function kindOf(ok) {
  if (ok === true || ok === "ok") return "ok";
  if (ok === "warn" || ok === "info") return ok;
  return "error";
}

/** Set the banner (colour class + icon + text) and, unless quiet, beep and vibrate. */
export function flash(ok, message, { quiet = false } = {}) {
  const kind = kindOf(ok);
  const banner = $("#banner");
  if (banner) {
    banner.dataset.state = kind;
    banner.dataset.seq = String(Number(banner.dataset.seq || 0) + 1);
    setText("#banner-icon", ICONS[kind]);
    setText("#banner-text", message || (kind === "ok" ? "OK" : "Something is wrong"));
    // Restart the attention animation even when the same state repeats.
    banner.classList.remove("pulse");
    void banner.offsetWidth;
    banner.classList.add("pulse");
  }
  if (quiet || kind === "info") return;
  try {
    SOUNDS[kind]();
  } catch {
    // no audio device: the banner says it all
  }
  try {
    if (navigator.vibrate) navigator.vibrate(BUZZ[kind]);
  } catch {
    // not a handheld
  }
}

// ---------------------------------------------------------------- keyboard wedge

function isTypingInto(target) {
  const node = target instanceof Element ? target : document.activeElement;
  if (!node) return false;
  if (node.isContentEditable) return true;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName);
}

function captureWedge(deliver) {
  let buffer = "";
  let lastKeyAt = 0;
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.defaultPrevented || event.isComposing) return;
      if (isTypingInto(event.target)) return;
      const now = performance.now();
      if (event.ctrlKey && buffer && (event.key === "]" || event.code === "BracketRight")) {
        // Wedges type GS1's FNC1 group separator as Ctrl+]: keep it, it ends a lot number.
        event.preventDefault();
        buffer += "\x1d";
        lastKeyAt = now;
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) return; // shortcuts, not scans
      if (buffer && now - lastKeyAt > STALE_KEYS_MS) buffer = "";
      lastKeyAt = now;
      if (event.key === "Enter" || event.key === "Tab") {
        if (!buffer) return; // a keyboard user activating a button or moving focus
        event.preventDefault();
        const code = buffer;
        buffer = "";
        deliver(code);
        return;
      }
      if (event.key.length !== 1) return; // Shift, CapsLock, arrows, F-keys...
      if (event.key === " " && !buffer) return; // Space on a focused button still presses it
      event.preventDefault();
      buffer += event.key;
    },
    true,
  );
}

// ---------------------------------------------------------------- the station

/**
 * Connect to a namespace and run sign-in, scans and feedback for one station page.
 * options: onSignedIn(user, {reconnect}), onSignedOut(), onConnect(), onDisconnect()
 */
export function station(namespace, options = {}) {
  const storageKey = `dockhand.badge:${namespace}`;
  const socket = io(namespace, { transports: ["websocket"] });
  let user = null;
  let scanHandler = null;
  let queue = Promise.resolve();
  let handled = 0; // scans and actions fully handled: tells tests the page is idle
  let pending = 0;
  let lastTimeout = null; // {code, id, at}

  function setConnection(online) {
    const pill = $("#conn");
    if (pill) pill.dataset.state = online ? "online" : "offline";
    setText("#conn-text", online ? "Online" : "Offline");
  }

  function showSignIn() {
    show("#signin", true);
    show("#work", false);
    show("#sign-out", false);
    const who = $("#user");
    if (who) {
      who.textContent = "Not signed in";
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
        else resolve({ ok: false, error: "bad_ack", message: "The server's answer made no sense." });
      });
    });
  }

  /** call() that survives a lost server session (re-signs in once) and shows failures in red. */
  async function ask(event, payload = {}, { flashErrors = true } = {}) {
    let ack = await call(event, payload);
    if (!ack.ok && ack.field === "badge" && event !== "sign_in") {
      const badge = sessionStorage.getItem(storageKey);
      if (badge && (await signIn(badge, { silent: true, reconnect: true }))) {
        ack = await call(event, payload); // rejected before anything was saved: safe to resend
      } else {
        user = null;
        showSignIn();
      }
    }
    if (!ack.ok && flashErrors) flash(false, ack.message || ack.error || "Rejected.");
    return ack;
  }

  async function signIn(badge, { silent = false, reconnect = false } = {}) {
    const ack = await call("sign_in", { badge: badge.trim() });
    if (!ack.ok) {
      // Forget the badge only when the server refused it, not when the answer got lost.
      if (silent && !["timeout", "offline"].includes(ack.error)) sessionStorage.removeItem(storageKey);
      if (!user) showSignIn();
      flash(false, ack.message || "Sign-in failed.");
      return false;
    }
    user = ack.user;
    sessionStorage.setItem(storageKey, user.badge);
    showWork();
    if (!silent) flash(true, `Signed in: ${user.name}`);
    else if (reconnect) flash("info", `Back online. Signed in as ${user.name}.`, { quiet: true });
    else flash("info", `Signed in as ${user.name}.`, { quiet: true });
    if (options.onSignedIn) await options.onSignedIn(user, { reconnect });
    return true;
  }

  async function signOut() {
    await call("sign_out", {});
    sessionStorage.removeItem(storageKey);
    user = null;
    showSignIn();
    flash("info", "Signed out. Scan your badge.", { quiet: true });
    if (options.onSignedOut) options.onSignedOut();
  }

  async function route(code) {
    if (!user || BADGE.test(code)) {
      // A badge scan at a signed-in station hands it over to that person.
      await signIn(code);
      return;
    }
    if (!scanHandler) {
      flash("warn", `Nothing to scan here right now (${code}).`);
      return;
    }
    await scanHandler(code);
  }

  /** Scans and button actions share one queue: in order, one at a time. */
  function run(task) {
    pending += 1;
    document.body.dataset.busy = String(pending);
    queue = queue
      .then(task)
      .catch((err) => {
        console.error(err);
        flash(false, `This page failed: ${err && err.message ? err.message : err}. Scan again.`);
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

  /** A scan, from the wedge or typed into a form. */
  function deliver(raw) {
    const code = String(raw).trim();
    if (code) run(() => route(code));
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

  captureWedge(deliver);

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
      showSignIn();
      flash("info", "Scan your badge to sign in.", { quiet: true });
    }
  });
  socket.on("disconnect", () => {
    setConnection(false);
    if (options.onDisconnect) options.onDisconnect();
    flash("warn", "Offline: reconnecting… Scan again once the pill says Online.", { quiet: true });
  });
  socket.on("connect_error", () => setConnection(false));

  return {
    socket,
    call,
    ask,
    askScan,
    flash,
    deliver,
    run,
    signOut,
    get user() {
      return user;
    },
    onScan(handler) {
      scanHandler = handler;
    },
  };
}

// ---------------------------------------------------------------- small formatters

export function grams(g) {
  if (g === null || g === undefined) return "—";
  return g >= 1000 ? `${(g / 1000).toFixed(2)} kg` : `${g} g`;
}

export function money(minor, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency || ""}`.trim();
  }
}

export function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
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
