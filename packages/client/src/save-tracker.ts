/**
 * Counts local edits that are not yet durable on the server, from the server's durable acks.
 *
 * Every update-bearing message sent on a connection is numbered 1, 2, ... (as the server numbers
 * them) and remembers how many local edits existed when it was sent; `durable-ack(n)` proves
 * every edit covered by messages 1..n is on the server's disk.
 */
export interface SaveTracker {
  readonly unsaved: number;
  /** Adds edits made in an earlier page load (restored from IndexedDB). */
  restore(unsaved: number): void;
  /** One local edit happened. */
  edit(): void;
  /** An update-bearing message was sent; returns its sequence number on this connection. */
  sent(): number;
  /** The server acked messages 1..seq; returns true when the unsaved count changed. */
  acked(seq: number): boolean;
  /** The connection closed: unacked messages will be covered by the next handshake instead. */
  reset(): void;
}

export function createSaveTracker(): SaveTracker {
  let edits = 0;
  let durable = 0;
  let sentCount = 0;
  // (seq, edits at the time it was sent), in seq order.
  let pending: Array<{ seq: number; edits: number }> = [];
  return {
    get unsaved() {
      return edits - durable;
    },
    restore(unsaved) {
      edits += unsaved;
    },
    edit() {
      edits += 1;
    },
    sent() {
      sentCount += 1;
      pending.push({ seq: sentCount, edits });
      return sentCount;
    },
    acked(seq) {
      const before = durable;
      while (pending.length > 0 && (pending[0]?.seq ?? Infinity) <= seq) {
        durable = Math.max(durable, pending.shift()?.edits ?? 0);
      }
      return durable !== before;
    },
    reset() {
      sentCount = 0;
      pending = [];
    },
  };
}
