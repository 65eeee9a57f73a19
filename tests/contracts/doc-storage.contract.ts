import type { DocStorage } from '@weft/server';
import { describe, expect, it } from 'vitest';

/** Makes a fresh adapter for one test, and a way to reopen it on the same backing store. */
export interface StorageFixture {
  open(): Promise<DocStorage>;
  cleanup(): Promise<void>;
}

const bytes = (...values: number[]) => new Uint8Array(values);

/**
 * The contract every DocStorage adapter passes. Policy-free: it checks bytes in, bytes out,
 * ordering, compaction semantics and isolation between documents.
 */
export function describeDocStorageContract(adapter: string, makeFixture: () => Promise<StorageFixture>): void {
  describe(`DocStorage contract: ${adapter}`, () => {
    const withStorage = (test: (storage: DocStorage, fixture: StorageFixture) => Promise<void>) => async () => {
      const fixture = await makeFixture();
      const storage = await fixture.open();
      try {
        await test(storage, fixture);
      } finally {
        await storage.close();
        await fixture.cleanup();
      }
    };

    it(
      'loads undefined for a document never written',
      withStorage(async (storage) => {
        expect(await storage.load('never')).toBeUndefined();
      }),
    );

    it(
      'returns appended updates in order',
      withStorage(async (storage) => {
        await Promise.all([
          storage.append('d', bytes(1)),
          storage.append('d', bytes(2, 2)),
          storage.append('d', bytes(3)),
        ]);
        expect(await storage.load('d')).toEqual({ snapshot: undefined, updates: [bytes(1), bytes(2, 2), bytes(3)] });
      }),
    );

    it(
      'copies input bytes, so later mutation of the caller buffer changes nothing',
      withStorage(async (storage) => {
        const buffer = bytes(5, 5);
        const appended = storage.append('d', buffer);
        buffer.fill(0);
        await appended;
        expect((await storage.load('d'))?.updates).toEqual([bytes(5, 5)]);
      }),
    );

    it(
      'compaction replaces everything appended before it; later appends follow the snapshot',
      withStorage(async (storage) => {
        await storage.append('d', bytes(1));
        const inFlight = storage.append('d', bytes(2));
        await storage.compact('d', bytes(9, 9));
        await inFlight;
        await storage.append('d', bytes(3));
        const stored = await storage.load('d');
        expect(stored?.snapshot).toEqual(bytes(9, 9));
        // An append still in flight may also land after the snapshot: Yjs replay is idempotent.
        expect(stored?.updates.at(-1)).toEqual(bytes(3));
        expect(stored?.updates.filter((update) => update[0] === 1)).toEqual([]);
      }),
    );

    it(
      'keeps documents apart, lists and removes them',
      withStorage(async (storage) => {
        await storage.append('a', bytes(1));
        await storage.append('team/b', bytes(2));
        expect(await storage.list()).toEqual(['a', 'team/b']);
        await storage.remove('a');
        expect(await storage.load('a')).toBeUndefined();
        expect((await storage.load('team/b'))?.updates).toEqual([bytes(2)]);
        expect(await storage.list()).toEqual(['team/b']);
      }),
    );

    it(
      'release keeps the data; the document loads again afterwards',
      withStorage(async (storage) => {
        await storage.append('d', bytes(1));
        await storage.release('d');
        await storage.append('d', bytes(2));
        expect((await storage.load('d'))?.updates).toEqual([bytes(1), bytes(2)]);
      }),
    );

    it(
      'survives close and reopen where the adapter persists',
      withStorage(async (storage, fixture) => {
        await storage.append('d', bytes(1));
        await storage.compact('d', bytes(8));
        await storage.append('d', bytes(2));
        await storage.close();
        const reopened = await fixture.open();
        try {
          expect(await reopened.load('d')).toEqual({ snapshot: bytes(8), updates: [bytes(2)] });
        } finally {
          await reopened.close();
        }
      }),
    );
  });
}
