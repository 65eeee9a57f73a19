import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { StoredDoc } from '@weft/server';
import * as Y from 'yjs';

/** The name the trace document is stored under. */
export const TRACE_DOC_NAME = 'bench/automerge-paper';

/** A sequential editing trace (josephg/editing-traces format). */
export interface SequentialTrace {
  endContent: string;
  txns: { patches: [position: number, deleted: number, inserted: string][] }[];
}

/** The trace replayed into Yjs. */
export interface ReplayedTrace {
  edits: number;
  /** The final document (a Y.Text named `text`). */
  doc: Y.Doc;
  /** One Yjs update per trace transaction, as a server would have persisted them. */
  updates: Uint8Array[];
  replayMs: number;
  /** The trace it was replayed from. */
  source: SequentialTrace;
}

/** Reads a gzipped trace; undefined when the file is missing (the caller says why it skips). */
export async function loadTrace(path: string): Promise<SequentialTrace | undefined> {
  const gz = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return gz && (JSON.parse(gunzipSync(gz).toString('utf8')) as SequentialTrace);
}

/** Applies every transaction as one Yjs transaction, collecting the update each one emits. */
export function replayTrace(trace: SequentialTrace): ReplayedTrace {
  const start = performance.now();
  const doc = new Y.Doc();
  const text = doc.getText('text');
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  let edits = 0;
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [position, deleted, inserted] of txn.patches) {
        if (deleted > 0) text.delete(position, deleted);
        if (inserted.length > 0) text.insert(position, inserted);
        edits += 1;
      }
    });
  }
  // A wrong replay would make every number below meaningless, so check it.
  if (text.toString() !== trace.endContent) throw new Error('trace replay does not reproduce endContent');
  return { edits, doc, updates, replayMs: performance.now() - start, source: trace };
}

/** Applies what a storage returned the way the server does: snapshot, then updates, in one transaction. */
export function applyStored(stored: StoredDoc | undefined): Y.Doc {
  const doc = new Y.Doc();
  Y.transact(doc, () => {
    if (stored?.snapshot) Y.applyUpdate(doc, stored.snapshot);
    for (const update of stored?.updates ?? []) Y.applyUpdate(doc, update);
  });
  return doc;
}

/** A wrong load would make its timing meaningless, so every loaded doc is checked (outside the clock). */
export function checkLoaded(doc: Y.Doc, expected: string): void {
  if (doc.getText('text').toString() !== expected) throw new Error('load produced a different document');
}

/**
 * A document `copies` times the trace's size: the trace replayed `copies` times, each into its own
 * doc and root type (`text`, `text-1`, ...), then merged. One doc per copy keeps each copy's items
 * in contiguous clock runs, as a real document's are (interleaving them would bloat the encoding).
 * As slow as `copies` replays, so callers cache the result.
 */
export function scaledTraceState(trace: SequentialTrace, copies: number): Uint8Array {
  const states: Uint8Array[] = [];
  for (let copy = 0; copy < copies; copy++) {
    const doc = new Y.Doc();
    const text = doc.getText(copy === 0 ? 'text' : `text-${copy}`);
    for (const txn of trace.txns) {
      doc.transact(() => {
        for (const [position, deleted, inserted] of txn.patches) {
          if (deleted > 0) text.delete(position, deleted);
          if (inserted.length > 0) text.insert(position, inserted);
        }
      });
    }
    if (text.toString() !== trace.endContent) throw new Error('scaled replay is wrong');
    states.push(Y.encodeStateAsUpdate(doc));
  }
  return Y.mergeUpdates(states);
}
