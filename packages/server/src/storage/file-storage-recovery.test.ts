import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWeftError } from '@weft/protocol';
import { expect, it } from 'vitest';
import { createTempDir } from '../../../../tests/helpers/temp-dir.ts';
import { createFileStorage } from './file-storage.ts';
import { encodeRecord, scanRecords } from './record-format.ts';

async function logFileOf(directory: string): Promise<string> {
  const docs = join(directory, 'docs');
  const [prefix] = await readdir(docs);
  const [hash] = await readdir(join(docs, prefix as string));
  const folder = join(docs, prefix as string, hash as string);
  const log = (await readdir(folder)).find((f) => f.startsWith('log-')) as string;
  return join(folder, log);
}

it('a damaged length field before the tail quarantines the document instead of silently truncating acked records', async () => {
  const temp = await createTempDir();
  let storage = await createFileStorage({ directory: temp.path });
  for (let i = 1; i <= 5; i++) await storage.append('doc', new Uint8Array([i, i, i])); // all acked
  await storage.close();
  const path = await logFileOf(temp.path);
  const bytes = await readFile(path);
  bytes[3] = 0x01; // bit flip in the high byte of the FIRST record's length: now 16 MiB, "runs past the end"
  await writeFile(path, bytes);

  storage = await createFileStorage({ directory: temp.path });
  const outcome = await storage.load('doc').then(
    (stored) => ({ stored }),
    (error: unknown) => ({ error }),
  );
  const sizeAfter = (await readFile(path)).length;
  await storage.close();
  await temp.remove();
  // Corruption before the tail quarantines the document; it must never cut away acknowledged records.
  expect(sizeAfter, 'log file was truncated by recovery').toBe(bytes.length);
  expect('error' in outcome && isWeftError(outcome.error, 'document-corrupt')).toBe(true);
});

it('a torn record followed only by zero bytes is a torn tail (docs/storage.md), not corruption', () => {
  const good = encodeRecord(new Uint8Array([1, 2, 3]));
  const torn = encodeRecord(new Uint8Array(100).fill(7));
  torn.fill(0, 8 + 50); // second half of its payload never reached the disk
  const file = Buffer.concat([good, torn, Buffer.alloc(4096)]); // file size was extended, blocks unwritten
  expect(scanRecords(file)).toMatchObject({ kind: 'torn-tail', validBytes: good.length });
});

it('FileStorage keeps an empty update like any other bytes (bytes-in/bytes-out contract)', async () => {
  const temp = await createTempDir();
  const storage = await createFileStorage({ directory: temp.path });
  await storage.append('doc', new Uint8Array(0));
  await storage.append('doc', new Uint8Array([1]));
  await storage.release('doc');
  const loaded = await storage.load('doc').catch((error: Error) => error);
  await storage.close();
  await temp.remove();
  // An empty payload must not become a zero-length record (which would read back as damage).
  expect(loaded).not.toBeInstanceOf(Error);
  expect((loaded as { updates: Uint8Array[] }).updates.filter((u) => u.length > 0)).toEqual([new Uint8Array([1])]);
});
