import { afterEach, expect, it } from 'vitest';
import { findFreePort } from '../helpers/server-process.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { createTempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createProviderPool } from './open-provider.ts';

const pool = createProviderPool();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await pool.closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('loads from IndexedDB before any connection, and offline edits survive a reload while the server is down', async () => {
  const dir = await createTempDir();
  cleanups.push(dir.remove);
  const port = await findFreePort();
  const url = `ws://127.0.0.1:${port}`;
  const device = pool.newDevice();

  // First page load: no server at all.
  const first = pool.open({ url, name: 'notes', indexedDB: device });
  await first.whenLoaded();
  first.doc.getText('t').insert(0, 'written offline');
  first.doc.getMap('m').set('k', 1);
  expect(first.unsavedChanges).toBe(2);
  expect(first.status).not.toBe('synced');
  await pool.close(first);

  // "Reload": a new provider on the same IndexedDB, server still down.
  const second = pool.open({ url, name: 'notes', indexedDB: device });
  await second.whenLoaded();
  expect(second.doc.getText('t').toString()).toBe('written offline');
  expect(second.unsavedChanges).toBe(2);

  // The server comes back on the same port: the handshake re-sends the offline edits.
  let server: TestServer | undefined = await startTestServer({ port, dataDir: dir.path });
  cleanups.push(() => (server as TestServer).stop());
  await second.whenSynced();
  await second.whenSaved();
  expect(second.unsavedChanges).toBe(0);

  // Another device sees them, and so does a restarted server (they are on disk).
  await server.stop();
  server = await startTestServer({ port, dataDir: dir.path });
  const other = pool.open({ url, name: 'notes' });
  await other.whenSynced();
  expect(other.doc.getText('t').toString()).toBe('written offline');
  expect(other.doc.getMap('m').get('k')).toBe(1);
});

it('merges offline edits of two devices when the server returns', async () => {
  const dir = await createTempDir();
  cleanups.push(dir.remove);
  const port = await findFreePort();
  const url = `ws://127.0.0.1:${port}`;
  const server = await startTestServer({ port, dataDir: dir.path });
  cleanups.push(() => server.stop());
  const a = pool.open({ url, name: 'shared' });
  const b = pool.open({ url, name: 'shared' });
  await Promise.all([a.whenSynced(), b.whenSynced()]);
  a.doc.getText('t').insert(0, 'base');
  await waitFor(() => b.doc.getText('t').toString() === 'base', 'b to receive the base text');

  a.disconnect();
  b.disconnect();
  expect(a.status).toBe('offline');
  a.doc.getText('t').insert(0, 'A:');
  b.doc.getText('t').insert(4, ':B');
  a.connect();
  b.connect();
  await Promise.all([a.whenSaved(), b.whenSaved()]);
  await waitFor(
    () => a.doc.getText('t').toString() === b.doc.getText('t').toString() && a.doc.getText('t').length === 8,
    'both devices to converge',
  );
  expect(a.doc.getText('t').toString()).toBe('A:base:B');
});

it('keeps the local database from growing across reloads without edits', async () => {
  const device = pool.newDevice();
  const url = `ws://127.0.0.1:${await findFreePort()}`;
  const first = pool.open({ url, name: 'compact', indexedDB: device, connect: false });
  await first.whenLoaded();
  for (let i = 0; i < 50; i++) first.doc.getText('t').insert(i, 'x');
  await pool.close(first);

  const sizes: number[] = [];
  for (let reload = 0; reload < 3; reload++) {
    const provider = pool.open({ url, name: 'compact', indexedDB: device, connect: false });
    await provider.whenLoaded();
    expect(provider.doc.getText('t').length).toBe(50);
    await pool.close(provider);
    sizes.push(await countRecords(device, 'weft:compact'));
  }
  expect(sizes).toEqual([1, 1, 1]);
});

async function countRecords(factory: IDBFactory, name: string): Promise<number> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const count = await new Promise<number>((resolve, reject) => {
    const request = db.transaction('updates').objectStore('updates').count();
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return count;
}
