import { CloseCode, WeftError } from '@weft/protocol';
import type { Connection } from './connection.ts';
import type { CompactionOptions } from './doc-persistence.ts';
import type { Logger } from './logger.ts';
import { loadRoom, type Room, type RoomLimits } from './room.ts';
import type { DocStorage } from './storage/doc-storage.ts';

/** The loaded rooms of a server: single-flight loads, idle unloads, flush on shutdown. */
export interface RoomRegistry {
  /** Loads the room if needed (one load however many ask at once) and joins the connection. */
  join(name: string, connection: Connection): Promise<Room<Connection>>;
  /** Leaves the room; the last one out starts the idle-unload timer. */
  leave(room: Room<Connection>, connection: Connection): void;
  /** Number of loaded rooms. */
  readonly size: number;
  /** Flushes and unloads every room. */
  closeAll(): Promise<void>;
}

export interface RoomRegistryOptions {
  storage: DocStorage;
  logger: Logger;
  compaction: CompactionOptions;
  limits: RoomLimits;
  idleUnloadMs: number;
  /** Most documents loaded at once; past it the least recently used idle one unloads (after its flush). */
  maxLoadedDocuments: number;
}

interface Entry {
  loading: Promise<Room<Connection>>;
  /** The loaded room, once loaded. A room no longer in its entry is stale and must not touch it. */
  room: Room<Connection> | undefined;
  /** Set while the room flushes before leaving the registry; joins wait for it, then reload. */
  unloading: Promise<void> | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

export function createRoomRegistry(options: RoomRegistryOptions): RoomRegistry {
  const { storage, logger } = options;
  const entries = new Map<string, Entry>();
  let closing = false;

  const unload = (name: string, entry: Entry, room: Room<Connection>, flush: boolean): Promise<void> => {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    entry.unloading ??= (async () => {
      try {
        if (flush) await room.persistence.flush();
      } catch (error) {
        logger.error('final flush failed; clients still hold their unacknowledged edits', {
          doc: name,
          error: String(error),
        });
      }
      await storage.release(name).catch((error: unknown) => logger.warn('release failed', { doc: name, error }));
      room.destroy();
      // The entry leaves the registry only after its final flush resolved (and only if it is still ours).
      if (entries.get(name) === entry) entries.delete(name);
      logger.debug('room unloaded', { doc: name });
    })();
    return entry.unloading;
  };

  // Map order is recency order: an entry is moved to the end whenever someone joins or leaves it.
  const touch = (name: string, entry: Entry) => {
    if (entries.get(name) !== entry) return;
    entries.delete(name);
    entries.set(name, entry);
  };

  /** Makes room for one more document: unloads the least recently used idle one, or refuses. */
  const evictFor = (name: string) => {
    let loaded = 0;
    let idle: [string, Entry, Room<Connection>] | undefined;
    for (const [otherName, entry] of entries) {
      if (entry.unloading) continue;
      loaded += 1;
      if (idle === undefined && entry.room !== undefined && entry.room.peers.size === 0) {
        idle = [otherName, entry, entry.room];
      }
    }
    if (loaded < options.maxLoadedDocuments) return;
    if (idle === undefined) {
      throw new WeftError('too-many-documents', `${loaded} documents are loaded and in use; try again later`);
    }
    logger.debug('unloading the least recently used document', { doc: idle[0], for: name });
    void unload(idle[0], idle[1], idle[2], true);
  };

  const onStorageFailure = (room: Room<Connection>, error: WeftError) => {
    logger.error('storage failed; closing the document so clients resend their edits', {
      doc: room.name,
      error: error.message,
    });
    const entry = entries.get(room.name);
    for (const peer of room.peers) peer.close(CloseCode.internalError, 'storage unavailable, retry later');
    if (entry?.room === room) void unload(room.name, entry, room, false);
  };

  return {
    async join(name, connection) {
      for (;;) {
        // After shutdown began, a join must not load a document again behind the final flush.
        if (closing) throw new WeftError('server-closed', 'server is shutting down');
        let entry = entries.get(name);
        if (entry === undefined) {
          evictFor(name);
          const created: Entry = {
            loading: loadRoom<Connection>({
              name,
              storage,
              logger,
              compaction: options.compaction,
              limits: options.limits,
              onStorageFailure,
            }),
            room: undefined,
            unloading: undefined,
            idleTimer: undefined,
          };
          entries.set(name, created);
          created.loading.then(
            (loaded) => {
              created.room = loaded;
            },
            () => {
              if (entries.get(name) === created) entries.delete(name);
            },
          );
          entry = created;
        }
        if (entry.unloading) {
          await entry.unloading;
          continue;
        }
        const room = await entry.loading;
        if (entry.unloading) continue;
        clearTimeout(entry.idleTimer);
        entry.idleTimer = undefined;
        room.join(connection);
        touch(name, entry);
        return room;
      }
    },

    leave(room, connection) {
      if (room.leave(connection) > 0) return;
      const entry = entries.get(room.name);
      // A connection of a room that was already dropped (storage failure) must not unload its successor.
      if (entry === undefined || entry.room !== room || entry.unloading) return;
      touch(room.name, entry);
      clearTimeout(entry.idleTimer);
      entry.idleTimer = setTimeout(() => void unload(room.name, entry, room, true), options.idleUnloadMs);
    },

    get size() {
      return entries.size;
    },

    async closeAll() {
      closing = true;
      const pending = [...entries].map(async ([name, entry]) => {
        const room = await entry.loading.catch(() => undefined);
        if (room) await unload(name, entry, room, true);
      });
      await Promise.all(pending);
    },
  };
}
