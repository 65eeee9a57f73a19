import { compactionDefaults } from '../../packages/server/src/doc-persistence.ts';
import { silentLogger } from '../../packages/server/src/logger.ts';
import { loadRoom, type Room, type RoomPeer } from '../../packages/server/src/room.ts';
import { serverDefaults } from '../../packages/server/src/server.ts';
import type { DocStorage } from '../../packages/server/src/storage/doc-storage.ts';

/** A room with the server's default limits and a silent logger, for tests that drive a room directly. */
export function loadTestRoom(name: string, storage: DocStorage): Promise<Room<RoomPeer>> {
  return loadRoom({
    name,
    storage,
    logger: silentLogger,
    compaction: compactionDefaults,
    limits: {
      maxDocumentBytes: serverDefaults.maxDocumentBytes,
      maxPendingBytes: serverDefaults.maxPendingBytes,
      awareness: serverDefaults.awareness,
    },
    onStorageFailure() {},
  });
}
