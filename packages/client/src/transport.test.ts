import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createTransport, type TransportEnvironment, type WebSocketConstructor } from './transport.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A stand-in for `window`/`document`: tests fire `online` and `visibilitychange` themselves. */
function fakePage() {
  const target = new EventTarget();
  let visible = true;
  const environment: TransportEnvironment = {
    addEventListener: (type, listener) => target.addEventListener(type, listener),
    removeEventListener: (type, listener) => target.removeEventListener(type, listener),
    isVisible: () => visible,
  };
  return {
    environment,
    fire(type: 'online' | 'visibilitychange', nowVisible = true) {
      visible = nowVisible;
      target.dispatchEvent(new Event(type));
    },
  };
}

async function listeningServer() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(resolve);
      }),
  );
  return `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
}

function transportTo(url: () => string, environment: TransportEnvironment) {
  const transport = createTransport({
    resolveTarget: async () => ({ url: url() }),
    resolveWebSocket: async () => WebSocket as unknown as WebSocketConstructor,
    // A retry would wait up to an hour: only the page events can bring the connection back soon.
    backoff: { initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
    livenessTimeoutMs: 60_000,
    probe: () => new Uint8Array([3]),
    random: () => 0.5,
    environment,
    retryPermanent: () => false,
    maxTooBigCloses: 3,
  });
  cleanups.push(() => transport.destroy());
  return transport;
}

const waitForState = (transport: ReturnType<typeof createTransport>, state: string) =>
  new Promise<void>((resolve) => {
    if (transport.state === state) return resolve();
    const off = transport.on('state', (next) => {
      if (next !== state) return;
      off();
      resolve();
    });
  });

it('the online event retries at once instead of waiting out the backoff', async () => {
  const page = fakePage();
  let target = 'ws://127.0.0.1:9'; // nothing listens on the discard port
  const transport = transportTo(() => target, page.environment);
  transport.connect();
  await waitForState(transport, 'waiting');
  target = await listeningServer();
  page.fire('online');
  await waitForState(transport, 'open');
});

it('a tab becoming visible retries at once; becoming hidden does not', async () => {
  const page = fakePage();
  let target = 'ws://127.0.0.1:9';
  const transport = transportTo(() => target, page.environment);
  transport.connect();
  await waitForState(transport, 'waiting');
  target = await listeningServer();
  page.fire('visibilitychange', false);
  expect(transport.state).toBe('waiting');
  page.fire('visibilitychange', true);
  await waitForState(transport, 'open');
});
