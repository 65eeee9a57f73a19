import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { createRandom, testSeed } from '../../../tests/helpers/seeded-random.ts';
import { applyUpdateReporting } from './integrated-update.ts';

/** Applies `update` to `doc`, returning every report (normally zero or one). */
function applyCollecting(doc: Y.Doc, update: Uint8Array): Uint8Array[] {
  const reports: Uint8Array[] = [];
  applyUpdateReporting(doc, update, 'test', (integrated) => reports.push(integrated));
  return reports;
}

/** What Yjs's own 'update' event says the same apply integrated. */
function yjsEvent(before: Uint8Array, update: Uint8Array): Uint8Array[] {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, before);
  const events: Uint8Array[] = [];
  doc.on('update', (emitted: Uint8Array) => events.push(emitted));
  Y.applyUpdate(doc, update);
  return events;
}

const textOf = (update: Uint8Array) => {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return doc.getText('t').toString();
};

it('reports an update that integrates whole as it is, and nothing for one that changes nothing', () => {
  const writer = new Y.Doc();
  const updates: Uint8Array[] = [];
  writer.on('update', (update: Uint8Array) => updates.push(update));
  writer.getText('t').insert(0, 'hello');
  writer.getText('t').delete(0, 1);
  const server = new Y.Doc();

  for (const update of updates) expect(applyCollecting(server, update)).toEqual([update]);
  // The same deletion again: nothing new, so nothing to persist or broadcast (Yjs emits nothing either).
  expect(applyCollecting(server, updates[1] as Uint8Array)).toEqual([]);
  expect(server.getText('t').toString()).toBe('ello');
});

it('reports only the integrated part when part of an update is held back, and what it unblocks later', () => {
  const a = new Y.Doc();
  a.clientID = 1;
  a.getText('t').insert(0, 'A');
  const b = new Y.Doc();
  b.clientID = 2;
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  b.getText('t').insert(1, 'B'); // depends on A
  const c = new Y.Doc();
  c.clientID = 3;
  c.getText('t').insert(0, 'C'); // depends on nothing
  // One update carrying C (integrable) and B (its origin A is missing on the server).
  const mixed = Y.mergeUpdates([Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)), Y.encodeStateAsUpdate(c)]);

  const server = new Y.Doc();
  const first = applyCollecting(server, mixed);
  expect(server.store.pendingStructs).not.toBeNull();
  expect(first).toHaveLength(1);
  expect(textOf(first[0] as Uint8Array)).toBe('C');
  expect(Y.decodeUpdate(first[0] as Uint8Array).structs.map((s) => s.id.client)).toEqual([3]);
  expect(first).toEqual(yjsEvent(new Uint8Array([0, 0]), mixed));

  // A arrives: it and the held-back B integrate, and the report (Yjs's own event) carries both.
  const before = Y.encodeStateAsUpdate(server);
  const second = applyCollecting(server, Y.encodeStateAsUpdate(a));
  expect(server.store.pendingStructs).toBeNull();
  expect(second).toHaveLength(1);
  expect(
    Y.decodeUpdate(second[0] as Uint8Array)
      .structs.map((s) => s.id.client)
      .sort(),
  ).toEqual([1, 2]);
  const replica = new Y.Doc();
  Y.applyUpdate(replica, before);
  Y.applyUpdate(replica, second[0] as Uint8Array);
  expect(replica.getText('t').toString()).toBe(server.getText('t').toString());
});

it('reports what integrated before an apply threw', () => {
  const writer = new Y.Doc();
  writer.clientID = 5;
  writer.getText('t').insert(0, 'ok');
  const good = Y.encodeStateAsUpdate(writer);
  const server = new Y.Doc();
  const reports: Uint8Array[] = [];
  const failing = new Error('storage listener failed');
  // A throwing observer stands in for any error half-way through the apply.
  server.getText('t').observe(() => {
    throw failing;
  });
  expect(() => applyUpdateReporting(server, good, 'test', (integrated) => reports.push(integrated))).toThrow(failing);
  expect(reports).toHaveLength(1);
  expect(textOf(reports[0] as Uint8Array)).toBe('ok');
});

it('replicas fed only the reports converge with the document, across random delivery orders', () => {
  const seed = testSeed('integrated-update');
  const random = createRandom(seed);
  for (let round = 0; round < 40; round++) {
    const writers = Array.from({ length: 3 }, (_, i) => {
      const doc = new Y.Doc();
      doc.clientID = 10 + i;
      return doc;
    });
    const sent: Uint8Array[] = [];
    for (let step = 0; step < 30; step++) {
      const writer = random.pick(writers);
      const other = random.pick(writers);
      // Writers sometimes sync, so updates depend on each other's.
      if (random.next() < 0.3) Y.applyUpdate(writer, Y.encodeStateAsUpdate(other));
      const text = writer.getText('t');
      const before = Y.encodeStateVector(writer);
      if (text.length > 0 && random.next() < 0.3) text.delete(random.int(text.length), 1);
      else text.insert(random.int(text.length + 1), String.fromCharCode(97 + random.int(26)));
      sent.push(Y.encodeStateAsUpdate(writer, before));
    }
    // The server gets them shuffled (so some wait for others); a replica gets only the reports.
    const order = sent.map((update) => ({ update, key: random.next() })).sort((x, y) => x.key - y.key);
    const server = new Y.Doc();
    const replica = new Y.Doc();
    for (const { update } of order) {
      for (const report of applyCollecting(server, update)) {
        // Nothing held back is ever reported: the replica integrates every report whole.
        Y.applyUpdate(replica, report);
        expect(replica.store.pendingStructs, `seed ${seed} round ${round}`).toBeNull();
        expect(replica.store.pendingDs, `seed ${seed} round ${round}`).toBeNull();
      }
    }
    expect(replica.getText('t').toString(), `seed ${seed} round ${round}`).toBe(server.getText('t').toString());
    expect(Y.encodeStateVector(replica)).toEqual(Y.encodeStateVector(server));
  }
});
