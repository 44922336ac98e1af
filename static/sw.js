// The pick app's service worker (served at /sw.js, scope /pick): keeps the page shell and its
// assets so the handheld can load /pick with no connection. Scans made meanwhile wait in the
// page's IndexedDB queue (static/js/offline-queue.js); this worker only serves files.
//
// Network first, cache as the fallback: online, a handheld always gets the current release
// (and refreshes the cache); offline, or when the network hangs, it gets the last one it saw.

const CACHE = "dockhand-pick-v2";
const SHELL = [
  "/pick",
  "/static/css/floor.css",
  "/static/js/pick.js",
  "/static/js/station.js",
  "/static/js/i18n.js",
  "/static/css/lang.css",
  "/static/js/offline-queue.js",
  "/static/js/pick-rules.js",
  "/static/js/camera.js",
  "/static/js/first-shift-panel.js",
  "/static/css/first-shift.css",
  "/static/vendor/socket.io-client/socket.io.min.js",
  "/static/manifest.webmanifest",
  "/static/icons/pick-192.png",
  "/static/icons/pick-512.png",
];
const NETWORK_WAIT_MS = 4000; // Wi-Fi at the edge of range: a hanging request falls back

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("dockhand-pick-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function cacheable(request) {
  if (request.method !== "GET") return false;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  if (url.pathname.startsWith("/socket.io/")) return false; // live traffic, never cached
  // /i18n/<lang>.json: the page's translations, so an offline reload keeps its language.
  return url.pathname === "/pick" || url.pathname.startsWith("/static/") || url.pathname.startsWith("/i18n/");
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("network too slow")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  const key = new URL(request.url).pathname; // ?wedge.prefix=... loads the same shell
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT_MS);
    if (response.ok) cache.put(key, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  if (!cacheable(event.request)) return;
  event.respondWith(networkFirst(event.request));
});
