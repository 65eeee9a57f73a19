import { afterEach, expect, it } from 'vitest';
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
