import type { AddressInfo } from 'node:net';
import { decodeFrame, encodeDurableAck, encodeSyncStep1, type Message } from '@weft/protocol';
import { afterEach, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import * as Y from 'yjs';
import { createServerProcesses } from '../helpers/server-process.ts';
import { createTempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createProviderPool } from './open-provider.ts';

const pool = createProviderPool();
const processes = createServerProcesses();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await pool.closeAll();
  await processes.killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('unsavedChanges reaches 0 only after the durable ack', async () => {
  const dir = await createTempDir();
  cleanups.push(dir.remove);
  const server = await processes.start({ dataDir: dir.path });
  const provider = pool.open({ url: server.url, name: 'acked' });
  await provider.whenSynced();
  const counts: number[] = [];
  provider.on('unsaved', (count) => counts.push(count));

  // A stopped server reads nothing and fsyncs nothing: the edit cannot be acked.
  server.child.kill('SIGSTOP');
  provider.doc.getText('t').insert(0, 'hello');
  expect(provider.unsavedChanges).toBe(1);
  const saved = provider.whenSaved();
  let isSaved = false;
  void saved.then(() => {
    isSaved = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 200)); // a window in which an ack would be wrong
  expect(isSaved).toBe(false);
  expect(provider.unsavedChanges).toBe(1);

  server.child.kill('SIGCONT');
  await saved;
  expect(provider.unsavedChanges).toBe(0);
  expect(counts).toEqual([1, 0]);
});

it('an edit the server never acked reaches it after kill -9 and restart, from IndexedDB', async () => {
  const dir = await createTempDir();
  cleanups.push(dir.remove);
  const first = await processes.start({ dataDir: dir.path });
  const device = pool.newDevice();
  const writer = pool.open({ url: first.url, name: 'crash', indexedDB: device });
  await writer.whenSynced();
  writer.doc.getText('t').insert(0, 'acked ');
  await writer.whenSaved();

  first.child.kill('SIGSTOP');
  writer.doc.getText('t').insert(6, 'not acked');
  expect(writer.unsavedChanges).toBe(1);
  await first.kill('SIGKILL');
  // The page reloads while the server is gone: the unacked edit lives in IndexedDB only.
  await pool.close(writer);

  const second = await processes.start({ dataDir: dir.path });
  const reloaded = pool.open({ url: second.url, name: 'crash', indexedDB: device });
  await reloaded.whenLoaded();
  expect(reloaded.unsavedChanges).toBe(1);
  await reloaded.whenSaved();
  expect(reloaded.unsavedChanges).toBe(0);

  // The acked and the re-sent edit are both on the server's disk: a third server run has them.
  await second.kill('SIGKILL');
  const third = await processes.start({ dataDir: dir.path });
  const reader = pool.open({ url: third.url, name: 'crash' });
  await reader.whenSynced();
  await waitFor(() => reader.doc.getText('t').toString() === 'acked not acked', 'the reader to see both edits');
});

it('an ack of an edit sent before the handshake does not count the edits only the handshake carries', async () => {
  // A scripted server on a real socket: it holds back its SyncStep1 and acks whatever arrived.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  await new Promise((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as AddressInfo;
  const received: Message[] = [];
  const connected = new Promise<WebSocket>((resolve) =>
    wss.once('connection', (socket) => {
      socket.on('message', (data: Buffer) => received.push(...decodeFrame(new Uint8Array(data))));
      resolve(socket);
    }),
  );
  const updateBearing = () => received.filter((message) => message.kind === 'update' || message.kind === 'sync-step-2');

  const provider = pool.open({ url: `ws://127.0.0.1:${port}`, name: 'handshake' });
  provider.doc.getText('t').insert(0, 'offline '); // before the socket opens: only the handshake carries it
  const socket = await connected;
  await waitFor(() => received.some((message) => message.kind === 'sync-step-1'), "the client's SyncStep1");
  provider.doc.getText('t').insert(8, 'online'); // open, but the server has not asked for anything yet
  await new Promise((resolve) => setTimeout(resolve, 200)); // the window an early Update would use
  const early = updateBearing().length;
  if (early > 0) socket.send(encodeDurableAck(early));
  // The client answers SyncStep1 after it has handled the ack sent before it on this socket.
  socket.send(encodeSyncStep1(new Uint8Array([0])));
  await waitFor(() => updateBearing().length > early, "the client's SyncStep2");
  expect(provider.unsavedChanges, 'an ack of messages that lack the offline edit').toBe(2);

  const server = new Y.Doc();
  for (const message of updateBearing()) if ('update' in message) Y.applyUpdate(server, message.update);
  expect(server.getText('t').toString()).toBe('offline online');
  socket.send(encodeDurableAck(updateBearing().length));
  await waitFor(() => provider.unsavedChanges === 0, 'the handshake to be acked');
});
