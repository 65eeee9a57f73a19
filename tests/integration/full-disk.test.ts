import { join } from 'node:path';
import { CloseCode } from '@weft/protocol';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectProtocolClient, type ProtocolClient } from '../helpers/protocol-client.ts';
import { mountSmallDisk, type SmallDisk } from '../helpers/small-disk.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The whole server on a real disk that fills up (a 2 MiB tmpfs), not a storage that pretends to fail.
let disk: SmallDisk;
beforeAll(async () => {
  disk = await mountSmallDisk('2m');
});
afterAll(async () => {
  if ('path' in disk) await disk.remove();
});

const servers: TestServer[] = [];
const clients: ProtocolClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.stop();
});

it('a full disk closes the document with 1011 and acks nothing; once space returns the edit is saved and survives a restart', async (context) => {
  if (!('path' in disk)) return context.skip(disk.skipReason);
  const dataDir = join(disk.path, 'data');
  const start = async () => {
    const server = await startTestServer({ dataDir });
    servers.push(server);
    return server;
  };
  const connect = async (server: TestServer, doc?: Y.Doc) => {
    const client = await connectProtocolClient(server.url, 'board/full', { doc, extensions: ['ack'] });
    clients.push(client);
    return client;
  };

  let server = await start();
  const doc = new Y.Doc();
  const writer = await connect(server, doc);
  await writer.synced;
  doc.getText('t').insert(0, 'saved before ');
  await waitFor(() => writer.ackedUpdates === writer.sentUpdates, 'the first edit to be acked');
  const ackedBefore = writer.ackedUpdates;

  const full = await disk.fill();
  // Larger than the slack in the log's last page, so the append needs space the disk lacks.
  doc.getText('t').insert(doc.getText('t').length, 'x'.repeat(64 * 1024));
  expect((await writer.closed).code).toBe(CloseCode.internalError);
  expect(writer.ackedUpdates).toBe(ackedBefore);

  await full.free();
  // The client still holds its edit; the next handshake sends it again.
  const retry = await connect(server, doc);
  await waitFor(
    () => retry.sentUpdates > 0 && retry.ackedUpdates === retry.sentUpdates,
    'the ack after space returned',
  );
  retry.close();

  await server.stop();
  server = await start();
  const reader = await connect(server);
  await reader.synced;
  expect(reader.doc.getText('t').toString()).toBe(doc.getText('t').toString());
  expect(reader.doc.getText('t').length).toBe('saved before '.length + 64 * 1024);
});
