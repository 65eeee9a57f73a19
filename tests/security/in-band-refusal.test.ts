import { connect as tcpConnect } from 'node:net';
import { CloseCode, decodeFrame, EXTENSIONS_PARAM, Extension, type Message } from '@weft/protocol';
import { mintToken } from '@weft/server';
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';

// Browsers hide the HTTP status of a refused upgrade, so clients that announce the `error`
// extension (every @weft/client does) are refused after the upgrade, with a permanent close code.
const SECRET = 'a test secret that is long enough for HS256 tokens';
const WITH_ERRORS = `${EXTENSIONS_PARAM}=${Extension.error}`;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

interface Refused {
  messages: Message[];
  close: { code: number; reason: string };
}

/** Opens `path` and collects what arrives until the server closes; rejects on an HTTP refusal. */
function refusedInBand(url: string, path: string): Promise<Refused> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url}${path}`);
    const messages: Message[] = [];
    socket.on('message', (data: Buffer) => messages.push(...decodeFrame(new Uint8Array(data))));
    socket.on('close', (code, reason) => resolve({ messages, close: { code, reason: reason.toString() } }));
    socket.on('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.on('error', reject);
  });
}

it('refuses a client that announced the error extension in-band, with the permanent code and reason', async () => {
  server = await startTestServer({ auth: { secret: SECRET } });
  const cases = [
    { path: `/locked?${WITH_ERRORS}`, code: CloseCode.unauthenticated, reason: 'a token is required' },
    {
      path: `/locked?${WITH_ERRORS}&token=${await mintToken({ secret: SECRET, doc: 'other', access: 'write', expiresIn: '1m' })}`,
      code: CloseCode.forbidden,
      reason: 'the token does not grant this document',
    },
    { path: `/%zz?${WITH_ERRORS}`, code: CloseCode.badRequest },
  ];
  for (const { path, code, reason } of cases) {
    const refused = await refusedInBand(server.url, path);
    expect(refused.close.code, path).toBe(code);
    if (reason !== undefined) expect(refused.close.reason, path).toBe(reason);
    // The error message comes first and says the same, for clients that read reasons from it.
    expect(refused.messages, path).toEqual([{ kind: 'error', code, reason: refused.close.reason }]);
  }
  expect(server.server.stats()).toMatchObject({ rooms: 0, connections: 0 });
});

it('keeps the HTTP status for clients without the extension (stock y-websocket clients)', async () => {
  server = await startTestServer({ auth: { secret: SECRET } });
  await expect(refusedInBand(server.url, '/locked')).rejects.toThrow('HTTP 401');
});

it('cuts off a refused client that never answers the close handshake', async () => {
  server = await startTestServer({ auth: { secret: SECRET } });
  const { port } = server.server;
  const started = Date.now();
  const received: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => {
      socket.write(
        `GET /locked?${WITH_ERRORS} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
    // Reads everything, answers nothing.
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  const bytes = Buffer.concat(received).toString('latin1');
  expect(bytes).toMatch(/^HTTP\/1\.1 101 /);
  // ws would wait 30 s for the close frame; the server gives a refused peer 2 s.
  expect(Date.now() - started).toBeLessThan(15_000);
});
