import type { TransportEnvironment } from './transport.ts';

/** The page's lifecycle events (`online`, `visibilitychange`, `pagehide`); undefined outside a page. */
export function browserEnvironment(): TransportEnvironment | undefined {
  if (typeof window === 'undefined' || typeof document === 'undefined') return undefined;
  const targetOf = (type: string): EventTarget => (type === 'visibilitychange' ? document : window);
  return {
    addEventListener: (type, listener) => targetOf(type).addEventListener(type, listener),
    removeEventListener: (type, listener) => targetOf(type).removeEventListener(type, listener),
    isVisible: () => document.visibilityState === 'visible',
  };
}
