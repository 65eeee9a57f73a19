/**
 * Registers the service worker that keeps the app shell for offline reloads. Only in production
 * builds: in `vite dev` it would serve stale modules.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // Without a service worker the app still works online; offline reloads are what is lost.
  navigator.serviceWorker.register('/service-worker.js', { scope: '/' }).catch(() => undefined);
}
