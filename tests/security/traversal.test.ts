import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { createTempDir } from '../helpers/temp-dir.ts';

/** Raw request paths (already URL-encoded where needed): traversal, encodings, odd and reserved names. */
const CORPUS: string[] = [
  '..',
  '.',
  '../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e',
  '%2e%2e%2f',
  '%2e%2e%2fetc',
  '%2E%2E%2F%2E%2E%2F',
  '%252e%252e%252f',
  '..%5c..%5cwindows',
  '..\\..\\windows',
  'a/../../b',
  'a/./b',
  'a//b',
  'a/',
  '%2fetc%2fpasswd',
  '%00',
  'a%00b',
  'a%00.txt',
  '%0a',
  '%0d%0a',
  'a%09b',
  'a%20b',
  '%7f',
  '%c0%ae%c0%ae',
  '%e0%80%ae',
  '%ff',
  '%',
  '%zz',
  '%e2%80%ae',
  '%ef%bc%8e%ef%bc%8e',
  '%e2%80%a4%e2%80%a4',
  '%ef%bc%8f',
  '%e2%88%95etc',
  '%c4%b1',
  'CON',
  'con',
  'PRN',
  'AUX',
  'NUL',
  'nul.txt',
  'COM1',
  'lpt9',
  'team/CON',
  'aux.json',
  'x'.repeat(257),
  'x'.repeat(4096),
  'a/'.repeat(200),
  '~%2f..%2f.ssh',
  'file:%2f%2f%2fetc',
  'C:%5cwindows',
  '%3cscript%3e',
  'a%3fb',
  'a%23b',
  '*',
  'a%7cb',
  '%22quoted%22',
];

let server: TestServer | undefined;
afterEach(() => server?.dispose());

/** Sends an upgrade for `path` by hand (no client normalizes it) and returns the HTTP status. */
function upgradeStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET /${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (status) {
        resolve(Number(status[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

it(`refuses ${CORPUS.length} traversal and odd names and writes nothing outside the data directory`, async () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(50);
  const root = await createTempDir();
  const dataDir = join(root.path, 'data');
  server = await startTestServer({ dataDir });
  const accepted: string[] = [];
  for (const path of CORPUS) {
    const status = await upgradeStatus(server.server.port, path);
    if (status !== 400 && status !== 431 && status !== 414) accepted.push(`${path.slice(0, 40)} -> ${status}`);
  }
  expect(accepted).toEqual([]);
  expect(server.server.stats().rooms).toBe(0);
  await server.stop();
  // The root holds only the data directory, and no document was created in it (every name was refused).
  expect(await readdir(root.path)).toEqual(['data']);
  const docs = await readdir(join(dataDir, 'docs')).catch(() => []);
  expect(docs).toEqual([]);
  await root.remove();
});
