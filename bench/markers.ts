// Latency markers: each message a writer sends inserts a unique ASCII marker into a Y.Text. Yjs v1
// updates carry inserted strings verbatim (UTF-8), so a reader finds markers by searching the
// frame's bytes: no Y.Doc per reader, and the same cheap detection for every server (merged or
// re-encoded updates still hold each marker as one contiguous run of bytes).
import * as Y from 'yjs';

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

/** A writer's own document: each call appends a marker and returns the update Yjs emitted for it. */
export function createMarkerWriter(): (id: number) => Uint8Array {
  const doc = new Y.Doc();
  const text = doc.getText('text');
  let last: Uint8Array = new Uint8Array();
  doc.on('update', (update: Uint8Array) => {
    last = update;
  });
  return (id) => {
    text.insert(text.length, markerText(id));
    return last;
  };
}
