import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryStorage, createServer, type WeftServer } from '@weft/server';
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { waitFor } from '../helpers/wait-for.ts';

let httpServer: Server | undefined;
let weft: WeftServer | undefined;
const providers: WebsocketProvider[] = [];

afterEach(async () => {
  for (const provider of providers.splice(0)) provider.destroy();
  await weft?.close();
  await new Promise((resolve) => httpServer?.close(resolve));
});

it('attaches to an existing http.Server under a base path, leaving its routes alone', async () => {
  // Stands in for an Express or Fastify app: it owns the HTTP server and its routes.
  httpServer = createHttpServer((request, response) => {
    if (weft?.handleRequest(request, response)) return;
    response.end(`app route ${request.url}`);
  });
  await new Promise<void>((resolve) => httpServer?.listen(0, '127.0.0.1', resolve));
  weft = await createServer({ server: httpServer, basePath: '/collab/', storage: createMemoryStorage() });
  const { port } = httpServer.address() as AddressInfo;

  expect(await (await fetch(`http://127.0.0.1:${port}/api/things`)).text()).toBe('app route /api/things');
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

  const connect = () => {
    const provider = new WebsocketProvider(`ws://127.0.0.1:${port}/collab`, 'shared', new Y.Doc(), {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    providers.push(provider);
    return provider;
  };
  const a = connect();
  const b = connect();
  await waitFor(() => a.synced && b.synced, 'both providers to sync');
  a.doc.getText('t').insert(0, 'through the app server');
  await waitFor(() => b.doc.getText('t').toString() === 'through the app server', 'edit to reach b');
});
