import { WeftError } from '@weft/protocol';
import * as Y from 'yjs';
import type { Logger } from './logger.ts';
import type { DocStorage } from './storage/doc-storage.ts';

/** When to fold the log into a new snapshot. */
export interface CompactionOptions {
  /** Compact once the log since the last snapshot holds this many bytes. */
  maxLogBytes: number;
  /** ... or this many records. */
  maxLogRecords: number;
}

export const compactionDefaults: CompactionOptions = { maxLogBytes: 4 * 1024 * 1024, maxLogRecords: 10_000 };

/**
 * Storage policy for one document: what gets appended, when to compact, and what "durable" means
 * for the acks. Adapters stay dumb; this is where the decisions live.
 */
export interface DocPersistence {
  /** Reads the stored document into `doc`, applied with `origin` so it is not written again. */
  load(origin: unknown): Promise<void>;
  /** Appends an update the document integrated. Failures surface through `whenDurable` and `onFailure`. */
  persist(update: Uint8Array): void;
  /**
   * Called after a peer's `update` was applied: if Yjs now holds back more (missing dependencies),
   * stores that update, so acks never cover data that is only in memory.
   */
  persistPending(update: Uint8Array): void;
  /** Roughly how big the stored document is: its last snapshot plus the log since (bytes). */
  readonly approximateBytes: number;
  /** Resolves once everything persisted so far is durable; rejects once any append has failed. */
  whenDurable(): Promise<void>;
  /** Waits for durability and compacts what the log holds (before unloading). */
  flush(): Promise<void>;
}

export interface DocPersistenceOptions {
  name: string;
  doc: Y.Doc;
  storage: DocStorage;
  logger: Logger;
  compaction: CompactionOptions;
  /** Called once, on the first failed append: the room must stop acknowledging and reload. */
  onFailure(error: WeftError): void;
}

export function createDocPersistence(options: DocPersistenceOptions): DocPersistence {
  const { name, doc, storage, logger, compaction } = options;
  let lastAppend: Promise<void> = Promise.resolve();
  let failure: WeftError | undefined;
  let logBytes = 0;
  let logRecords = 0;
  let snapshotBytes = 0;
  let compacting: Promise<void> | undefined;
  let seenPendingStructs: Uint8Array | undefined;
  let seenPendingDeletes: Uint8Array | undefined;

  const fail = (error: unknown) => {
    if (failure) return;
    failure =
      error instanceof WeftError
        ? error
        : new WeftError('storage-failed', `storage failed: ${error}`, { cause: error });
    options.onFailure(failure);
  };

  const compact = (): Promise<void> => {
    if (compacting) return compacting;
    logBytes = 0;
    logRecords = 0;
    // The snapshot is taken synchronously, so it holds every update appended before this call;
    // updates Yjs still holds back are folded in too (the old log holding them is deleted).
    const state = Y.encodeStateAsUpdate(doc);
    const held = [doc.store.pendingStructs?.update, doc.store.pendingDs ?? undefined].filter(
      (update): update is Uint8Array => update !== undefined,
    );
    const snapshot = held.length === 0 ? state : Y.mergeUpdates([state, ...held.map(Y.convertUpdateFormatV2ToV1)]);
    snapshotBytes = snapshot.length;
    compacting = storage
      .compact(name, snapshot)
      .then(
        () => logger.debug('compacted', { doc: name, bytes: snapshot.length }),
        // The log still holds everything, so a failed compaction only costs disk space and load time.
        (error: unknown) => logger.warn('compaction failed', { doc: name, error: String(error) }),
      )
      .finally(() => {
        compacting = undefined;
      });
    return compacting;
  };

  const append = (update: Uint8Array) => {
    if (failure) return;
    const appended = storage.append(name, update);
    appended.catch(fail);
    lastAppend = appended;
    logBytes += update.length;
    logRecords += 1;
    if (logBytes >= compaction.maxLogBytes || logRecords >= compaction.maxLogRecords) void compact();
  };

  return {
    async load(origin) {
      const stored = await storage.load(name);
      if (stored === undefined) return;
      Y.transact(
        doc,
        () => {
          if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot, origin);
          for (const update of stored.updates) Y.applyUpdate(doc, update, origin);
        },
        origin,
      );
      logRecords = stored.updates.length;
      logBytes = stored.updates.reduce((sum, update) => sum + update.length, 0);
      snapshotBytes = stored.snapshot?.length ?? 0;
      seenPendingStructs = doc.store.pendingStructs?.update;
      seenPendingDeletes = doc.store.pendingDs ?? undefined;
    },

    persist: append,

    persistPending(update) {
      // Yjs holds back updates whose dependencies are missing; they are reported only once they
      // integrate (integrated-update.ts). They are in the in-memory doc and would be acked, so store
      // them as well. The (validated) update that added to them is stored, not everything held:
      // rewriting all of it on each change grows quadratically. Replaying its already-integrated part
      // is harmless.
      const pendingStructs = doc.store.pendingStructs?.update;
      const pendingDeletes = doc.store.pendingDs ?? undefined;
      const changed =
        (pendingStructs !== undefined && pendingStructs !== seenPendingStructs) ||
        (pendingDeletes !== undefined && pendingDeletes !== seenPendingDeletes);
      if (changed) append(update.slice());
      seenPendingStructs = pendingStructs;
      seenPendingDeletes = pendingDeletes;
    },

    get approximateBytes() {
      return snapshotBytes + logBytes;
    },

    async whenDurable() {
      await lastAppend;
      // A later batch can succeed after an earlier one failed; never let it vouch for the lost one.
      if (failure) throw failure;
    },

    async flush() {
      await lastAppend.catch(() => undefined);
      if (failure) throw failure;
      await compacting;
      if (logRecords > 0) await compact();
    },
  };
}
