/* The handbook offline, once visited: a service worker for one language's site (its folder is its scope), or
   for the root page that leads to the languages.
   It asks only the site's own files, and keeps a copy of each answer in a cache named after this build, so a
   page, the search and a worksheet or book a reader opened keep working with the network off. On installation
   it also keeps every page and the search index. Pages come from the network first (a new build is seen at
   once, never a stale copy); the cache answers only when the network cannot. A new build writes a new worker
   (its version changes), which takes over and deletes the caches of the builds before it.
   `handbook build` writes this build's version and file list into OFFLINE (generator/offline.py). */
"use strict";
var OFFLINE = HANDBOOK_OFFLINE;
var PREFIX = "handbook-offline-" + OFFLINE.name + "-";  // this language's (or the root's) caches only
var CACHE = PREFIX + OFFLINE.version;
var SCOPE = new URL("./", self.location.href).href;

function keep(cache, path, tries) {  // a file that fails is asked once more; one that fails again is kept when opened
  return cache.add(new Request(new URL(path, SCOPE).href, { cache: "no-cache" })).catch(function () {
    if (tries > 1) return keep(cache, path, tries - 1);
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(OFFLINE.files.map(function (path) { return keep(cache, path, 2); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PREFIX) === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || request.url.indexOf(SCOPE) !== 0) return;  // the site's own files only
  for (var i = 0; i < OFFLINE.skip.length; i++) {  // the root's worker: a language's folder is its own worker's
    if (request.url.indexOf(SCOPE + OFFLINE.skip[i]) === 0) return;
  }
  event.respondWith(fetch(request, { cache: "no-cache" }).then(function (response) {
    if (response.status === 200 && response.type === "basic") {  // not a part of a file (206), nor an error
      var copy = response.clone();
      event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(request, copy); }));
    }
    return response;
  }).catch(function (error) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreSearch: true });  // a filtered list; Pagefind asks "?ts=..."
    }).then(function (cached) {
      if (cached) return cached;
      throw error;
    });
  }));
});
