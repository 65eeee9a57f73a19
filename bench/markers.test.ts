import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMarkerWriter, markerText, scanMarkers } from './markers.ts';

const found = (frame: Uint8Array) => {
  const ids: number[] = [];
  scanMarkers(Buffer.from(frame), (id) => ids.push(id));
  return ids;
};

describe('latency markers', () => {
  it('finds each marker in the update its writer sent', () => {
    const write = createMarkerWriter();
    expect(found(write(1))).toEqual([1]);
    expect(found(write(2))).toEqual([2]);
    expect(found(write(123_456_789))).toEqual([123_456_789]);
  });

  it('writes the update a Y.Doc emits for appending each marker to its text, byte for byte', () => {
    const doc = new Y.Doc();
    const text = doc.getText('text');
    const emitted: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => void emitted.push(update));
    const write = createMarkerWriter(doc.clientID);
    for (const id of [1, 2, 3, 999_999_999, 4]) {
      text.insert(text.length, markerText(id));
      expect(write(id)).toEqual(emitted.at(-1));
    }
    const reader = new Y.Doc();
    for (const update of emitted) Y.applyUpdate(reader, update);
    expect(reader.getText('text').toString()).toBe(text.toString());
  });

  it('finds every marker once servers merged or re-encoded the updates (as Weft and the peers relay them)', () => {
    const first = createMarkerWriter();
    const second = createMarkerWriter();
    const updates = [first(1), second(2), first(3), second(4)];
    expect(found(Y.mergeUpdates(updates)).sort()).toEqual([1, 2, 3, 4]);
    const server = new Y.Doc();
    for (const update of updates) Y.applyUpdate(server, update);
    expect(found(Y.encodeStateAsUpdate(server)).sort()).toEqual([1, 2, 3, 4]);
  });

  it('ignores a prefix without nine digits behind it, also at the end of a frame', () => {
    expect(found(Buffer.from(`MK12 MKMK${markerText(7)} ${markerText(8).slice(0, 8)}`))).toEqual([7]);
  });
});
