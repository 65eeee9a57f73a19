import { isDeepStrictEqual } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connectProtocolClient, type ProtocolClient } from '../helpers/protocol-client.ts';
import { createRandom, testSeed } from '../helpers/seeded-random.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { createTempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Seeded convergence harness: peers edit text, a map and an array while going offline and coming
// back at random, and the server restarts from disk now and then. Everyone must end identical.
const PEERS = 5;
const STEPS = 1500;
const DOC = 'converge';

interface Peer {
  doc: Y.Doc;
  client: ProtocolClient | undefined;
}

let server: TestServer | undefined;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function edit(doc: Y.Doc, random: ReturnType<typeof createRandom>, step: number): void {
  const text = doc.getText('text');
  switch (random.int(4)) {
    case 0:
      text.insert(random.int(text.length + 1), `s${step} `);
      break;
    case 1:
      if (text.length > 0) text.delete(random.int(text.length), 1 + random.int(Math.min(4, text.length)));
      break;
    case 2:
      doc.getMap('map').set(`k${random.int(8)}`, step);
      break;
    default:
      doc.getArray('list').insert(random.int(doc.getArray('list').length + 1), [step]);
  }
}

it('peers with random offline periods and server restarts converge to one state', async () => {
  const seed = testSeed('convergence');
  const random = createRandom(seed);
  const dir = await createTempDir();
  cleanups.push(dir.remove);
  server = await startTestServer({ dataDir: dir.path });
  cleanups.push(() => server?.stop());
  const peers: Peer[] = Array.from({ length: PEERS }, () => ({ doc: new Y.Doc(), client: undefined }));
  const online = async (peer: Peer) => {
    peer.client = await connectProtocolClient((server as TestServer).url, DOC, { doc: peer.doc });
    cleanups.push(() => peer.client?.close());
  };
  const offline = (peer: Peer) => {
    peer.client?.close();
    peer.client = undefined;
  };
  for (const peer of peers) await online(peer);
  const counts = { edits: 0, disconnects: 0, reconnects: 0, restarts: 0 };

  for (let step = 0; step < STEPS; step++) {
    const peer = random.pick(peers);
    const roll = random.int(100);
    if (roll < 8) {
      offline(peer);
      counts.disconnects += 1;
    } else if (roll < 16 && peer.client === undefined) {
      await online(peer);
      counts.reconnects += 1;
    } else if (roll < 18) {
      counts.restarts += 1;
      // Restart the server from disk; connected peers are dropped and come back later.
      for (const each of peers) offline(each);
      await server.stop();
      server = await startTestServer({ dataDir: dir.path });
    } else {
      edit(peer.doc, random, step);
      counts.edits += 1;
    }
  }
  console.log(`[convergence] ${JSON.stringify(counts)}`);

  for (const peer of peers) if (peer.client === undefined) await online(peer);
  // Map keys may be listed in any order, so compare structurally.
  const contentOf = (doc: Y.Doc) => ({
    text: doc.getText('text').toString(),
    map: doc.getMap('map').toJSON(),
    list: doc.getArray('list').toJSON(),
  });
  const sameEverywhere = () =>
    peers.every((peer) => isDeepStrictEqual(contentOf(peer.doc), contentOf((peers[0] as Peer).doc)));
  await waitFor(sameEverywhere, `all ${PEERS} peers to converge (SEED=${seed})`, 20_000);

  // The server holds the same state, also after one more restart from disk.
  await server.stop();
  server = await startTestServer({ dataDir: dir.path });
  const reader = await connectProtocolClient(server.url, DOC);
  cleanups.push(() => reader.close());
  await reader.synced;
  expect(contentOf(reader.doc)).toEqual(contentOf((peers[0] as Peer).doc));
  expect(contentOf(reader.doc).text.length).toBeGreaterThan(0);
});
