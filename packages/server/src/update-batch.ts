import { encodeUpdate } from '@weft/protocol';
import * as Y from 'yjs';

/**
 * Collects the updates a document integrates within one turn of the event loop and broadcasts them
 * as one merged update. Under load every receiver then gets one frame (one write syscall) per turn
 * instead of one per update; when idle, a batch holds a single update and costs one setImmediate.
 */
export interface UpdateBatch<Peer> {
  /** Adds an update; `sender` already has it (undefined: nobody may be skipped). */
  add(update: Uint8Array, sender: Peer | undefined): void;
  /** Broadcasts what was collected now, e.g. before a message that must not overtake it. */
  flush(): void;
  /** Drops what was collected (the room is being destroyed). */
  cancel(): void;
}

/** The most updates one `Y.mergeUpdates` call is given (see mergeInStages). */
export const MERGE_FAN_IN = 32;

/**
 * `Y.mergeUpdates` of the whole batch, merged at most MERGE_FAN_IN updates at a time and then the
 * results in turn. One call's cost grows faster than its input (2.5 µs per update at 64 updates,
 * 25 µs at 2,048), so a server that fell behind, and found thousands of updates in one turn,
 * fell further behind with every turn; in stages it stays at 2–3 µs per update.
 */
export function mergeInStages(batch: readonly Uint8Array[]): Uint8Array {
  let stage = batch;
  while (stage.length > 1) {
    const next: Uint8Array[] = [];
    for (let start = 0; start < stage.length; start += MERGE_FAN_IN) {
      const group = stage.slice(start, start + MERGE_FAN_IN);
      next.push(group.length === 1 ? (group[0] as Uint8Array) : Y.mergeUpdates(group));
    }
    stage = next;
  }
  return stage[0] as Uint8Array;
}

export function createUpdateBatch<Peer>(
  broadcast: (frame: Uint8Array, except: Peer | undefined) => void,
): UpdateBatch<Peer> {
  let updates: Uint8Array[] = [];
  // The one peer every collected update came from, skipped by the broadcast; undefined once mixed.
  let sender: Peer | undefined;
  let scheduled: NodeJS.Immediate | undefined;

  const merge = (batch: Uint8Array[]): Uint8Array[] => {
    if (batch.length === 1) return batch;
    try {
      return [mergeInStages(batch)];
    } catch {
      // Validated, integrated updates merge; should one not, send them one by one rather than lose them.
      return batch;
    }
  };

  const flush = () => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    if (updates.length === 0) return;
    const batch = updates;
    const except = sender;
    updates = [];
    sender = undefined;
    // A peer that sent only some of the batch receives its own updates back inside the merge: Yjs
    // ignores what it already has, and nobody misses anybody else's update.
    for (const update of merge(batch)) broadcast(encodeUpdate(update), except);
  };

  return {
    add(update, from) {
      if (updates.length === 0) {
        sender = from;
        // setImmediate, not a microtask: it runs after every socket read of this poll phase.
        scheduled = setImmediate(flush);
      } else if (sender !== from) {
        sender = undefined;
      }
      updates.push(update);
    },
    flush,
    cancel() {
      if (scheduled !== undefined) clearImmediate(scheduled);
      scheduled = undefined;
      updates = [];
      sender = undefined;
    },
  };
}
