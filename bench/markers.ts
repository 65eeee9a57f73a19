// Latency markers: each message a writer sends inserts a unique ASCII marker into a Y.Text. Yjs v1
// updates carry inserted strings verbatim (UTF-8), so a reader finds markers by searching the
// frame's bytes: no Y.Doc per reader, and the same cheap detection for every server (merged or
// re-encoded updates still hold each marker as one contiguous run of bytes).
import * as encoding from 'lib0/encoding';
import * as random from 'lib0/random';

const PREFIX = Buffer.from('MK');
const DIGITS = 9;
/** Bytes of one marker. */
export const MARKER_LENGTH = PREFIX.length + DIGITS;

export function markerText(id: number): string {
  return `MK${String(id).padStart(DIGITS, '0')}`;
}

/** Calls `found(id)` for every marker in `frame`. */
export function scanMarkers(frame: Buffer, found: (id: number) => void): void {
  let at = frame.indexOf(PREFIX);
  while (at !== -1 && at + MARKER_LENGTH <= frame.length) {
    let id = 0;
    let digits = 0;
    for (; digits < DIGITS; digits++) {
      const byte = frame[at + PREFIX.length + digits] as number;
      if (byte < 0x30 || byte > 0x39) break;
      id = id * 10 + (byte - 0x30);
    }
    if (digits === DIGITS) found(id);
    at = frame.indexOf(PREFIX, at + (digits === DIGITS ? MARKER_LENGTH : 1));
  }
}

const CONTENT_STRING = 4;
const HAS_ORIGIN = 0x80;

/**
 * A writer with its own Yjs client ID that appends markers to the root Y.Text `text`. Each call
 * returns the v1 update a Y.Doc emits for `text.insert(text.length, markerText(id))`, byte for byte
 * (markers.test.ts compares them), encoded here directly: a Y.Doc merges a client's consecutive
 * inserts into one ever longer item and copies that item's string to encode each new insert, so
 * every send cost O(text written so far) and the load generator became the bottleneck of long runs.
 */
export function createMarkerWriter(clientId = random.uint32()): (id: number) => Uint8Array {
  let clock = 0;
  return (id) => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 1); // structs of one client
    encoding.writeVarUint(encoder, 1); // one struct
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    if (clock === 0) {
      // No origin: the item names its parent, the root type's key.
      encoding.writeUint8(encoder, CONTENT_STRING);
      encoding.writeVarUint(encoder, 1);
      encoding.writeVarString(encoder, 'text');
    } else {
      // Typed after this writer's previous marker (its last character).
      encoding.writeUint8(encoder, HAS_ORIGIN | CONTENT_STRING);
      encoding.writeVarUint(encoder, clientId);
      encoding.writeVarUint(encoder, clock - 1);
    }
    encoding.writeVarString(encoder, markerText(id));
    encoding.writeVarUint(encoder, 0); // empty delete set
    clock += MARKER_LENGTH;
    return encoding.toUint8Array(encoder);
  };
}
