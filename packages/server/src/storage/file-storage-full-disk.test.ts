import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountSmallDisk, type SmallDisk } from '../../../../tests/helpers/small-disk.ts';
import { createFileStorage } from './file-storage.ts';

let disk: SmallDisk;
beforeAll(async () => {
  disk = await mountSmallDisk('1m');
});
afterAll(async () => {
  if ('path' in disk) await disk.remove();
});

it('on a full disk an append fails with a clear error, nothing acknowledged is lost, and appends resume when space returns', async (context) => {
  if (!('path' in disk)) return context.skip(disk.skipReason);
  const directory = join(disk.path, 'data');
  let storage = await createFileStorage({ directory });
  const acked = [new Uint8Array(3000).fill(1), new Uint8Array(5).fill(2)];
  for (const update of acked) await storage.append('d', update);

  const full = await disk.fill();
  // Larger than any slack left in the log's last page, so the write needs space the disk lacks.
  const refused = new Uint8Array(64 * 1024).fill(3);
  await expect(storage.append('d', refused)).rejects.toMatchObject({
    code: 'storage-failed',
    message: expect.stringMatching(/document "d".*(ENOSPC|short write)/),
  });
  // The log was cut back: it reads clean, with exactly what was acknowledged.
  expect((await storage.load('d'))?.updates).toEqual(acked);

  await full.free();
  const later = new Uint8Array(10).fill(4);
  await storage.append('d', later);
  await storage.close();
  storage = await createFileStorage({ directory });
  expect((await storage.load('d'))?.updates).toEqual([...acked, later]);
  await storage.close();
});
