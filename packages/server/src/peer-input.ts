import { WeftError } from '@weft/protocol';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

const malformed = (what: string, cause?: unknown) =>
  new WeftError('malformed-message', `malformed ${what}${cause instanceof Error ? `: ${cause.message}` : ''}`, {
    cause,
  });

/**
 * Reads a whole Yjs v1 update before any of it is applied. Yjs integrates structs before it reads the
 * delete set, and trusts lengths and same-client references, so a malformed update can be half
 * applied (or leave an item the document can no longer encode) before it throws.
 */
export function assertValidUpdate(update: Uint8Array): DecodedUpdate {
  let decoded: DecodedUpdate;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (cause) {
    throw malformed('update', cause);
  }
  for (const struct of decoded.structs) {
    const { client, clock } = struct.id;
    if (!(struct.length > 0) || !Number.isSafeInteger(clock + struct.length) || !Number.isSafeInteger(client)) {
      throw malformed(`update: struct ${client}:${clock} has length ${struct.length}`);
    }
    if (!(struct instanceof Y.Item)) continue;
    // A client's item can only refer to that client's earlier items.
    const parent = struct.parent instanceof Y.ID ? struct.parent : null;
    for (const reference of [struct.origin, struct.rightOrigin, parent]) {
      // Numbers past 2^53 survive decoding but not re-encoding: the document could not be sent or loaded.
      if (reference && !(Number.isSafeInteger(reference.client) && Number.isSafeInteger(reference.clock))) {
        throw malformed(`update: item ${client}:${clock} refers to clock ${reference.clock}`);
      }
      if (reference && reference.client === client && reference.clock >= clock) {
        throw malformed(`update: item ${client}:${clock} refers to ${reference.client}:${reference.clock} ahead of it`);
      }
    }
  }
  for (const [client, ranges] of decoded.ds.clients) {
    for (const range of ranges) {
      if (!(range.len > 0) || !Number.isSafeInteger(range.clock + range.len) || !Number.isSafeInteger(client)) {
        throw malformed(`update: delete range ${range.clock}+${range.len}`);
      }
    }
  }
  return decoded;
}

/** A Yjs update, decoded whole (`Y.decodeUpdate`). */
export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;

/** True when the update carries no structs and no deletions (a SyncStep2 with nothing to add). */
export const isEmptyUpdate = (decoded: DecodedUpdate): boolean =>
  decoded.structs.length === 0 && decoded.ds.clients.size === 0;

/** One entry of an awareness update; `json` is the state as sent (`'null'` removes the state). */
export interface AwarenessEntry {
  clientID: number;
  clock: number;
  json: string;
}

/**
 * Reads a whole awareness update before any of it is applied: y-protocols stores entries one by one
 * and announces them only at the end, so a bad entry would leave the earlier ones as ghost states.
 */
export function parseAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const entries: AwarenessEntry[] = [];
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    for (let entry = 0; entry < count; entry++) {
      const clientID = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      // Relayed re-encoded: numbers past 2^53 come out as varuints nobody can read back.
      if (!Number.isSafeInteger(clientID) || !Number.isSafeInteger(clock)) throw new Error('number past 2^53');
      // Re-encoded when relayed: JSON.stringify overflows the stack on nesting JSON.parse accepts.
      const json = decoding.readVarString(decoder);
      JSON.stringify(JSON.parse(json));
      entries.push({ clientID, clock, json });
    }
  } catch (cause) {
    throw malformed('awareness update', cause);
  }
  return entries;
}

/** Writes awareness entries back into an awareness update (y-protocols/awareness encoding). */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientID);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, entry.json);
  }
  return encoding.toUint8Array(encoder);
}
