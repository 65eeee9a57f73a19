import { describe, expect, it } from 'vitest';
import { encodeRecord, scanRecords } from './record-format.ts';

const records = (...payloads: number[][]) => Buffer.concat(payloads.map((p) => encodeRecord(new Uint8Array(p))));

describe('scanRecords', () => {
  it('reads a clean file', () => {
    const scan = scanRecords(records([1], [2, 3]));
    expect(scan).toEqual({ kind: 'clean', records: [new Uint8Array([1]), new Uint8Array([2, 3])] });
  });

  it('treats an incomplete last record as a torn tail', () => {
    const full = records([1], [2, 3, 4]);
    for (let cut = full.length - 1; cut > 9; cut--) {
      const scan = scanRecords(full.subarray(0, cut));
      expect(scan.kind, `cut at ${cut}`).toBe('torn-tail');
      expect(scan).toMatchObject({ validBytes: 9, records: [new Uint8Array([1])] });
    }
  });

  it('treats a damaged last record and zero-filled blocks as a torn tail', () => {
    const damagedLast = records([1], [2, 3]);
    damagedLast[damagedLast.length - 1] = (damagedLast[damagedLast.length - 1] ?? 0) ^ 0xff;
    expect(scanRecords(damagedLast)).toMatchObject({ kind: 'torn-tail', validBytes: 9 });
    const zeros = Buffer.concat([records([1]), Buffer.alloc(4096)]);
    expect(scanRecords(zeros)).toMatchObject({ kind: 'torn-tail', validBytes: 9 });
  });

  it('reports damage before the tail as corruption', () => {
    const file = records([1], [2, 3], [4]);
    file[9 + 8] = (file[9 + 8] ?? 0) ^ 0x01; // first payload byte of the middle record
    expect(scanRecords(file)).toMatchObject({ kind: 'corrupt', offset: 9, reason: 'checksum mismatch' });
  });
});
