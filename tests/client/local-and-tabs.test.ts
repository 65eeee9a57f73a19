import { isWeftError, type Provider, type WeftError } from '@weft/client';
import { IDBObjectStore } from 'fake-indexeddb';
import { afterEach, expect, it } from 'vitest';
import { startTestServer } from '../helpers/start-server.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createProviderPool } from './open-provider.ts';

const pool = createProviderPool();
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  await pool.closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const collectErrors = (provider: Provider) => {
  const errors: WeftError[] = [];
  provider.on('persistence-error', (error) => errors.push(error));
  return errors;
};

it('a database deleted from outside becomes an event, and editing and syncing go on in memory', async () => {
  const server = await startTestServer();
  cleanups.push(server.dispose);
  const device = pool.newDevice();
  const provider = pool.open({ url: server.url, name: 'deleted', indexedDB: device });
  const errors = collectErrors(provider);
  await provider.whenSynced();
  provider.doc.getText('t').insert(0, 'before ');

  // Clearing site data deletes the database; the open connection gets versionchange first.
  const request = device.deleteDatabase('weft:deleted');
  const deleted = new Promise<void>((resolve, reject) => {
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
  await waitFor(() => errors.length === 1, 'a persistence-error event');
  expect(isWeftError(errors[0], 'persistence-failed')).toBe(true);
  expect(errors[0]?.message).toMatch(/continue in memory/);
  await deleted;

  provider.doc.getText('t').insert(7, 'after');
  await provider.whenSaved();
  const other = pool.open({ url: server.url, name: 'deleted' });
  await other.whenSynced();
  await waitFor(() => other.doc.getText('t').toString() === 'before after', 'the other client to get both edits');
  expect(errors).toHaveLength(1);
});

it('a full disk (QuotaExceededError) becomes an event, and editing goes on in memory', async () => {
  const provider = pool.open({ url: 'ws://127.0.0.1:9', name: 'quota', connect: false });
  const errors = collectErrors(provider);
  await provider.whenLoaded();
  const add = IDBObjectStore.prototype.add;
  IDBObjectStore.prototype.add = () => {
    throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
  };
  cleanups.push(() => {
    IDBObjectStore.prototype.add = add;
  });
  provider.doc.getText('t').insert(0, 'too much');
  provider.doc.getText('t').insert(0, 'more ');
  await waitFor(() => errors.length > 0, 'a persistence-error event');
  expect(errors).toHaveLength(1);
  expect(errors[0]?.message).toMatch(/QuotaExceededError/);
  expect(provider.doc.getText('t').toString()).toBe('more too much');
  expect(provider.unsavedChanges).toBe(2);
});

it('tabs of one browser sync through BroadcastChannel, without a server', async () => {
  const url = 'ws://127.0.0.1:9';
  const tabA = pool.open({ url, name: 'tabs', crossTab: true, connect: false, indexedDB: false });
  const tabB = pool.open({ url, name: 'tabs', crossTab: true, connect: false, indexedDB: false });
  await Promise.all([tabA.whenLoaded(), tabB.whenLoaded()]);
  tabA.doc.getText('t').insert(0, 'from A');
  await waitFor(() => tabB.doc.getText('t').toString() === 'from A', 'tab B to get tab A’s edit');
  tabB.setUser({ name: 'Bea', color: '#0a7' });
  await waitFor(() => tabA.peers().some((peer) => peer.user?.name === 'Bea'), 'tab A to see Bea');
  // A tab opened later catches up through the SyncStep1 it broadcasts on load.
  const tabC = pool.open({ url, name: 'tabs', crossTab: true, connect: false, indexedDB: false });
  await waitFor(() => tabC.doc.getText('t').toString() === 'from A', 'tab C to catch up');
  // Only the tab that made an edit counts it as unsaved.
  expect([tabA.unsavedChanges, tabB.unsavedChanges, tabC.unsavedChanges]).toEqual([1, 0, 0]);
});

it('presence: names and colours reach peers, and a destroyed provider leaves at once', async () => {
  const server = await startTestServer();
  cleanups.push(server.dispose);
  const ada = pool.open({ url: server.url, name: 'presence', indexedDB: false });
  const bob = pool.open({ url: server.url, name: 'presence', indexedDB: false });
  await Promise.all([ada.whenSynced(), bob.whenSynced()]);
  ada.setUser({ name: 'Ada', color: '#e91e63' });
  bob.setUser({ name: 'Bob', color: '#2196f3' });
  await waitFor(() => ada.peers().filter((peer) => peer.user).length === 2, 'Ada to see both people');
  const [self, other] = ada.peers();
  expect(self).toMatchObject({ self: true, user: { name: 'Ada', color: '#e91e63' } });
  expect(other).toMatchObject({ self: false, user: { name: 'Bob', color: '#2196f3' } });

  const seen: string[][] = [];
  ada.on('peers', (peers) => seen.push(peers.map((peer) => peer.user?.name ?? '?')));
  await pool.close(bob);
  await waitFor(() => ada.peers().length === 1, 'Bob to leave');
  expect(seen.at(-1)).toEqual(['Ada']);
});
