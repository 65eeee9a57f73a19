import { encodeSyncStep2 } from '@weft/protocol';
import * as Y from 'yjs';

/**
 * The server's answers to SyncStep1 (a SyncStep2 frame holding what the asker lacks), reused while
 * the document is unchanged.
 *
 * In a join storm (a deploy restarting the server, a link shared in a meeting) many clients ask
 * with the same state vector, most often the empty one, and each answer is an encode of the whole
 * document. Reusing the frame turns N encodes into one and sends the same bytes to every asker.
 * Answers are dropped by any transaction on the document and after `ttlMs`, so the extra copy of
 * a large document is not kept once the storm is over.
 */
export interface SyncAnswers {
  /** The SyncStep2 frame for a client whose state vector is `stateVector`. */
  answer(stateVector: Uint8Array): Uint8Array;
  /** Drops every kept answer (the room is being destroyed). */
  clear(): void;
}

export interface SyncAnswerOptions {
  /** Most distinct state vectors answered from memory at once. */
  maxEntries: number;
  /** How long an answer is kept at most, in ms. */
  ttlMs: number;
}

export const syncAnswerDefaults: SyncAnswerOptions = { maxEntries: 4, ttlMs: 5_000 };

export function createSyncAnswers(doc: Y.Doc, options: SyncAnswerOptions = syncAnswerDefaults): SyncAnswers {
  const answers = new Map<string, Uint8Array>();
  let expiry: NodeJS.Timeout | undefined;

  const clear = () => {
    answers.clear();
    if (expiry !== undefined) clearTimeout(expiry);
    expiry = undefined;
  };
  // Every change to the document (and to what Yjs holds back) happens inside a transaction.
  doc.on('afterTransaction', () => {
    if (answers.size > 0) clear();
  });

  return {
    answer(stateVector) {
      const key = Buffer.from(stateVector.buffer, stateVector.byteOffset, stateVector.byteLength).toString('latin1');
      const kept = answers.get(key);
      if (kept !== undefined) return kept;
      const frame = encodeSyncStep2(Y.encodeStateAsUpdate(doc, stateVector));
      // A Buffer view, so ws sends it to every asker without wrapping it again.
      const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      if (answers.size < options.maxEntries) {
        answers.set(key, bytes);
        expiry ??= setTimeout(clear, options.ttlMs).unref();
      }
      return bytes;
    },
    clear,
  };
}
