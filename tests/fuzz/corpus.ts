import {
  encodeAwareness,
  encodeDurableAck,
  encodeError,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Message,
} from '@weft/protocol';
import * as Y from 'yjs';
import { encodeAwarenessEntries as encodeAwarenessJson } from '../../packages/server/src/peer-input.ts';
import type { Random } from './mutations.ts';

/** A valid frame and the messages it must decode to. */
export interface ValidFrame {
  frame: Uint8Array;
  messages: Message[];
}

/** A Y.Doc whose client id comes from the seed, so runs replay exactly. */
export function seededDoc(random: Random): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 1 + random.int(2 ** 31 - 2);
  return doc;
}

const WORDS = ['weft', 'warp', 'loom', 'yarn', 'ü', '日本', '🧵', ' ', '\n'] as const;

/** Makes `count` random edits (text, formatting, map, array, nested types); returns each update Yjs emitted. */
export function recordEdits(random: Random, doc: Y.Doc, count: number): Uint8Array[] {
  const updates: Uint8Array[] = [];
  const record = (update: Uint8Array) => updates.push(update);
  doc.on('update', record);
  const text = doc.getText('shared');
  const map = doc.getMap('meta');
  const list = doc.getArray<unknown>('list');
  for (let edit = 0; edit < count; edit++) {
    const choice = random.int(6);
    if (choice <= 1 || text.length === 0) text.insert(random.int(text.length + 1), random.pick(WORDS));
    else if (choice === 2) text.delete(random.int(text.length), 1 + random.int(3));
    else if (choice === 3) text.format(random.int(text.length), 1 + random.int(3), { bold: random.next() < 0.5 });
    else if (choice === 4)
      map.set(`k${random.int(4)}`, random.next() < 0.5 ? random.int(1000) : { nested: [1, 'two'] });
    else if (random.next() < 0.5 || list.length === 0) list.push([random.int(100), new Y.Map()]);
    else list.delete(random.int(list.length), 1);
  }
  doc.off('update', record);
  return updates;
}

export interface AwarenessEntry {
  clientID: number;
  clock: number;
  state: unknown;
}

/** A y-protocols awareness update, written entry by entry (one update can carry several clients). */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  return encodeAwarenessJson(
    entries.map(({ clientID, clock, state }) => ({ clientID, clock, json: JSON.stringify(state) })),
  );
}

/** What y-websocket apps typically put in awareness: a user and a cursor, or null (left). */
export function randomAwarenessState(random: Random): unknown {
  if (random.next() < 0.15) return null;
  return {
    user: { name: `user-${random.int(100)}`, color: `#${random.int(0xffffff).toString(16).padStart(6, '0')}` },
    cursor: random.next() < 0.5 ? null : { anchor: random.int(50), head: random.int(50) },
  };
}

export function randomAwarenessEntries(random: Random, count: number): AwarenessEntry[] {
  return Array.from({ length: count }, () => ({
    clientID: 1 + random.int(2 ** 31 - 2),
    clock: 1 + random.int(20),
    state: randomAwarenessState(random),
  }));
}

/** Valid frames of every message type, with Yjs and awareness bodies made by the real libraries. */
export function createValidFrames(random: Random, count: number): ValidFrame[] {
  const frames: ValidFrame[] = [];
  const doc = seededDoc(random);
  const peer = seededDoc(random);
  while (frames.length < count) {
    const kind = random.int(9);
    if (kind <= 2) {
      for (const update of recordEdits(random, doc, 1 + random.int(3))) {
        if (kind === 0) frames.push({ frame: encodeUpdate(update), messages: [{ kind: 'update', update }] });
        else frames.push({ frame: encodeSyncStep2(update), messages: [{ kind: 'sync-step-2', update }] });
      }
      if (kind === 2) {
        // SyncStep2 as a server sends it: everything the peer is missing.
        const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(peer));
        Y.applyUpdate(peer, update);
        frames.push({ frame: encodeSyncStep2(update), messages: [{ kind: 'sync-step-2', update }] });
      }
    } else if (kind === 3) {
      const stateVector = Y.encodeStateVector(random.next() < 0.5 ? doc : peer);
      frames.push({ frame: encodeSyncStep1(stateVector), messages: [{ kind: 'sync-step-1', stateVector }] });
    } else if (kind <= 5) {
      const update = encodeAwarenessEntries(randomAwarenessEntries(random, 1 + random.int(3)));
      frames.push({ frame: encodeAwareness(update), messages: [{ kind: 'awareness', update }] });
    } else if (kind === 6) {
      frames.push({ frame: encodeQueryAwareness(), messages: [{ kind: 'query-awareness' }] });
    } else if (kind === 7) {
      const reason = random.pick(['', 'no access', 'token expired ⏰']);
      frames.push({ frame: encodePermissionDenied(reason), messages: [{ kind: 'permission-denied', reason }] });
    } else if (random.next() < 0.5) {
      const seq = random.int(2 ** 31);
      frames.push({ frame: encodeDurableAck(seq), messages: [{ kind: 'durable-ack', seq }] });
    } else {
      const code = random.pick([1011, 4400, 4404, 4413]);
      const reason = random.pick(['bad request', 'document is quarantined', '']);
      frames.push({ frame: encodeError(code, reason), messages: [{ kind: 'error', code, reason }] });
    }
  }
  return frames;
}
