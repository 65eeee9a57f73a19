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

it("each tab keeps its own unsaved count: one tab's saves never hide another tab's unsaved edit", async () => {
  const server = await startTestServer();
  cleanups.push(server.dispose);
  const device = pool.newDevice();
  // Tab B is online. Tab A opens later and stays offline, so its edit is only in IndexedDB (these
  // tabs have no BroadcastChannel, so B never hears of it). Then B's own edit is saved.
  const onlineTab = pool.open({ url: server.url, name: 'tabs-unsaved', indexedDB: device });
  await onlineTab.whenSynced();
  const offlineTab = pool.open({ url: server.url, name: 'tabs-unsaved', indexedDB: device, connect: false });
  await offlineTab.whenLoaded();
  offlineTab.doc.getText('t').insert(0, 'from the offline tab');
  expect(offlineTab.unsavedChanges).toBe(1);
  onlineTab.doc.getText('n').insert(0, 'saved');
  await onlineTab.whenSaved();
  // Both tabs close; the offline tab's edit never reached the server.
  await pool.close(offlineTab);
  await pool.close(onlineTab);
  const elsewhere = pool.open({ url: server.url, name: 'tabs-unsaved', indexedDB: false });
  await elsewhere.whenSynced();
  expect(elsewhere.doc.getText('t').toString()).toBe('');
  await pool.close(elsewhere);

  const reopened = pool.open({ url: server.url, name: 'tabs-unsaved', indexedDB: device, connect: false });
  await reopened.whenLoaded();
  expect(reopened.unsavedChanges, 'the offline tab’s edit is still unsaved').toBe(1);
  reopened.connect();
  await reopened.whenSaved();
  expect(reopened.doc.getText('t').toString()).toBe('from the offline tab');
  await pool.close(reopened);

  // Saved by the reopened tab's handshake, and it took the loaded counts over: none is left behind.
  const later = pool.open({ url: server.url, name: 'tabs-unsaved', indexedDB: device, connect: false });
  await later.whenLoaded();
  expect(later.unsavedChanges).toBe(0);
});

it('a page load takes over the counts it loaded, so offline reloads never count an edit twice', async () => {
  const device = pool.newDevice();
  const open = () => pool.open({ url: 'ws://127.0.0.1:9', name: 'reloads', indexedDB: device, connect: false });
  for (let load = 1; load <= 3; load++) {
    const tab = open();
    await tab.whenLoaded();
    expect(tab.unsavedChanges, `page load ${load}`).toBe(load - 1);
    tab.doc.getText('t').insert(0, `edit ${load} `);
    expect(tab.unsavedChanges).toBe(load);
    await pool.close(tab);
  }
});
