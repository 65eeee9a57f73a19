import { decodeFrame } from '@weft/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { createSyncAnswers } from './sync-answers.ts';

/** The update inside a SyncStep2 frame. */
function updateOf(frame: Uint8Array): Uint8Array {
  const [message] = decodeFrame(frame);
  if (message?.kind !== 'sync-step-2') throw new Error(`expected sync-step-2, got ${message?.kind}`);
  return message.update;
}

/** What a client with `stateVector` must receive: Yjs's own answer, encoded now. */
const expected = (doc: Y.Doc, stateVector: Uint8Array) => Y.encodeStateAsUpdate(doc, stateVector);

describe('sync answers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers the same state vector with the same frame while the document is unchanged', () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'hello');
    const answers = createSyncAnswers(doc);
    const empty = Y.encodeStateVector(new Y.Doc());
    const first = answers.answer(empty);
    expect(answers.answer(new Uint8Array(empty))).toBe(first);
    expect(updateOf(first)).toEqual(expected(doc, empty));

    const partial = Y.encodeStateVector(doc);
    doc.getText('t').insert(5, ' world');
    expect(updateOf(answers.answer(partial))).toEqual(expected(doc, partial));
  });

  it('drops every answer when a transaction changes the document or what Yjs holds back', () => {
    const doc = new Y.Doc();
    const answers = createSyncAnswers(doc);
    const empty = Y.encodeStateVector(new Y.Doc());
    const before = answers.answer(empty);

    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on('update', (update: Uint8Array) => updates.push(update));
    source.getText('t').insert(0, 'a');
    source.getText('t').insert(1, 'b');
    // Only the second update: Yjs holds it back (its origin is missing), yet the answer includes it.
    Y.applyUpdate(doc, updates[1] as Uint8Array);
    const held = answers.answer(empty);
    expect(held).not.toBe(before);
    expect(updateOf(held)).toEqual(expected(doc, empty));

    Y.applyUpdate(doc, updates[0] as Uint8Array);
    const complete = answers.answer(empty);
    expect(complete).not.toBe(held);
    const reader = new Y.Doc();
    Y.applyUpdate(reader, updateOf(complete));
    expect(reader.getText('t').toString()).toBe('ab');
  });

  it('keeps answers for at most ttlMs and at most maxEntries state vectors', () => {
    vi.useFakeTimers();
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'x');
    const answers = createSyncAnswers(doc, { maxEntries: 1, ttlMs: 100 });
    const empty = Y.encodeStateVector(new Y.Doc());
    const other = Y.encodeStateVector(doc);
    const first = answers.answer(empty);
    // Over the cap: answered, not kept.
    expect(answers.answer(other)).not.toBe(answers.answer(other));
    expect(answers.answer(empty)).toBe(first);
    vi.advanceTimersByTime(100);
    expect(answers.answer(empty)).not.toBe(first);
  });
});
