import * as Y from 'yjs';

/**
 * Applies `update` to `doc` and reports what it integrated as one update, the way Yjs's own
 * `'update'` event would (nothing when nothing changed), without that event's cost on the common
 * path.
 *
 * Why not the event: Yjs encodes it after merging the new characters into the item to their left,
 * and slicing them back out of that item's string copies the whole string. A client typing at the
 * end of a long run of its own text costs the server O(length of the run) per keystroke
 * (bench/fixes.md fix 11). So:
 * - with nothing held back before or after, everything `update` carries was integrated, and it is
 *   reported as it is (the caller has cut off the structs the document already had);
 * - with held-back data before, the update may integrate some of it too: Yjs's event says exactly
 *   what, so it is listened to for this one apply;
 * - when part of `update` is held back now, or the apply throws half-way, what the transaction added
 *   is encoded from the document (its deletions as the whole delete set, a superset).
 *
 * @example
 * applyUpdateReporting(doc, update, origin, (integrated) => broadcast(integrated))
 */
export function applyUpdateReporting<Origin>(
  doc: Y.Doc,
  update: Uint8Array,
  origin: Origin,
  report: (integrated: Uint8Array) => void,
): void {
  const store = doc.store;
  if (store.pendingStructs !== null || store.pendingDs !== null) {
    doc.on('update', report);
    try {
      Y.applyUpdate(doc, update, origin);
    } finally {
      doc.off('update', report);
    }
    return;
  }
  let transaction: Y.Transaction | undefined;
  let whole = false;
  try {
    // Yjs's applyUpdate joins this transaction (local = false, as its own would be).
    Y.transact(
      doc,
      (current) => {
        transaction = current;
        Y.applyUpdate(doc, update, origin);
      },
      origin,
      false,
    );
    whole = store.pendingStructs === null && store.pendingDs === null;
  } finally {
    if (transaction !== undefined && changed(transaction)) {
      report(whole ? update : addedSince(doc, transaction.beforeState));
    }
  }
}

/** Whether a transaction integrated or deleted anything (Yjs emits no update otherwise). */
function changed(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of transaction.afterState) {
    if (transaction.beforeState.get(client) !== clock) return true;
  }
  return false;
}

/** Every struct `doc` integrated since `before`, and its delete set, without held-back data. */
function addedSince(doc: Y.Doc, before: Map<number, number>): Uint8Array {
  const store = doc.store;
  const { pendingStructs, pendingDs } = store;
  // encodeStateAsUpdate merges held-back data in; none of it was integrated.
  store.pendingStructs = null;
  store.pendingDs = null;
  try {
    return Y.encodeStateAsUpdate(doc, Y.encodeStateVector(before));
  } finally {
    store.pendingStructs = pendingStructs;
    store.pendingDs = pendingDs;
  }
}
