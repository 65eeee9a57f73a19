import { encodeAwareness, encodeUpdate, type WeftError } from '@weft/protocol';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { type CompactionOptions, createDocPersistence, type DocPersistence } from './doc-persistence.ts';
import type { Logger } from './logger.ts';
import { assertValidAwarenessUpdate, assertValidUpdate } from './peer-input.ts';
import type { DocStorage } from './storage/doc-storage.ts';
import { storageOrigin, type UpdateOrigin } from './update-origin.ts';

/** What a room needs from a connection: somewhere to send bytes. */
export interface RoomPeer {
  send(frame: Uint8Array): void;
  /** Awareness client IDs this peer set, removed when it leaves. */
  readonly awarenessIds: Set<number>;
}

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
  /** Applies an update from a peer. Throws if Yjs rejects it; the caller closes that peer. */
  applyPeerUpdate(peer: Peer, update: Uint8Array): void;
  /** Applies an awareness update from a peer and records which client IDs it owns. */
  applyPeerAwareness(peer: Peer, update: Uint8Array): void;
  /** The awareness message with every known state, or undefined when there is none. */
  fullAwareness(): Uint8Array | undefined;
  destroy(): void;
}

export interface RoomOptions<Peer extends RoomPeer> {
  name: string;
  storage: DocStorage;
  logger: Logger;
  compaction: CompactionOptions;
  /** Called when storage failed: the room can no longer promise durability. */
  onStorageFailure(room: Room<Peer>, error: WeftError): void;
}

/**
 * Creates a room and loads its document from storage before anyone can see it.
 *
 * Broadcast frames are encoded once per update and sent as the same bytes to every peer.
 */
export async function loadRoom<Peer extends RoomPeer>(options: RoomOptions<Peer>): Promise<Room<Peer>> {
  const { name, logger } = options;
  const doc = new Y.Doc({ gc: true });
  const awareness = new Awareness(doc);
  // The server is not a participant: it relays states but publishes none of its own.
  awareness.setLocalState(null);
  const peers = new Set<Peer>();

  const broadcast = (frame: Uint8Array, except: Peer | undefined) => {
    for (const peer of peers) if (peer !== except) peer.send(frame);
  };

  const persistence = createDocPersistence({
    name,
    doc,
    storage: options.storage,
    logger,
    compaction: options.compaction,
    onFailure: (error) => options.onStorageFailure(room, error),
  });

  doc.on('update', (update: Uint8Array, origin: UpdateOrigin<Peer>) => {
    if (origin === storageOrigin) return;
    // Persist what Yjs emitted (already deduplicated and integrated), never the raw client bytes.
    persistence.persist(update);
    broadcast(encodeUpdate(update), origin?.kind === 'client' && !origin.echo ? origin.peer : undefined);
  });

  awareness.on(
    'update',
    (
      { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
      origin: UpdateOrigin<Peer> | null,
    ) => {
      const sender = origin?.kind === 'client' ? origin.peer : undefined;
      if (sender) {
        for (const id of added) sender.awarenessIds.add(id);
        for (const id of updated) sender.awarenessIds.add(id);
        for (const id of removed) sender.awarenessIds.delete(id);
      }
      const changed = [...added, ...updated, ...removed];
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
      return peers.size;
    },
    applyPeerUpdate(peer, update) {
      assertValidUpdate(update);
      // This update may unblock updates Yjs held back for missing dependencies; the sender has never
      // seen those, so it must receive the broadcast too.
      const unblocks = doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
      Y.applyUpdate(doc, update, { kind: 'client', peer, echo: unblocks } satisfies UpdateOrigin<Peer>);
      persistence.persistPending();
    },
    applyPeerAwareness(peer, update) {
      assertValidAwarenessUpdate(update);
      applyAwarenessUpdate(awareness, update, { kind: 'client', peer } satisfies UpdateOrigin<Peer>);
    },
    fullAwareness() {
      const ids = [...awareness.getStates().keys()];
      return ids.length > 0 ? encodeAwareness(encodeAwarenessUpdate(awareness, ids)) : undefined;
    },
    destroy() {
      awareness.destroy();
      doc.destroy();
    },
  };

  try {
    await persistence.load(storageOrigin);
  } catch (error) {
    room.destroy();
    throw error;
  }
  return room;
}
