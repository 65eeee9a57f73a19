import type { Provider } from '@weft/client';
import { afterEach, expect, it } from 'vitest';
import { createRandom, testSeed } from '../helpers/seeded-random.ts';
import { startTestServer } from '../helpers/start-server.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createProviderPool } from './open-provider.ts';

// Five providers edit text, a map and an array, going offline ("work offline") and back at random
// and reloading from IndexedDB now and then. All must end identical, with nothing left unsaved.
const CLIENTS = 5;
const STEPS = 1500;

const pool = createProviderPool();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await pool.closeAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Everything the clients edit, in a form where equal documents give equal strings. */
const contents = (provider: Provider) =>
  JSON.stringify([
    provider.doc.getText('text').toString(),
    Object.entries(provider.doc.getMap('map').toJSON()).sort(([a], [b]) => a.localeCompare(b)),
    provider.doc.getArray('list').toJSON(),
  ]);

function edit(provider: Provider, random: ReturnType<typeof createRandom>, step: number) {
  const text = provider.doc.getText('text');
  switch (random.int(4)) {
    case 0:
      text.insert(random.int(text.length + 1), `s${step} `);
      break;
    case 1:
      if (text.length > 0) text.delete(random.int(text.length), 1 + random.int(Math.min(3, text.length)));
      break;
    case 2:
      provider.doc.getMap('map').set(`k${random.int(6)}`, step);
      break;
    default:
      provider.doc.getArray('list').insert(random.int(provider.doc.getArray('list').length + 1), [step]);
  }
}

it('five clients with random offline periods and reloads converge', async () => {
  const seed = testSeed('provider-convergence');
  const random = createRandom(seed);
  const server = await startTestServer();
  cleanups.push(server.dispose);
  const devices = Array.from({ length: CLIENTS }, () => pool.newDevice());
  const open = (index: number) => pool.open({ url: server.url, name: 'converge', indexedDB: devices[index] });
  const clients = devices.map((_, index) => open(index));
  await Promise.all(clients.map((client) => client.whenSynced()));

  for (let step = 0; step < STEPS; step++) {
    const index = random.int(CLIENTS);
    const client = clients[index] as Provider;
    const roll = random.next();
    if (roll < 0.05) {
      if (client.status === 'offline') client.connect();
      else client.disconnect();
    } else if (roll < 0.07) {
      // Reload: the page goes away mid-flight and a new one loads from the same IndexedDB.
      const wasOnline = client.status !== 'offline';
      await pool.close(client);
      const reloaded = open(index);
      clients[index] = reloaded;
      await reloaded.whenLoaded();
      if (!wasOnline) reloaded.disconnect();
    } else {
      edit(client, random, step);
    }
    if (step % 25 === 0) await new Promise((resolve) => setTimeout(resolve, random.int(5)));
  }

  for (const client of clients) client.connect();
  await Promise.all(clients.map((client) => client.whenSaved()));
  const expected = contents(clients[0] as Provider);
  await waitFor(
    () => clients.every((client) => contents(client) === expected),
    `all clients to converge (SEED=${seed}; statuses ${clients.map((client) => client.status)})`,
    20_000,
  );
  // And what the server holds is the same: a fresh device gets it all.
  const fresh = pool.open({ url: server.url, name: 'converge' });
  await fresh.whenSynced();
  expect(contents(fresh)).toBe(expected);
  expect(clients.map((client) => client.unsavedChanges)).toEqual([0, 0, 0, 0, 0]);
});
