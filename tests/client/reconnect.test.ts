import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { backoffDefaults, backoffDelay, type ConnectionError, isWeftError, type WeftError } from '@weft/client';
import { encodeSyncStep2, tokenFromRequest } from '@weft/protocol';
import { afterEach, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import * as Y from 'yjs';
import { createRandom, testSeed } from '../helpers/seeded-random.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createProviderPool } from './open-provider.ts';

// A scripted server on port 0: each connection is handed to `onConnection`, which decides its fate.
async function startScriptedServer(onConnection: (socket: WebSocket, request: IncomingMessage, index: number) => void) {
  // Like the Weft server, it answers the `weft` subprotocol that token-carrying clients offer.
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'weft' });
  await once(wss, 'listening');
  const requests: IncomingMessage[] = [];
  wss.on('connection', (socket, request) => {
    requests.push(request);
    onConnection(socket, request, requests.length - 1);
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** The token a request carried, read the way the Weft server reads it. */
const tokenOf = (request: IncomingMessage) =>
  tokenFromRequest(request.url ?? '', (request.headers['sec-websocket-protocol'] ?? '').split(/\s*,\s*/));

const pool = createProviderPool();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await pool.closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('a permanent close code stops reconnecting and emits error with the reason', async () => {
  const server = await startScriptedServer((socket) => socket.close(4403, 'no access to this board'));
  cleanups.push(server.close);
  const provider = pool.open({ url: server.url, name: 'secret' });
  const errors: WeftError[] = [];
  provider.on('error', (error) => errors.push(error));
  await waitFor(() => errors.length > 0, 'an error event');
  const error = errors[0] as ConnectionError;
  expect(isWeftError(error, 'connection-closed')).toBe(true);
  expect(error.closeCode).toBe(4403);
  expect(error.permanent).toBe(true);
  expect(error.message).toBe('no access to this board');
  expect(provider.status).toBe('offline');
  expect(provider.lastError).toBe(error);
  // Give a reconnect every chance to happen (the backoff here is at most 200 ms): none may.
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(server.requests).toHaveLength(1);

  // An explicit connect() tries again (e.g. after the user signed in).
  provider.connect();
  await waitFor(() => server.requests.length === 2, 'a second attempt after connect()');
});

it('a transient close reconnects after full-jitter delays, asking the token function every time', async () => {
  const seed = testSeed('reconnect-jitter');
  const random = createRandom(seed);
  const expected = createRandom(seed);
  const server = await startScriptedServer((socket, _request, index) => {
    if (index < 4) socket.close(1011, 'storage hiccup');
  });
  cleanups.push(server.close);
  let tokens = 0;
  const backoff = { initialDelayMs: 40, maxDelayMs: 300 };
  const provider = pool.open({
    url: server.url,
    name: 'flaky',
    backoff,
    random: random.next,
    token: async () => `token-${++tokens}`,
  });
  const delays: number[] = [];
  provider.on('retry', ({ delayMs }) => delays.push(delayMs));
  await waitFor(() => server.requests.length === 5, 'the fifth connection');

  // Attempts 0..3 each drew one random number for their delay, growing and capped.
  const want = [0, 1, 2, 3].map((attempt) => backoffDelay(attempt, backoff, expected.next));
  expect(delays).toEqual(want);
  expect(new Set(delays).size).toBeGreaterThan(1);
  for (const [attempt, delay] of delays.entries()) {
    expect(delay).toBeLessThanOrEqual(Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** attempt));
  }
  const sentTokens = server.requests.map(tokenOf);
  expect(sentTokens).toEqual(['token-1', 'token-2', 'token-3', 'token-4', 'token-5']);
  expect(provider.lastError).toBeUndefined();
});

it('backoff ceilings double from the initial delay up to the cap', () => {
  const top = () => 0.999999;
  const ceilings = [0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, backoffDefaults, top));
  expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 14999, 14999, 14999]);
});

it('a silent server is probed and then dropped, and the provider reconnects', async () => {
  // The first connection never answers anything; the second behaves.
  const server = await startScriptedServer(() => {});
  cleanups.push(server.close);
  const provider = pool.open({ url: server.url, name: 'silent', livenessTimeoutMs: 400 });
  await waitFor(() => server.requests.length >= 2, 'a reconnect after the liveness timeout', 10_000);
  expect(provider.status).not.toBe('synced');
});

it('a token that expires mid-session (4401) is replaced by a fresh one from the token function', async () => {
  const emptyUpdate = Y.encodeStateAsUpdate(new Y.Doc());
  const server = await startScriptedServer((socket, _request, index) => {
    socket.send(encodeSyncStep2(emptyUpdate));
    if (index === 0) setTimeout(() => socket.close(4401, 'token expired'), 20);
  });
  cleanups.push(server.close);
  let issued = 0;
  const provider = pool.open({ url: server.url, name: 'expiring', token: () => `t${++issued}` });
  const errors: WeftError[] = [];
  provider.on('error', (error) => errors.push(error));
  await waitFor(() => server.requests.length === 2 && provider.status === 'synced', 'a second, synced connection');
  const tokens = server.requests.map(tokenOf);
  expect(tokens).toEqual(['t1', 't2']);
  expect(errors).toEqual([]);
});

it('a token refused again right away is permanent: error 4401, no more attempts', async () => {
  const server = await startScriptedServer((socket) => socket.close(4401, 'invalid token'));
  cleanups.push(server.close);
  const provider = pool.open({ url: server.url, name: 'refused', token: async () => 'bad' });
  const errors: WeftError[] = [];
  provider.on('error', (error) => errors.push(error));
  await waitFor(() => errors.length === 1, 'an error event');
  expect((errors[0] as ConnectionError).closeCode).toBe(4401);
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(server.requests).toHaveLength(1);
});

it('in Node, an upgrade refused with HTTP 403 is reported as the permanent close code 4403', async () => {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (_info, done) => done(false, 403, 'Forbidden'),
  });
  await once(wss, 'listening');
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  const { port } = wss.address() as { port: number };
  const provider = pool.open({ url: `ws://127.0.0.1:${port}`, name: 'forbidden' });
  const errors: WeftError[] = [];
  provider.on('error', (error) => errors.push(error));
  await waitFor(() => errors.length === 1, 'an error event');
  expect(errors[0]).toMatchObject({ closeCode: 4403, permanent: true });
  expect(errors[0]?.message).toMatch(/HTTP 403/);
});
