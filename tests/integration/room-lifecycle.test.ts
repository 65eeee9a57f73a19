import type { Socket } from 'node:net';
import { CloseCode } from '@weft/protocol';
import { createFileStorage } from '@weft/server';
import { afterEach, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { createFaultyStorage } from '../helpers/faulty-storage.ts';
import { connectProtocolClient, type ProtocolClient } from '../helpers/protocol-client.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { createTempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * After a storage failure the old room (A) is unloaded, but the connections it closed stay in
 * A.peers until their close handshake completes. Such a late 'close' may arrive after a new room
 * (B) for the same document was loaded; registry.leave(A, conn) must then leave B alone (it once
 * armed B's idle timer and dropped B from the registry while B still had peers).
 */
const servers: TestServer[] = [];
const clients: ProtocolClient[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.dispose();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
/** A server on a FileStorage whose appends the test can make fail, and a connect helper. */
async function startOnFaultyStorage() {
  const temp = await createTempDir();
  const { storage, control } = createFaultyStorage(await createFileStorage({ directory: temp.path }));
  cleanups.push(async () => {
    await storage.close();
    await temp.remove();
  });
  const server = await startTestServer({ storage, dataDir: temp.path, idleUnloadMs: 0 });
  servers.push(server);
  const connect = async (name: string, doc?: Y.Doc) => {
    const client = await connectProtocolClient(server.url, name, { doc, extensions: ['ack'] });
    clients.push(client);
    return client;
  };
  return { server, storage, control, temp, connect };
}

/** Makes room A fail while `slow` stops reading (so its close handshake hangs), then loads room B. */
async function failRoomWithStalledClient(
  setup: Awaited<ReturnType<typeof startOnFaultyStorage>>,
  slow: ProtocolClient,
) {
  const tcp = (slow.socket as unknown as { _socket: Socket })._socket;
  tcp.pause();
  setup.control.failAppends = true;
  slow.doc.getText('t').insert(0, 'x'); // append fails -> room A closes its peers and unloads
  await waitFor(() => setup.server.server.stats().rooms === 0, 'room A to unload');
  setup.control.failAppends = false;
  const writer = await setup.connect('doc'); // room B
  await writer.synced;
  expect(setup.server.server.stats().rooms).toBe(1);
  // The stalled client's network comes back; its close handshake completes only now.
  tcp.resume();
  expect((await slow.closed).code).toBe(CloseCode.internalError);
  await waitFor(() => setup.server.server.stats().connections === 1, 'the stale connection to be gone');
  return writer;
}

it('a late close of a connection of a failed room does not unload the new room of that document', async () => {
  const setup = await startOnFaultyStorage();
  const slow = await setup.connect('doc');
  await slow.synced;
  await waitFor(() => slow.ackedUpdates === slow.sentUpdates, 'handshake ack');
  const writer = await failRoomWithStalledClient(setup, slow);

  // Room B still has a live peer, so it must still be the room of "doc" ...
  const reader = await setup.connect('doc');
  await reader.synced;
  expect(setup.server.server.stats().rooms).toBe(1);
  // ... and edits must reach everyone connected to "doc".
  writer.doc.getText('t').insert(0, 'hello');
  await waitFor(() => reader.doc.getText('t').toString().includes('hello'), 'edit to reach the reader', 2000);
});

it('an acked update is never compacted away by a later room of the same document', async () => {
  const setup = await startOnFaultyStorage();
  const slow = await setup.connect('doc');
  await slow.synced;
  slow.doc.getText('t').insert(0, 'base ');
  await waitFor(() => slow.ackedUpdates === slow.sentUpdates, 'acks');
  const writer = await failRoomWithStalledClient(setup, slow);

  const other = await setup.connect('doc');
  await other.synced;
  writer.doc.getText('t').insert(0, 'ACKED ');
  await waitFor(() => writer.ackedUpdates === writer.sentUpdates, 'writer ack'); // durable, says the server
  // Had the stale leave dropped room B, `other` would be alone in a room C without ACKED, whose
  // final flush would compact without it and delete the log holding it.
  other.close();
  await waitFor(() => setup.server.server.stats().connections === 1, 'other to leave');
  writer.close();
  await waitFor(
    () => setup.server.server.stats().connections === 0 && setup.server.server.stats().rooms === 0,
    'unloads',
  );
  await setup.server.stop();
  await setup.storage.close(); // the test owns this storage (releases the lock)

  const restarted = await startTestServer({ dataDir: setup.temp.path });
  servers.push(restarted);
  const check = await connectProtocolClient(restarted.url, 'doc');
  clients.push(check);
  await check.synced;
  expect(check.doc.getText('t').toString()).toContain('ACKED');
});
