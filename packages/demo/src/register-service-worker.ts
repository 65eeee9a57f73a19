// Set by vite.config.ts: true in builds, false in `vite dev`.
declare const __WEFT_SERVICE_WORKER__: boolean;

/**
 * Registers the service worker that keeps the app shell for offline reloads. Only in builds: in
 * `vite dev` it would serve stale modules.
 */
export function registerServiceWorker(): void {
  if (!__WEFT_SERVICE_WORKER__ || !('serviceWorker' in navigator)) return;
  // Without a service worker the app still works online; offline reloads are what is lost.
  navigator.serviceWorker.register('/service-worker.js', { scope: '/' }).catch(() => undefined);
}
