import { WeftError } from '@weft/protocol';
import * as Y from 'yjs';

/** Where a provider keeps its document on the device. */
export interface LocalPersistence {
  /**
   * Applies everything stored to `doc` and, if it was more than one record, replaces them with one
   * snapshot, in a single transaction (another tab appending meanwhile loses nothing). Returns
   * how many stored edits were not yet durable on the server: the sum of every tab's count. This
   * tab takes them over: its own count includes them from then on.
   */
  load(doc: Y.Doc, origin: unknown): Promise<{ unsaved: number }>;
  /** Appends an update, and this tab's new unsaved count if given, in one transaction. */
  append(update: Uint8Array, unsaved?: number): void;
  /** Records how many edits this tab has not seen durable on the server yet. */
  setUnsaved(unsaved: number): void;
  /** Folds every record into one snapshot of `doc` (called after many appends). */
  compact(doc: Y.Doc, origin: unknown): Promise<void>;
  /** Appends since the last load or compaction. */
  readonly appendsSinceCompaction: number;
  close(): void;
}

export interface IndexedDbPersistenceOptions {
  indexedDB: IDBFactory;
  databaseName: string;
  /** Called once, when the database fails (quota, closed by the browser, deleted); writes stop. */
  onError(error: WeftError): void;
}

const UPDATES = 'updates';
const META = 'meta';
// Each tab (each persistence) writes its own count, `unsaved:<random id>`, so one tab's saves never
// overwrite another's unsaved edits; plain `unsaved` is the single key of earlier versions. A page
// load sums them all and takes them over: its first write of its own count deletes the ones it
// summed, unless their tab has rewritten them since (then both count those edits until saved).
const UNSAVED_KEY = 'unsaved';
const isUnsavedKey = (key: IDBValidKey) => key === UNSAVED_KEY || String(key).startsWith(`${UNSAVED_KEY}:`);
/** A tab's count, numbered per write so a count that went away and came back reads as changed. */
interface StoredCount {
  count: number;
  write: number;
}
const countOf = (value: unknown): number | undefined => {
  const count = typeof value === 'number' ? value : (value as StoredCount | undefined)?.count;
  return typeof count === 'number' ? count : undefined;
};
const sameStoredCount = (a: unknown, b: unknown) =>
  a === b || (countOf(a) === countOf(b) && (a as StoredCount)?.write === (b as StoredCount)?.write);

const requestResult = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const transactionDone = (transaction: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(transaction.error ?? new Error('transaction aborted'));
    transaction.onerror = () => reject(transaction.error);
  });

/**
 * IndexedDB persistence: an object store of Yjs updates (auto-incremented keys) and a small meta
 * store. Written here rather than taken from y-indexeddb, which appends the whole document on
 * every load (the database grows with each reload) and leaves storage errors unhandled.
 */
export async function createIndexedDbPersistence(options: IndexedDbPersistenceOptions): Promise<LocalPersistence> {
  const openRequest = options.indexedDB.open(options.databaseName, 1);
  openRequest.onupgradeneeded = () => {
    const db = openRequest.result;
    if (!db.objectStoreNames.contains(UPDATES)) db.createObjectStore(UPDATES, { autoIncrement: true });
    if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
  };
  const db = await requestResult(openRequest).catch((cause: unknown) => {
    throw new WeftError('persistence-failed', `could not open IndexedDB "${options.databaseName}"`, { cause });
  });
  let failed = false;
  let appends = 0;
  const ownUnsavedKey = `${UNSAVED_KEY}:${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  let countWrites = 0;
  let loadedCounts: Array<[IDBValidKey, unknown]> = [];

  /** Writes this tab's count; the first time, also drops the counts `load` took over. */
  const putOwnCount = (transaction: IDBTransaction, unsaved: number) => {
    const meta = transaction.objectStore(META);
    meta.put({ count: unsaved, write: ++countWrites } satisfies StoredCount, ownUnsavedKey);
    for (const [key, loaded] of loadedCounts) {
      const current = meta.get(key);
      current.onsuccess = () => {
        if (sameStoredCount(current.result, loaded)) meta.delete(key);
      };
    }
    loadedCounts = [];
  };

  const fail = (what: string, cause: unknown) => {
    if (failed) return;
    failed = true;
    const detail = cause instanceof Error || cause instanceof DOMException ? `${cause.name}: ${cause.message}` : '';
    try {
      db.close();
    } catch {
      // Already closed by the browser; nothing left to release.
    }
    options.onError(
      new WeftError('persistence-failed', `${what}; edits continue in memory only ${detail && `(${detail})`}`, {
        cause,
      }),
    );
  };
  // The browser closes the database when it is deleted or cleared; another tab upgrading it sends
  // versionchange, and holding on would block that tab.
  db.onclose = () => fail('the browser closed the local database', undefined);
  db.onversionchange = () => fail('the local database is being deleted or upgraded elsewhere', undefined);

  const write = (what: string, fill: (transaction: IDBTransaction) => void): Promise<void> => {
    if (failed) return Promise.resolve();
    try {
      const transaction = db.transaction([UPDATES, META], 'readwrite');
      fill(transaction);
      return transactionDone(transaction).catch((cause: unknown) => fail(what, cause));
    } catch (cause) {
      fail(what, cause);
      return Promise.resolve();
    }
  };

  const replaceWithSnapshot = (doc: Y.Doc, origin: unknown, readCounts = false) =>
    write('could not compact the local database', (transaction) => {
      const updates = transaction.objectStore(UPDATES);
      const keysRequest = updates.getAllKeys();
      const valuesRequest = updates.getAll();
      if (readCounts) {
        const meta = transaction.objectStore(META);
        const metaKeys = meta.getAllKeys();
        const metaValues = meta.getAll();
        metaValues.onsuccess = () => {
          loadedCounts = metaKeys.result
            .map((key, index): [IDBValidKey, unknown] => [key, metaValues.result[index]])
            .filter(([key, value]) => key !== ownUnsavedKey && isUnsavedKey(key) && countOf(value) !== undefined);
        };
      }
      // Read, apply and rewrite inside one transaction: the callbacks keep it alive.
      valuesRequest.onsuccess = () => {
        const keys = keysRequest.result;
        const values = valuesRequest.result as Uint8Array[];
        if (values.length > 0) {
          Y.transact(
            doc,
            () => {
              for (const update of values) Y.applyUpdate(doc, update);
            },
            origin,
          );
        }
        appends = 0;
        if (values.length <= 1) return;
        // Key by key rather than with IDBKeyRange, which is a global Node lacks.
        for (const key of keys) updates.delete(key);
        updates.add(Y.encodeStateAsUpdate(doc));
      };
    });

  return {
    async load(doc, origin) {
      await replaceWithSnapshot(doc, origin, true);
      return { unsaved: loadedCounts.reduce((sum, [, value]) => sum + (countOf(value) ?? 0), 0) };
    },
    append(update, unsaved) {
      appends += 1;
      void write('could not save an edit locally', (transaction) => {
        transaction.objectStore(UPDATES).add(update);
        if (unsaved !== undefined) putOwnCount(transaction, unsaved);
      });
    },
    setUnsaved(unsaved) {
      void write('could not save the unsaved-changes count', (transaction) => putOwnCount(transaction, unsaved));
    },
    compact: (doc, origin) => replaceWithSnapshot(doc, origin),
    get appendsSinceCompaction() {
      return appends;
    },
    close() {
      failed = true;
      db.close();
    },
  };
}
