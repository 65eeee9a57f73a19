import { WeftError } from '@weft/protocol';
import type { AwarenessEntry } from './peer-input.ts';

/** Limits on what one connection may put into a document's awareness. */
export interface AwarenessLimits {
  /** Largest state of one client, in bytes of JSON. */
  maxStateBytes: number;
  /** Most client IDs one connection may hold states for (a y-websocket client uses one). */
  maxEntriesPerConnection: number;
}

export const awarenessLimitDefaults: AwarenessLimits = { maxStateBytes: 64 * 1024, maxEntriesPerConnection: 8 };

/**
 * Keeps the entries `owned` (the IDs the sender already set) and the unowned ones, and drops
 * entries for IDs another live connection owns: nobody may overwrite or remove someone else's
 * presence. Oversized states and too many IDs throw `WeftError('limit-exceeded')`.
 */
export function filterAwarenessEntries(
  entries: readonly AwarenessEntry[],
  owned: ReadonlySet<number>,
  ownedByOthers: (clientID: number) => boolean,
  limits: AwarenessLimits,
): AwarenessEntry[] {
  const kept: AwarenessEntry[] = [];
  let claimed = owned.size;
  for (const entry of entries) {
    if (Buffer.byteLength(entry.json) > limits.maxStateBytes) {
      throw new WeftError('limit-exceeded', `awareness state larger than ${limits.maxStateBytes} bytes`);
    }
    if (owned.has(entry.clientID)) {
      kept.push(entry);
      continue;
    }
    if (ownedByOthers(entry.clientID)) continue;
    if (entry.json !== 'null') {
      claimed += 1;
      if (claimed > limits.maxEntriesPerConnection) {
        throw new WeftError('limit-exceeded', `more than ${limits.maxEntriesPerConnection} awareness client IDs`);
      }
    }
    kept.push(entry);
  }
  return kept;
}
