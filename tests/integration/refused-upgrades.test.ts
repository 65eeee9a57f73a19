import { type Socket, connect as tcpConnect } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createServerProcesses } from '../helpers/server-process.ts';
import { createTempDir } from '../helpers/temp-dir.ts';

/**
 * Node's http server removes its own 'error' listener from a socket before emitting 'upgrade'.
 * server.ts adds one only for upgrades it accepts; for the ones it refuses (invalid name -> 400,
 * shutting down -> 503, wrong base path -> 404) `refuseUpgrade` writes to a socket with no
 * 'error' listener. A client that resets the connection turns that into an uncaught exception.
 */
const processes = createServerProcesses();
afterEach(() => processes.killAll());

function resetAfterRequest(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        () => {
          socket.resetAndDestroy(); // RST instead of FIN
          resolve();
        },
      );
    });
    socket.on('error', () => resolve()); // e.g. ECONNREFUSED once the server died
    void reject;
  });
}

it('a client resetting a refused upgrade does not crash the server process', async () => {
  const temp = await createTempDir();
  const server = await processes.start({ dataDir: temp.path });
  for (let i = 0; i < 50 && !server.hasExited; i++) {
    await resetAfterRequest(server.port, '/..'); // invalid name -> HTTP 400
    await resetAfterRequest(server.port, '/%zz');
    await resetAfterRequest(server.port, '/%zz?weft=error'); // refused in-band: upgraded, then 4400
  }
  // A normal request must still be answered.
  const response = await fetch(`${server.httpUrl}/healthz`).catch((error: Error) => error);
  expect(server.hasExited, server.stderr.slice(-1500)).toBe(false);
  expect(response instanceof Response && response.status).toBe(200);
  await temp.remove();
});
