// The service worker of the demo: keeps the app shell so the board opens with no network at all
// (its data then comes from IndexedDB). It never touches WebSockets, which do not pass through
// service workers, nor anything that is not a same-origin GET.

// The root tsconfig type-checks this file with the DOM library (the WebWorker one conflicts with
// it), so the few service worker types used here are declared locally.
interface WorkerExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface WorkerFetchEvent extends WorkerExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface WorkerScope {
  addEventListener(type: 'install' | 'activate', listener: (event: WorkerExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: WorkerFetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  readonly location: Location;
}

// Replaced at build time (build/precache-manifest.ts) by the built files and a hash of them.
declare const __PRECACHE_MANIFEST__: string[];
declare const __PRECACHE_VERSION__: string;

const worker = self as unknown as WorkerScope;
const CACHE_PREFIX = 'weft-demo-shell-';
const CACHE_NAME = `${CACHE_PREFIX}${__PRECACHE_VERSION__}`;
const SHELL = '/index.html';
const SERVER_PATHS = new Set(['/healthz', '/status']);

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE_NAME)
      .then((cache) => cache.addAll([...new Set([SHELL, ...__PRECACHE_MANIFEST__])]))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => worker.clients.claim()),
  );
});

/** Pages: the network first (a new deploy shows at once), the cached shell when it fails. */
async function navigate(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await caches.match(SHELL, { cacheName: CACHE_NAME });
    if (cached) return cached;
    throw error;
  }
}

/** Files: hashed names never change, so the cache first; anything new is cached on the way. */
async function asset(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).pathname.startsWith('/assets/')) await cache.put(request, response.clone());
  return response;
}

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== worker.location.origin || SERVER_PATHS.has(url.pathname)) return;
  if (request.headers.get('upgrade')) return;
  event.respondWith(request.mode === 'navigate' ? navigate(request) : asset(request));
});
