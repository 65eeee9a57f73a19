import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import * as Y from 'yjs';
import { loadTestRoom } from '../../../tests/helpers/load-test-room.ts';
import { createTempDir } from '../../../tests/helpers/temp-dir.ts';
import type { RoomPeer } from './room.ts';
import type { DocStorage } from './storage/doc-storage.ts';
import { createFileStorage } from './storage/file-storage.ts';

let dir: { path: string; remove(): Promise<void> };
let storage: DocStorage;

beforeEach(async () => {
  dir = await createTempDir();
  storage = await createFileStorage({ directory: dir.path });
});
afterEach(async () => {
  await storage.close();
  await dir.remove();
});

/** Bytes in every file under the data directory, read synchronously so a callback sees its own moment. */
function storedBytes(): number {
  const entries = readdirSync(dir.path, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

function typedBy(client: number, text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = client;
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

it("broadcasts a peer's update before the log write starts, and writes it after", async () => {
  const room = await loadTestRoom('order', storage);
  const writer: RoomPeer = { sendShared() {}, awarenessIds: new Set(), access: 'write', live: true };
  // What the data directory held at the moment each broadcast went out.
  const heldAtBroadcast: number[] = [];
  const reader: RoomPeer = {
    sendShared: () => void heldAtBroadcast.push(storedBytes()),
    awarenessIds: new Set(),
    access: 'write',
    live: true,
  };
  room.join(writer);
  room.join(reader);
  // The first update opens the log; from then on a batch is written in the turn it is committed.
  room.applyPeerUpdate(writer, typedBy(7, 'a'));
  await room.persistence.whenDurable();
  const before = storedBytes();
  heldAtBroadcast.length = 0;

  room.applyPeerUpdate(writer, typedBy(8, 'b'));
  await room.persistence.whenDurable();

  expect(heldAtBroadcast).toHaveLength(1);
  expect(heldAtBroadcast[0]).toBe(before);
  expect(storedBytes()).toBeGreaterThan(before);
  room.destroy();
});
