import { decodeFrame } from '@weft/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createUpdateBatch, MERGE_FAN_IN, mergeInStages } from './update-batch.ts';

/** Two Y.Text inserts by different clients, as Yjs emits them. */
function twoUpdates(): Uint8Array[] {
  const emitted: Uint8Array[] = [];
  for (const text of ['a', 'b']) {
    const doc = new Y.Doc();
    doc.on('update', (update: Uint8Array) => emitted.push(update));
    doc.getText('t').insert(0, text);
  }
  return emitted;
}

function collect() {
  const sent: { frame: Uint8Array; except: string | undefined }[] = [];
  const batch = createUpdateBatch<string>((frame, except) => sent.push({ frame, except }));
  const applied = (frame: Uint8Array) => {
    const doc = new Y.Doc();
    for (const message of decodeFrame(frame)) if (message.kind === 'update') Y.applyUpdate(doc, message.update);
    return doc.getText('t').toString();
  };
  return { sent, batch, applied };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('update batch', () => {
  it('merges one turn of updates into one broadcast that skips their only sender', async () => {
    const { sent, batch, applied } = collect();
    const [first, second] = twoUpdates() as [Uint8Array, Uint8Array];
    batch.add(first, 'alice');
    batch.add(second, 'alice');
    expect(sent).toHaveLength(0);
    await nextTurn();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.except).toBe('alice');
    expect([...applied(sent[0]?.frame as Uint8Array)].sort().join('')).toBe('ab');
  });

  it('skips nobody when the updates came from different senders', async () => {
    const { sent, batch } = collect();
    const [first, second] = twoUpdates() as [Uint8Array, Uint8Array];
    batch.add(first, 'alice');
    batch.add(second, 'bob');
    await nextTurn();
    expect(sent.map((entry) => entry.except)).toEqual([undefined]);
  });

  it('flushes at once on request and sends nothing after cancel', async () => {
    const { sent, batch } = collect();
    const [first, second] = twoUpdates() as [Uint8Array, Uint8Array];
    batch.add(first, undefined);
    batch.flush();
    expect(sent).toHaveLength(1);
    batch.add(second, 'bob');
    batch.cancel();
    await nextTurn();
    expect(sent).toHaveLength(1);
  });

  it('merges a batch larger than one merge takes in stages, to what one merge of it all gives', () => {
    const writers = [1, 2, 3].map((client) => {
      const doc = new Y.Doc();
      doc.clientID = client;
      const emitted: Uint8Array[] = [];
      doc.on('update', (update: Uint8Array) => emitted.push(update));
      return { doc, emitted };
    });
    for (let i = 0; i < MERGE_FAN_IN * MERGE_FAN_IN + 2; i++) {
      const { doc } = writers[i % writers.length] as (typeof writers)[number];
      const text = doc.getText('t');
      if (i % 7 === 6) text.delete(0, 1);
      else text.insert(text.length, String.fromCharCode(97 + (i % 26)));
    }
    const interleaved = writers.flatMap(({ emitted }) => emitted.map((update, turn) => ({ update, turn })));
    const all = interleaved.sort((a, b) => a.turn - b.turn).map(({ update }) => update);
    for (const size of [1, 2, MERGE_FAN_IN, MERGE_FAN_IN + 1, all.length]) {
      const batch = all.slice(0, size);
      expect(Buffer.from(mergeInStages(batch)).equals(Buffer.from(Y.mergeUpdates(batch))), `size ${size}`).toBe(true);
    }
    const replica = new Y.Doc();
    Y.applyUpdate(replica, mergeInStages(all));
    const expected = new Y.Doc();
    for (const update of all) Y.applyUpdate(expected, update);
    expect(replica.getText('t').toString()).toBe(expected.getText('t').toString());
  });
});
