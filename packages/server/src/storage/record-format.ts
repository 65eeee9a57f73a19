import { crc32 } from 'node:zlib';

/** Every record on disk is `[u32le length][u32le crc32(payload)][payload]`; length is never 0. */
export const RECORD_HEADER_BYTES = 8;

/** Encodes one record. */
export function encodeRecord(payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32(payload), 4);
  record.set(payload, RECORD_HEADER_BYTES);
  return record;
}

/** The outcome of reading a file of records. */
export type RecordScan =
  /** Every byte belongs to a valid record. */
  | { kind: 'clean'; records: Uint8Array[] }
  /** The valid records are followed by an incomplete or damaged final write: cut at `validBytes`. */
  | { kind: 'torn-tail'; records: Uint8Array[]; validBytes: number }
  /** A damaged record is followed by more data: something other than a crash damaged the file. */
  | { kind: 'corrupt'; records: Uint8Array[]; offset: number; reason: string };

// Work allowed for the search below (bytes checksummed). When it runs out we call the file corrupt:
// quarantining by mistake costs availability, truncating by mistake would lose acknowledged data.
const SEARCH_BUDGET_BYTES = 64 * 1024 * 1024;

/** True if a complete record with a matching checksum starts anywhere after `from`. */
function validRecordAfter(view: Buffer, from: number): boolean {
  let budget = SEARCH_BUDGET_BYTES;
  for (let position = from; position + RECORD_HEADER_BYTES < view.length; position++) {
    const length = view.readUInt32LE(position);
    const end = position + RECORD_HEADER_BYTES + length;
    if (length === 0 || end > view.length) continue;
    budget -= length;
    if (budget < 0) return true;
    if (crc32(view.subarray(position + RECORD_HEADER_BYTES, end)) === view.readUInt32LE(position + 4)) return true;
  }
  return false;
}

// A crash can only damage the last, unsynced write, which is a prefix of the records it carried
// (possibly followed by zero-filled blocks). So a damaged record is a torn tail exactly when no
// valid record follows it; anything valid after it (even behind a damaged length field) means the
// damage came from elsewhere, and the file is corrupt.
const isTail = (view: Buffer, offset: number) => !validRecordAfter(view, offset + 1);

/** Splits a file's bytes into records and says whether the file is clean, torn at its tail, or corrupt. */
export function scanRecords(bytes: Uint8Array): RecordScan {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < view.length) {
    if (view.length - offset < RECORD_HEADER_BYTES) return { kind: 'torn-tail', records, validBytes: offset };
    const length = view.readUInt32LE(offset);
    const checksum = view.readUInt32LE(offset + 4);
    const end = offset + RECORD_HEADER_BYTES + length;
    const payload = end <= view.length ? view.subarray(offset + RECORD_HEADER_BYTES, end) : undefined;
    const problem =
      length === 0
        ? 'zero-length record'
        : payload === undefined
          ? 'record runs past the end of the file'
          : crc32(payload) !== checksum
            ? 'checksum mismatch'
            : undefined;
    if (problem !== undefined) {
      if (isTail(view, offset)) return { kind: 'torn-tail', records, validBytes: offset };
      return { kind: 'corrupt', records, offset, reason: problem };
    }
    // Plain Uint8Array views (not Buffers), as the DocStorage contract promises.
    records.push(new Uint8Array(view.buffer, view.byteOffset + offset + RECORD_HEADER_BYTES, length));
    offset = end;
  }
  return { kind: 'clean', records };
}
