/* Jemput Bola field page service worker (served from /lapangan/sw.js, scope /lapangan/).
 *
 * Keeps the field page and its files so the route opens with no signal:
 * - the page (/lapangan/, also ?route=...): network first, the cached copy when offline;
 * - static files and front-end packages (/static/, /vendor/), the manifest: cache first.
 * The cache is named after the version the page registers us with (?v=<hash of the files>), so
 * a new version fetches everything again and drops the old cache. Outcomes are NOT sent from
 * here: the page queues them in IndexedDB and sends them itself (field.js). Signing out deletes
 * these caches (field.js) and the server may also send Clear-Site-Data.
 */
"use strict";

const VERSION = new URL(self.location.href).searchParams.get("v") || "0";
const PREFIX = "jb-lapangan-";
const CACHE = PREFIX + VERSION;
const SCOPE = new URL(self.registration.scope).pathname; // "/lapangan/"
const ROOT = SCOPE.replace(/lapangan\/$/, ""); // "/" (or the app's prefix)
const CACHE_FIRST = [ROOT + "static/", ROOT + "vendor/", SCOPE + "manifest.webmanifest"];
const MATCH = { ignoreVary: true };

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })()
  );
});

function isPage(url) {
  return url.pathname === SCOPE;
}

function isCacheFirst(url) {
  return CACHE_FIRST.some((prefix) => url.pathname.startsWith(prefix));
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  let response;
  try {
    response = await fetch(request);
  } catch (err) {
    response = null; // no connection
  }
  // A redirect (signed out: to the sign-in page) or an error page is never kept as the route.
  if (response && response.ok && !response.redirected && response.type === "basic") {
    await cache.put(request.url, response.clone());
    return response;
  }
  if (response && response.status < 500) return response;
  const cached =
    (await cache.match(request.url, MATCH)) || (await cache.match(new URL(SCOPE, request.url).href, MATCH));
  if (cached) return cached;
  if (response) return response;
  return new Response(
    "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
      "<title>Tanpa sinyal</title><p style='font:18px system-ui;padding:1rem'>" +
      "Tidak ada sinyal dan halaman ini belum tersimpan di HP. Buka halaman lapangan sekali " +
      "saat ada sinyal agar rute tersimpan.</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
  );
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, MATCH);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // outcomes (POST) go straight to the network
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isPage(url)) event.respondWith(networkFirst(request));
  else if (isCacheFirst(url)) event.respondWith(cacheFirst(request));
});

// The page asks us to keep what it uses (on its first load it is not yet controlled by us).
async function precache(urls) {
  const cache = await caches.open(CACHE);
  await Promise.all(
    urls.map(async (href) => {
      const url = new URL(href, self.location.href);
      if (url.origin !== self.location.origin) return;
      if (!isPage(url) && !isCacheFirst(url)) return;
      if (await cache.match(url.href, MATCH)) return;
      const response = await fetch(url.href, { credentials: "same-origin", cache: "no-cache" });
      if (response.ok && !response.redirected) await cache.put(url.href, response);
    })
  );
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const port = event.ports && event.ports[0];
  if (data.type !== "precache") return;
  event.waitUntil(
    precache(Array.isArray(data.urls) ? data.urls : []).then(
      () => port && port.postMessage({ ok: true, version: VERSION }),
      (err) => port && port.postMessage({ ok: false, error: String(err) })
    )
  );
});
