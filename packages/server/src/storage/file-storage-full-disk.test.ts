import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTempDir } from '../../../../tests/helpers/temp-dir.ts';
import { createFileStorage } from './file-storage.ts';

// A real full disk: a 1 MiB tmpfs. Mounting needs root (CI runs as root); elsewhere the test prints
// why it skips.
let disk: { path: string; remove(): Promise<void> } | undefined;
let skipReason: string | undefined;

beforeAll(async () => {
  const dir = await createTempDir('weft-full-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir.path], { stdio: 'pipe' });
    disk = dir;
  } catch (error) {
    skipReason = `full-disk test skipped: cannot mount a small tmpfs (${String(error).split('\n')[0]}); run as root to include it`;
    console.warn(skipReason);
    await dir.remove();
  }
});

afterAll(async () => {
  if (disk === undefined) return;
  execFileSync('umount', ['-l', disk.path]);
  await disk.remove();
});

/** Writes a file until the disk refuses more. */
async function fillDisk(path: string): Promise<void> {
  await expect(writeFile(path, Buffer.alloc(2 * 1024 * 1024, 1))).rejects.toMatchObject({ code: 'ENOSPC' });
}

it('on a full disk an append fails with a clear error, nothing acknowledged is lost, and appends resume when space returns', async (context) => {
  if (disk === undefined) return context.skip(skipReason);
  const directory = join(disk.path, 'data');
  let storage = await createFileStorage({ directory });
  const acked = [new Uint8Array(3000).fill(1), new Uint8Array(5).fill(2)];
  for (const update of acked) await storage.append('d', update);

  const filler = join(disk.path, 'filler');
  await fillDisk(filler);
  // Larger than any slack left in the log's last page, so the write needs space the disk lacks.
  const refused = new Uint8Array(64 * 1024).fill(3);
  await expect(storage.append('d', refused)).rejects.toMatchObject({
    code: 'storage-failed',
    message: expect.stringMatching(/document "d".*(ENOSPC|short write)/),
  });
  // The log was cut back: it reads clean, with exactly what was acknowledged.
  expect((await storage.load('d'))?.updates).toEqual(acked);

  await rm(filler);
  const later = new Uint8Array(10).fill(4);
  await storage.append('d', later);
  await storage.close();
  storage = await createFileStorage({ directory });
  expect((await storage.load('d'))?.updates).toEqual([...acked, later]);
  await storage.close();
});
