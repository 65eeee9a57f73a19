import * as Y from 'yjs';

/**
 * Keeps copies of known items away from Yjs's held-back ("pending") updates.
 *
 * Yjs checks an item's dependencies before noticing it already has the item, so a copy of a known
 * item whose origin is missing is held back as pending. `Y.encodeStateAsUpdate` merges pending
 * data with the document's own, and a conflicting copy at a known ID then replaces the real item:
 * new clients' handshakes and compaction snapshots would lose content everyone had. So the room
 * applies only structs it does not have, and drops held-back structs it has since integrated.
 */

/** True when the update carries structs (or parts of them) that `doc` already has. */
function overlapsKnownStructs(doc: Y.Doc, structs: ReadonlyArray<{ id: Y.ID }>): boolean {
  return structs.some((struct) => struct.id.clock < Y.getState(doc.store, struct.id.client));
}

/** `update` without the structs `doc` already has (its deletions are kept whole). */
export function withoutKnownStructs(doc: Y.Doc, update: Uint8Array, structs: ReadonlyArray<{ id: Y.ID }>): Uint8Array {
  return overlapsKnownStructs(doc, structs) ? Y.diffUpdate(update, Y.encodeStateVector(doc)) : update;
}

/** Drops held-back structs whose IDs the document has integrated in the meantime. */
export function trimHeldBackStructs(doc: Y.Doc): void {
  const pending = doc.store.pendingStructs;
  if (pending === null) return;
  const trimmed = Y.diffUpdateV2(pending.update, Y.encodeStateVector(doc));
  if (Y.decodeUpdateV2(trimmed).structs.length === 0) doc.store.pendingStructs = null;
  else pending.update = trimmed;
}
