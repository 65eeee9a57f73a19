import { type ConnectionError, isWeftError, type WeftError } from '@weft/client';
import { mintToken } from '@weft/server';
import { afterEach, expect, it } from 'vitest';
import { startTestServer } from '../helpers/start-server.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createProviderPool } from './open-provider.ts';

const secret = 'a-test-secret-that-is-long-enough-for-hs256';
const pool = createProviderPool();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await pool.closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const collect = <T>(subscribe: (listener: (value: T) => void) => unknown) => {
  const values: T[] = [];
  subscribe((value) => values.push(value));
  return values;
};

it('a token function is called again after the token expires mid-session, and editing goes on', async () => {
  const server = await startTestServer({ auth: { secret } });
  cleanups.push(server.dispose);
  let minted = 0;
  const provider = pool.open({
    url: server.url,
    name: 'team/board',
    // The first token lives 1–2 s (JWT expiry has second granularity, so "1 s" could be a few ms,
    // gone before a loaded machine finishes the first handshake); later ones an hour.
    token: () => mintToken({ secret, prefix: 'team/', access: 'write', expiresIn: minted++ === 0 ? 2 : '1h' }),
  });
  const errors = collect<WeftError>((listener) => provider.on('error', listener));
  await provider.whenSynced();
  provider.doc.getText('t').insert(0, 'before expiry ');
  await provider.whenSaved();
  await waitFor(() => minted === 2 && provider.status === 'synced', 'a reconnect with a fresh token', 15_000);
  provider.doc.getText('t').insert(14, 'after');
  await provider.whenSaved();
  expect(errors).toEqual([]);

  const reader = pool.open({
    url: server.url,
    name: 'team/board',
    token: await mintToken({ secret, doc: 'team/board', access: 'read', expiresIn: '1h' }),
  });
  await reader.whenSynced();
  await waitFor(() => reader.doc.getText('t').toString() === 'before expiry after', 'the reader to see both edits');
});

it('a read-only token syncs down, and a write gets a permission-denied error and is never saved', async () => {
  const server = await startTestServer({ auth: { secret } });
  cleanups.push(server.dispose);
  const writer = pool.open({
    url: server.url,
    name: 'shared',
    token: await mintToken({ secret, doc: 'shared', access: 'write', expiresIn: '1h' }),
  });
  await writer.whenSynced();
  writer.doc.getText('t').insert(0, 'from the writer');
  await writer.whenSaved();

  const reader = pool.open({
    url: server.url,
    name: 'shared',
    token: await mintToken({ secret, doc: 'shared', access: 'read', expiresIn: '1h' }),
  });
  const errors = collect<WeftError>((listener) => reader.on('error', listener));
  await reader.whenSynced();
  await waitFor(() => reader.doc.getText('t').toString() === 'from the writer', 'the reader to get the text');
  reader.doc.getText('t').insert(0, 'sneaky ');
  await waitFor(() => errors.length > 0, 'a permission-denied error');
  expect(isWeftError(errors[0], 'permission-denied')).toBe(true);
  expect(reader.unsavedChanges).toBe(1);
  expect(writer.doc.getText('t').toString()).toBe('from the writer');
});

it('a bad token is refused before the upgrade and reported as a permanent 4401', async () => {
  const server = await startTestServer({ auth: { secret } });
  cleanups.push(server.dispose);
  const provider = pool.open({ url: server.url, name: 'shared', token: 'not-a-jwt' });
  const errors = collect<WeftError>((listener) => provider.on('error', listener));
  await waitFor(() => errors.length === 1, 'an error event');
  expect(errors[0] as ConnectionError).toMatchObject({ closeCode: 4401, permanent: true });
  expect(provider.status).toBe('offline');
});
