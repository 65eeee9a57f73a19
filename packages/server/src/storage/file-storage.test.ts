import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempDir } from '../../../../tests/helpers/temp-dir.ts';
import type { DocStorage } from './doc-storage.ts';
import { createFileStorage } from './file-storage.ts';
import { encodeRecord } from './record-format.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('FileStorage on disk', () => {
  let dir: { path: string; remove(): Promise<void> };
  let storage: DocStorage | undefined;

  beforeEach(async () => {
    dir = await createTempDir();
  });
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    await dir.remove();
  });

  const open = async () => {
    await storage?.close();
    storage = await createFileStorage({ directory: dir.path });
    return storage;
  };
  const docDir = (name = 'd') => {
    const hash = createHash('sha256').update(name).digest('hex');
    return join(dir.path, 'docs', hash.slice(0, 2), hash);
  };
  const newestFile = async (prefix: 'log-' | 'snapshot-') => {
    const files = (await readdir(docDir())).filter((f) => f.startsWith(prefix)).sort();
    return join(docDir(), files.at(-1) as string);
  };

  it('names files by a hash of the document name, never by the name', async () => {
    const s = await open();
    await s.append('../../escape/CON', bytes(1));
    const files = await listFiles(dir.path);
    for (const file of files) expect(file.startsWith(dir.path)).toBe(true);
    expect(files.some((f) => f.includes('escape') || f.includes('CON'))).toBe(false);
    expect(files.map((f) => f.slice(dir.path.length))).toContainEqual(
      expect.stringMatching(/^\/docs\/[0-9a-f]{2}\/[0-9a-f]{64}\/log-0000000000\.bin$/),
    );
    expect(await s.list()).toEqual(['../../escape/CON']);
  });

  it('truncates a torn tail on recovery and keeps appending after it', async () => {
    let s = await open();
    await s.append('d', bytes(1));
    await s.append('d', bytes(2));
    await s.close();
    storage = undefined;
    const log = await newestFile('log-');
    const goodSize = (await stat(log)).size;
    // A crash in the middle of writing a third record: header promises 100 bytes, 3 arrived.
    await appendFile(log, Buffer.concat([encodeRecord(new Uint8Array(100)).subarray(0, 8), Buffer.from([7, 7, 7])]));
    s = await open();
    expect((await s.load('d'))?.updates).toEqual([bytes(1), bytes(2)]);
    expect((await stat(log)).size).toBe(goodSize);
    await s.append('d', bytes(3));
    s = await open();
    expect((await s.load('d'))?.updates).toEqual([bytes(1), bytes(2), bytes(3)]);
  });

  it('quarantines a document whose log is damaged before the tail, and never overwrites it', async () => {
    let s = await open();
    for (const value of [1, 2, 3]) await s.append('d', bytes(value, value, value));
    await s.append('other', bytes(9));
    await s.close();
    storage = undefined;
    const target = await newestFile('log-');
    // Damage the middle record (records are 8 header bytes + 3 payload bytes).
    const damaged = await readFile(target);
    damaged[11 + 8] = (damaged[11 + 8] ?? 0) ^ 0xff;
    await writeFile(target, damaged);

    s = await open();
    await expect(s.load('d')).rejects.toMatchObject({ code: 'document-corrupt' });
    await expect(s.append('d', bytes(4))).rejects.toMatchObject({ code: 'document-corrupt' });
    await expect(s.compact('d', bytes(5))).rejects.toMatchObject({ code: 'document-corrupt' });
    expect(await readFile(target)).toEqual(damaged);
    // Other documents are unaffected.
    expect((await s.load('other'))?.updates).toEqual([bytes(9)]);
  });

  it('quarantines a document whose snapshot is damaged', async () => {
    let s = await open();
    await s.append('d', bytes(1));
    await s.compact('d', bytes(7, 7, 7));
    await s.close();
    storage = undefined;
    const snapshot = await newestFile('snapshot-');
    const damaged = await readFile(snapshot);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 0xff;
    await writeFile(snapshot, damaged);
    s = await open();
    await expect(s.load('d')).rejects.toMatchObject({ code: 'document-corrupt' });
  });

  it('recovers from every crash point of a compaction', async () => {
    let s = await open();
    await s.append('d', bytes(1));
    await s.compact('d', bytes(10)); // generation 1: snapshot-1 = [10]
    await s.append('d', bytes(2)); // log-1
    await s.close();
    storage = undefined;
    const path = docDir();
    const name = (kind: string, generation: number) =>
      join(path, `${kind}-${String(generation).padStart(10, '0')}.bin`);

    // Crash after new records went to log-2 but before snapshot-2 was renamed into place.
    await writeFile(name('log', 2), encodeRecord(bytes(3)));
    await writeFile(`${name('snapshot', 2)}.tmp`, encodeRecord(bytes(99)).subarray(0, 5));
    s = await open();
    expect(await s.load('d')).toEqual({ snapshot: bytes(10), updates: [bytes(2), bytes(3)] });
    await s.close();
    storage = undefined;
    expect((await readdir(path)).some((f) => f.endsWith('.tmp'))).toBe(false);

    // Crash after snapshot-2 is in place but before the old files were deleted.
    await writeFile(name('snapshot', 2), encodeRecord(bytes(10, 2, 3)));
    s = await open();
    expect(await s.load('d')).toEqual({ snapshot: bytes(10, 2, 3), updates: [bytes(3)] });
    expect((await readdir(path)).sort()).toEqual(['log-0000000002.bin', 'name', 'snapshot-0000000002.bin']);
  });

  it('keeps records appended after a compaction that began while the log file was being opened', async () => {
    // Regression: the log handle was labelled with the generation current when open() returned,
    // not the one it opened, so later records went to a file the compaction then deleted.
    let s = await open();
    await s.append('d', bytes(1));
    s = await open();
    await s.load('d');
    const first = s.append('d', bytes(2));
    // Let append() queue its commit (a few microtasks), then run right after that commit started:
    // it is now waiting for open() of log-0, whose completion comes in a later loop phase.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    const compaction = s.compact('d', bytes(1, 2));
    await Promise.all([first, compaction]);
    await s.append('d', bytes(3));
    s = await open();
    const stored = await s.load('d');
    expect(stored?.snapshot).toEqual(bytes(1, 2));
    expect(stored?.updates.at(-1)).toEqual(bytes(3));
  });

  it('compacts while fsyncs of the old log are still running, and keeps every later record', async () => {
    let s = await open();
    const all: Uint8Array[] = [];
    const pending: Promise<void>[] = [];
    // One record per turn, so several batches are fsyncing when each compaction switches logs.
    for (let i = 1; i <= 120; i++) {
      all.push(bytes(i));
      pending.push(s.append('d', bytes(i)));
      if (i % 40 === 20) pending.push(s.compact('d', bytes(0, i)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    s = await open();
    const stored = await s.load('d');
    expect(stored?.snapshot).toEqual(bytes(0, 100));
    // Everything appended after the last compaction is in the log, in order. Records still queued
    // when it began may be there too (the contract allows replaying them), but only as the run of
    // records just before, never with gaps or out of order.
    const updates = stored?.updates ?? [];
    expect(updates.length).toBeGreaterThanOrEqual(20);
    expect(updates).toEqual(all.slice(all.length - updates.length));
  });

  it('keeps a second storage off the same data directory, and takes over a stale lock', async () => {
    await open();
    await expect(createFileStorage({ directory: dir.path })).rejects.toMatchObject({ code: 'data-dir-locked' });
    await storage?.close();
    storage = undefined;
    // A lock left by a process that no longer exists (PIDs this high are not handed out).
    await writeFile(join(dir.path, 'LOCK'), '4194304999\n');
    storage = await createFileStorage({ directory: dir.path });
    expect(await readFile(join(dir.path, 'LOCK'), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+\n$`));
    await storage.close();
    // Our own PID with another start time: an earlier incarnation (a restarted container is PID 1 again).
    await writeFile(join(dir.path, 'LOCK'), `${process.pid} 12345\n`);
    storage = await createFileStorage({ directory: dir.path });
  });

  it('writes the name file of a document whose folder a crash left without one', async () => {
    let s = await open();
    await s.append('named', bytes(1));
    await s.close();
    storage = undefined;
    await unlink(join(docDir('named'), 'name'));
    s = await open();
    await s.append('named', bytes(2));
    expect(await s.list()).toEqual(['named']);
  });

  it('keeps the order of appends made on every microtask and turn while a document opens', async () => {
    const s = await open();
    await s.append('d', bytes(0, 0));
    await s.release('d');
    // An append to an open document skips the wait for the open: none may overtake one still waiting.
    const appends: Promise<void>[] = [];
    for (let i = 1; i <= 120; i++) {
      appends.push(s.append('d', bytes(i)));
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      else await Promise.resolve();
    }
    await Promise.all(appends);
    const updates = (await s.load('d'))?.updates ?? [];
    expect(updates.map((update) => update[0])).toEqual(Array.from({ length: 121 }, (_, i) => i));
  });

  it('shares fsyncs between concurrent appends and acks every one', async () => {
    const s = await open();
    const appends = Array.from({ length: 500 }, (_, i) => s.append('d', bytes(i % 256, 1)));
    await Promise.all(appends);
    expect((await s.load('d'))?.updates).toHaveLength(500);
  });
});
