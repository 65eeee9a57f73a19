import { isWeftError } from '@weft/protocol';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { loadTestRoom } from '../../../tests/helpers/load-test-room.ts';
import { assertOriginsInOrder, MAX_ORIGIN_WALK } from './origin-order.ts';
import type { RoomPeer } from './room.ts';
import { createMemoryStorage } from './storage/memory-storage.ts';

const BASE_CLIENT = 1;

/** "abcd" typed by one client: items 1:0 … 1:3 are one Yjs item. */
function base(): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = BASE_CLIENT;
  doc.getText('t').insert(0, 'abcd');
  return Y.encodeStateAsUpdate(doc);
}

/** What `client` sends after typing `text` at `index` of the base document. */
function typed(baseUpdate: Uint8Array, client: number, index: number, text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = client;
  Y.applyUpdate(doc, baseUpdate);
  const before = Y.encodeStateVector(doc);
  doc.getText('t').insert(index, text);
  return Y.encodeStateAsUpdate(doc, before);
}

type Ref = [client: number, clock: number];

/** A v1 update with string items from `client`:`clock` on, with the given origins, as no Yjs client would write it. */
function craftedItems(client: number, clock: number, items: { origin: Ref; right: Ref; text: string }[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1); // one client
  encoding.writeVarUint(encoder, items.length);
  encoding.writeVarUint(encoder, client);
  encoding.writeVarUint(encoder, clock);
  for (const { origin, right, text } of items) {
    encoding.writeUint8(encoder, 0x80 | 0x40 | 4); // has origin, has right origin, string content
    for (const [refClient, refClock] of [origin, right]) {
      encoding.writeVarUint(encoder, refClient);
      encoding.writeVarUint(encoder, refClock);
    }
    encoding.writeVarString(encoder, text);
  }
  encoding.writeVarUint(encoder, 0); // empty delete set
  return encoding.toUint8Array(encoder);
}

const crafted = (client: number, origin: Ref, right: Ref, text: string, clock = 0) =>
  craftedItems(client, clock, [{ origin, right, text }]);

const check = (doc: Y.Doc, update: Uint8Array) => assertOriginsInOrder(doc, Y.decodeUpdate(update).structs);

function refusal(doc: Y.Doc, update: Uint8Array): string {
  try {
    check(doc, update);
  } catch (error) {
    if (isWeftError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

const textAfter = (updates: Uint8Array[]) => {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  return doc.getText('t').toString();
};

describe('origin order', () => {
  const baseUpdate = base();
  // 'a' 'b' 'c' 'd' are 1:0 … 1:3.
  const backwards = crafted(9, [BASE_CLIENT, 2], [BASE_CLIENT, 0], 'X'); // after 'c', before 'a'
  const skipsB = crafted(3, [BASE_CLIENT, 0], [BASE_CLIENT, 2], 'P'); // between 'a' and 'c', as if 'b' were unknown
  const skipsC = crafted(13, [BASE_CLIENT, 1], [BASE_CLIENT, 3], 'Q'); // between 'b' and 'd', as if 'c' were unknown

  it('without the check, crafted origins make the text depend on arrival order (the bug)', () => {
    const honest = typed(baseUpdate, 2, 1, 'H');
    expect(textAfter([baseUpdate, honest, skipsB, skipsC])).not.toBe(textAfter([baseUpdate, skipsC, skipsB, honest]));
  });

  it('refuses a right origin before the origin, in the same item or in another', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, baseUpdate);
    expect(refusal(doc, backwards)).toBe(
      'malformed-message: malformed update: item 9:0 (origin 1:2, right origin 1:0) could not have been typed between them',
    );
    expect(refusal(doc, crafted(9, [BASE_CLIENT, 1], [BASE_CLIENT, 1], 'X'))).toMatch(/^malformed-message/);
    // Split 'abcd' into items, so the origins sit in different ones.
    Y.applyUpdate(doc, typed(baseUpdate, 3, 1, 'Y'));
    Y.applyUpdate(doc, typed(baseUpdate, 4, 3, 'Z'));
    expect(refusal(doc, backwards)).toMatch(/^malformed-message: .* could not have been typed between them$/);
  });

  it('refuses origins with content between them that their creator knew', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, baseUpdate);
    expect(refusal(doc, skipsB)).toMatch(/^malformed-message/); // within one item
    Y.applyUpdate(doc, typed(baseUpdate, 5, 2, 'S')); // 'ab' 'S' 'cd': now in separate items
    expect(refusal(doc, skipsB)).toMatch(/^malformed-message/); // 'b' is the left item's tail
    expect(refusal(doc, crafted(3, [BASE_CLIENT, 0], [BASE_CLIENT, 3], 'P'))).toMatch(/^malformed-message/); // 'c' heads the right item
    expect(refusal(doc, crafted(3, [5, 0], [BASE_CLIENT, 3], 'P'))).toMatch(/^malformed-message/); // 'c' between the items
    // 'ab' 'S' 'cd': 'S' is 5:0. Client 6 may not have known it; client 5 did.
    expect(refusal(doc, crafted(6, [BASE_CLIENT, 1], [BASE_CLIENT, 2], 'P'))).toBe('accepted');
    expect(refusal(doc, crafted(5, [BASE_CLIENT, 1], [BASE_CLIENT, 2], 'P', 1))).toMatch(/^malformed-message/);
  });

  it('refuses origins in one run of the same update that are not neighbours', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, baseUpdate);
    const withSecond = (origin: Ref, right: Ref) =>
      craftedItems(9, 0, [
        { origin: [BASE_CLIENT, 2], right: [BASE_CLIENT, 3], text: 'AB' }, // 9:0 and 9:1, between 'c' and 'd'
        { origin, right, text: 'X' }, // 9:2
      ]);
    expect(refusal(doc, withSecond([9, 0], [9, 1]))).toBe('accepted');
    expect(refusal(doc, withSecond([9, 1], [9, 0]))).toMatch(
      /^malformed-message: .*item 9:2 \(origin 9:1, right origin 9:0\)/,
    );
    expect(refusal(doc, withSecond([9, 0], [9, 0]))).toMatch(/^malformed-message/);
    // 9:2's origin 9:1 is new too, but lands after 'c' (9:1 follows 9:0, whose origin is 'c'): not before 'b'.
    expect(refusal(doc, withSecond([9, 1], [BASE_CLIENT, 3]))).toBe('accepted');
    expect(refusal(doc, withSecond([9, 1], [BASE_CLIENT, 1]))).toMatch(
      /^malformed-message: .*item 9:2 \(origin 9:1, right origin 1:1\)/,
    );
    // Client 4 is unknown: its item could be anywhere, but not on both sides.
    expect(refusal(doc, crafted(9, [4, 0], [4, 0], 'X'))).toMatch(/^malformed-message/);
    expect(refusal(doc, crafted(9, [4, 0], [4, 1], 'X'))).toBe('accepted');
  });

  it('refuses a right origin in another type', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, baseUpdate);
    const other = new Y.Doc();
    other.clientID = 5;
    other.getText('elsewhere').insert(0, 'zz');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
    expect(refusal(doc, crafted(9, [BASE_CLIENT, 1], [5, 0], 'X'))).toMatch(/^malformed-message/);
  });

  it('accepts honest inserts, with concurrent items between the origins', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, baseUpdate);
    for (const client of [2, 3, 4, 5, 6]) {
      const update = typed(baseUpdate, client, 2, `<${client}>`);
      expect(refusal(doc, update)).toBe('accepted');
      Y.applyUpdate(doc, update);
    }
    expect(refusal(doc, typed(baseUpdate, 7, 2, 'late'))).toBe('accepted');
    expect(refusal(doc, typed(baseUpdate, 8, 4, 'end'))).toBe('accepted');
  });

  it('refuses, as a limit, origins further apart than the walk may go', () => {
    const doc = new Y.Doc();
    doc.clientID = 2;
    Y.applyUpdate(doc, baseUpdate);
    const text = doc.getText('t');
    // Each character typed in front of the previous one is its own item (Yjs merges only rightward typing).
    doc.transact(() => {
      for (let index = 0; index <= MAX_ORIGIN_WALK; index++) text.insert(1, 'x');
    });
    expect(refusal(doc, crafted(9, [BASE_CLIENT, 0], [BASE_CLIENT, 1], 'X'))).toMatch(/^limit-exceeded: .* more than/);
  });

  it('the room checks a struct it partly has from its first new character, as Yjs integrates it', async () => {
    const room = await loadTestRoom('origins', createMemoryStorage());
    const peer: RoomPeer = { sendShared() {}, awarenessIds: new Set(), access: 'write', live: true };
    room.join(peer);
    room.applyPeerUpdate(peer, baseUpdate);
    room.applyPeerUpdate(peer, crafted(9, [BASE_CLIENT, 2], [BASE_CLIENT, 3], 'A')); // 9:0, between 'c' and 'd'
    // 9:0 again (known) and 9:1: Yjs integrates 9:1 with origin 9:0 and right origin 'a', before it.
    expect(() => room.applyPeerUpdate(peer, crafted(9, [BASE_CLIENT, 2], [BASE_CLIENT, 0], 'AB'))).toThrow(
      /item 9:1 \(origin 9:0, right origin 1:0\) could not have been typed between them/,
    );
    expect(room.doc.getText('t').toString()).toBe('abcAd');
    room.destroy();
  });
});
