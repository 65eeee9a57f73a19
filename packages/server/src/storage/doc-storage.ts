/** What a storage adapter holds for one document. */
export interface StoredDoc {
  /** The last compacted state (a Yjs update), if the document was ever compacted. */
  snapshot: Uint8Array | undefined;
  /** Updates appended after the snapshot, oldest first. */
  updates: Uint8Array[];
}

/**
 * The storage adapter interface: bytes in, bytes out, no Yjs types and no policy. Batching
 * thresholds and when to compact live in the persistence layer above (`doc-persistence.ts`).
 * Every adapter passes the contract suite in `tests/contracts/doc-storage.contract.ts`.
 *
 * @example
 * const stored = await storage.load('board/1')   // undefined for a document never written
 * await storage.append('board/1', update)        // resolves once the update is durable
 * await storage.compact('board/1', snapshot)     // snapshot replaces everything appended so far
 */
export interface DocStorage {
  /**
   * Reads a document. Resolves `undefined` when it was never written. Rejects with
   * `WeftError('document-corrupt')` when the stored data cannot be trusted; callers must then
   * refuse to serve the document rather than start it blank.
   */
  load(name: string): Promise<StoredDoc | undefined>;
  /**
   * Appends one update. Resolves only once the update would survive a crash of the process.
   * An empty update changes no Yjs document; adapters may skip it.
   */
  append(name: string, update: Uint8Array): Promise<void>;
  /**
   * Replaces the snapshot and every update appended before this call with `snapshot`, which must
   * contain all of them. Appends still in flight may also be kept after the new snapshot (replaying
   * a Yjs update twice is harmless); nothing appended after the call is dropped.
   */
  compact(name: string, snapshot: Uint8Array): Promise<void>;
  /** Deletes a document. */
  remove(name: string): Promise<void>;
  /** Names of all stored documents. */
  list(): Promise<string[]>;
  /** Flushes and releases what is held open for one document (its room unloaded). */
  release(name: string): Promise<void>;
  /** Flushes everything and releases the storage (files, locks). */
  close(): Promise<void>;
}
