import { type Access, encodeAwareness, WeftError } from '@weft/protocol';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { type AwarenessLimits, filterAwarenessEntries } from './awareness-guard.ts';
import { createClientIdOwners } from './client-ids.ts';
import { type CompactionOptions, createDocPersistence, type DocPersistence } from './doc-persistence.ts';
import { trimHeldBackStructs, withoutKnownStructs } from './held-back-updates.ts';
import { applyUpdateReporting } from './integrated-update.ts';
import type { Logger } from './logger.ts';
import { assertOriginsInOrder } from './origin-order.ts';
import { assertValidUpdate, encodeAwarenessEntries, isEmptyUpdate, parseAwarenessUpdate } from './peer-input.ts';
import { type SharedFrame, shareFrame } from './shared-frame.ts';
import type { DocStorage } from './storage/doc-storage.ts';
import { createSyncAnswers } from './sync-answers.ts';
import { createUpdateBatch } from './update-batch.ts';
import { storageOrigin, type UpdateOrigin } from './update-origin.ts';

/** What a room needs from a connection: somewhere to send bytes. */
export interface RoomPeer {
  /** Receives a broadcast, framed once for every peer that gets it. */
  sendShared(frame: SharedFrame): void;
  /** Awareness client IDs this peer set, removed when it leaves. */
  readonly awarenessIds: Set<number>;
  /** What the peer may do: `read` peers cannot change the document. */
  readonly access: Access;
  /** False once the peer's socket is closing: it no longer holds its client IDs against others. */
  readonly live: boolean;
}

/** Size limits of one document. */
export interface RoomLimits {
  /** Largest document (approximately: its last snapshot plus the log since), in bytes. */
  maxDocumentBytes: number;
  /** Most bytes of updates Yjs may hold back for missing dependencies. */
  maxPendingBytes: number;
  awareness: AwarenessLimits;
}

/** What became of a peer's update. */
export type UpdateOutcome = 'applied' | 'read-only';

/** One loaded document: its Y.Doc, awareness, persistence, and the peers connected to it. */
export interface Room<Peer extends RoomPeer = RoomPeer> {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  readonly persistence: DocPersistence;
  readonly peers: ReadonlySet<Peer>;
  join(peer: Peer): void;
  /** Removes the peer and its awareness states; returns how many peers remain. */
  leave(peer: Peer): number;
  /**
   * Applies an update from a peer; `read-only` when a read peer tried to change the document (and
   * nothing changed). Throws a WeftError when the update is refused; the caller closes that peer.
   */
  applyPeerUpdate(peer: Peer, update: Uint8Array, kind?: 'sync-step-2' | 'update'): UpdateOutcome;
  /** Applies an awareness update from a peer and records which client IDs it owns. */
  applyPeerAwareness(peer: Peer, update: Uint8Array): void;
  /** The SyncStep2 frame answering a peer's SyncStep1 (reused while the document is unchanged). */
  syncAnswer(stateVector: Uint8Array): Uint8Array;
  /** The awareness message with every known state, or undefined when there is none. */
  fullAwareness(): Uint8Array | undefined;
  destroy(): void;
}

export interface RoomOptions<Peer extends RoomPeer> {
  name: string;
  storage: DocStorage;
  logger: Logger;
  compaction: CompactionOptions;
  limits: RoomLimits;
  /** Called when storage failed: the room can no longer promise durability. */
  onStorageFailure(room: Room<Peer>, error: WeftError): void;
}

/**
 * Creates a room and loads its document from storage before anyone can see it.
 *
 * Broadcast frames are encoded once and sent as the same bytes to every peer; document updates are
 * merged per event-loop turn first (see update-batch.ts) and go out before they are written to the log.
 * Each update is still persisted on its own.
 * Answers to SyncStep1 are reused while the document is unchanged (see sync-answers.ts).
 */
export async function loadRoom<Peer extends RoomPeer>(options: RoomOptions<Peer>): Promise<Room<Peer>> {
  const { name, logger } = options;
  const doc = new Y.Doc({ gc: true });
  const awareness = new Awareness(doc);
  // The server is not a participant: it relays states but publishes none of its own.
  awareness.setLocalState(null);
  const peers = new Set<Peer>();
  const clientIds = createClientIdOwners<Peer>(doc, (peer) => peer.live);
  // Which live peer set each awareness client ID: only that peer may change or remove it.
  const awarenessOwners = new Map<number, Peer>();
  const pendingBytes = () => (doc.store.pendingStructs?.update.length ?? 0) + (doc.store.pendingDs?.length ?? 0);

  const broadcast = (frame: Uint8Array, except: Peer | undefined) => {
    const shared = shareFrame(frame);
    for (const peer of peers) if (peer !== except) peer.sendShared(shared);
  };
  const updates = createUpdateBatch<Peer>(broadcast);
  const syncAnswers = createSyncAnswers(doc);

  const persistence = createDocPersistence({
    name,
    doc,
    storage: options.storage,
    logger,
    compaction: options.compaction,
    onFailure: (error) => options.onStorageFailure(room, error),
  });

  awareness.on(
    'update',
    (
      { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
      origin: UpdateOrigin<Peer> | null,
    ) => {
      const sender = origin?.kind === 'client' ? origin.peer : undefined;
      if (sender) {
        for (const id of [...added, ...updated]) {
          sender.awarenessIds.add(id);
          awarenessOwners.set(id, sender);
        }
      }
      // Removed by the sender, by its leaving, or by y-protocols' timeout: nobody owns the ID now.
      for (const id of removed) {
        awarenessOwners.get(id)?.awarenessIds.delete(id);
        awarenessOwners.delete(id);
      }
      const changed = [...added, ...updated, ...removed];
      // Awareness (cursors) may refer to content of updates still being collected: send those first.
      updates.flush();
      broadcast(encodeAwareness(encodeAwarenessUpdate(awareness, changed)), sender);
    },
  );

  const room: Room<Peer> = {
    name,
    doc,
    awareness,
    persistence,
    peers,
    join(peer) {
      peers.add(peer);
    },
    leave(peer) {
      if (peers.delete(peer) && peer.awarenessIds.size > 0) {
        removeAwarenessStates(awareness, [...peer.awarenessIds], null);
      }
      clientIds.release(peer);
      return peers.size;
    },
    applyPeerUpdate(peer, received, kind = 'update') {
      const decoded = assertValidUpdate(received);
      if (isEmptyUpdate(decoded)) return 'applied';
      if (peer.access !== 'write') return 'read-only';
      const update = withoutKnownStructs(doc, received, decoded.structs);
      // Checked as Yjs will integrate it: a struct partly known starts at its first new clock.
      assertOriginsInOrder(doc, update === received ? decoded.structs : Y.decodeUpdate(update).structs);
      const editing = kind === 'update' ? clientIds.check(peer, decoded) : undefined;
      if (persistence.approximateBytes + update.length > options.limits.maxDocumentBytes) {
        throw new WeftError('limit-exceeded', `the document would exceed ${options.limits.maxDocumentBytes} bytes`);
      }
      // This update may unblock updates Yjs held back for missing dependencies; the sender has never
      // seen those, so it must receive the broadcast too.
      // Copied: Yjs merges new held-back data into the same object.
      const held = doc.store.pendingStructs;
      const heldStructs = held && { missing: new Map(held.missing), update: held.update };
      const heldDeletes = doc.store.pendingDs;
      const heldBytes = pendingBytes();
      const unblocks = heldStructs !== null || heldDeletes !== null;
      const origin = { kind: 'client', peer } satisfies UpdateOrigin<Peer>;
      applyUpdateReporting(doc, update, origin, (integrated) => {
        // Broadcast first: the batch's setImmediate then runs before the group commit's, so peers get
        // the update before the log write and the fdatasync's pool thread compete for the CPU with
        // the broadcast. Only the durable ack waits for the fsync (bench/fixes.md, fix 13).
        updates.add(integrated, unblocks ? undefined : peer);
        persistence.persist(integrated);
      });
      if (pendingBytes() > heldBytes && pendingBytes() > options.limits.maxPendingBytes) {
        // Whatever integrated stays (it was reported and stored); the part Yjs would hold back is
        // dropped by restoring what it held before. Re-trying old pending data later is harmless.
        doc.store.pendingStructs = heldStructs;
        doc.store.pendingDs = heldDeletes;
        throw new WeftError(
          'limit-exceeded',
          `more than ${options.limits.maxPendingBytes} bytes of updates wait for missing data`,
        );
      }
      trimHeldBackStructs(doc);
      persistence.persistPending(update);
      if (editing !== undefined) clientIds.claim(peer, editing);
      return 'applied';
    },
    applyPeerAwareness(peer, update) {
      const entries = parseAwarenessUpdate(update);
      const kept = filterAwarenessEntries(
        entries,
        peer.awarenessIds,
        (id) => {
          const owner = awarenessOwners.get(id);
          return owner !== undefined && owner !== peer && owner.live;
        },
        options.limits.awareness,
      );
      if (kept.length === 0) return;
      const allowed = kept.length === entries.length ? update : encodeAwarenessEntries(kept);
      applyAwarenessUpdate(awareness, allowed, { kind: 'client', peer } satisfies UpdateOrigin<Peer>);
    },
    syncAnswer: syncAnswers.answer,
    fullAwareness() {
      const ids = [...awareness.getStates().keys()];
      return ids.length > 0 ? encodeAwareness(encodeAwarenessUpdate(awareness, ids)) : undefined;
    },
    destroy() {
      updates.cancel();
      syncAnswers.clear();
      awareness.destroy();
      doc.destroy();
    },
  };

  try {
    await persistence.load(storageOrigin);
    trimHeldBackStructs(doc);
  } catch (error) {
    room.destroy();
    throw error;
  }
  return room;
}
