import { fdatasync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTempDir } from '../../../../tests/helpers/temp-dir.ts';
import { waitFor } from '../../../../tests/helpers/wait-for.ts';
import { silentLogger } from '../logger.ts';
import { type AppendLog, createGroupCommit } from './group-commit.ts';
import { encodeRecord, scanRecords } from './record-format.ts';

/** An fdatasync the test lets finish (really running it) or fail, when it chooses. */
interface HeldSync {
  finish(): void;
  fail(error: Error): void;
}

/** A real log file, and an fdatasync that waits for the test before it really runs (or fails). */
async function heldLog(path: string) {
  const handle = await open(path, 'a');
  const syncs: HeldSync[] = [];
  const datasync = (fd: number, done: (error: Error | null) => void) => {
    syncs.push({ finish: () => fdatasync(fd, done), fail: done });
  };
  return { log: { handle, size: 0 } satisfies AppendLog, syncs, datasync, close: () => handle.close() };
}

/** Tracks whether a promise has settled, and how. */
function watch(promise: Promise<void>) {
  const state = { settled: 'pending' as 'pending' | 'resolved' | 'rejected', error: undefined as unknown };
  promise.then(
    () => {
      state.settled = 'resolved';
    },
    (error: unknown) => {
      state.settled = 'rejected';
      state.error = error;
    },
  );
  return state;
}

const record = (...values: number[]) => encodeRecord(new Uint8Array(values));
// For checks that something does NOT happen: long enough for a real fdatasync on this disk to finish.
const aWhile = () => new Promise((resolve) => setTimeout(resolve, 100));

let dir: { path: string; remove(): Promise<void> };
let closeLog: (() => Promise<void>) | undefined;
beforeEach(async () => {
  dir = await createTempDir();
});
afterEach(async () => {
  await closeLog?.();
  closeLog = undefined;
  await dir.remove();
});

async function setUp() {
  const path = join(dir.path, 'log.bin');
  const held = await heldLog(path);
  closeLog = held.close;
  const commits = createGroupCommit({
    name: 'd',
    logger: silentLogger,
    delayMs: 0,
    log: () => held.log,
    datasync: held.datasync,
  });
  const stored = async () => {
    const scan = scanRecords(await readFile(path));
    expect(scan.kind).toBe('clean');
    return scan.records.map((r) => [...r]);
  };
  return { commits, syncs: held.syncs, log: held.log, stored };
}

it('starts a second fdatasync while the first runs, and acknowledges in order', async () => {
  const { commits, syncs, stored } = await setUp();
  const first = watch(commits.append(record(1)));
  await waitFor(() => syncs.length === 1, 'the first fdatasync');
  const second = watch(commits.append(record(2)));
  await waitFor(() => syncs.length === 2, 'a second fdatasync while the first runs');

  // The second finishes first, but its ack waits: acks never overtake an earlier batch.
  syncs[1]?.finish();
  await aWhile();
  expect([first.settled, second.settled]).toEqual(['pending', 'pending']);
  syncs[0]?.finish();
  await waitFor(() => second.settled === 'resolved', 'the second ack');
  expect(first.settled).toBe('resolved');
  expect(await stored()).toEqual([[1], [2]]);
});

it('with four fdatasyncs running, later records wait and then share one', async () => {
  const { commits, syncs, stored } = await setUp();
  const appends: Promise<void>[] = [];
  for (let value = 1; value <= 4; value++) {
    appends.push(commits.append(record(value)));
    await waitFor(() => syncs.length === value, `fdatasync ${value}`);
  }
  appends.push(commits.append(record(5)), commits.append(record(6)));
  await aWhile();
  expect(syncs).toHaveLength(4);

  syncs[0]?.finish();
  await waitFor(() => syncs.length === 5, 'one fdatasync for records 5 and 6');
  for (const sync of syncs.slice(1)) sync.finish();
  await Promise.all(appends);
  expect(syncs).toHaveLength(5);
  expect(await stored()).toEqual([[1], [2], [3], [4], [5], [6]]);
});

it('a failed fdatasync fails every batch after it, cuts the log back, and appending goes on', async () => {
  const { commits, syncs, log, stored } = await setUp();
  await Promise.all([
    commits.append(record(1)),
    waitFor(() => syncs.length === 1, 'sync').then(() => syncs[0]?.finish()),
  ]);
  const sizeBefore = log.size;

  const failing = watch(commits.append(record(2)));
  await waitFor(() => syncs.length === 2, 'the second fdatasync');
  const after = watch(commits.append(record(3)));
  await waitFor(() => syncs.length === 3, 'the third fdatasync');
  // The later fsync succeeds, but record 3 sits behind record 2 in the file: it must not be acked.
  syncs[2]?.finish();
  syncs[1]?.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await waitFor(() => after.settled !== 'pending', 'the later batch to be answered');
  expect([failing.settled, after.settled]).toEqual(['rejected', 'rejected']);
  expect(failing.error).toMatchObject({ code: 'storage-failed', message: expect.stringContaining('EIO') });
  expect(after.error).toBe(failing.error);

  const next = commits.append(record(4));
  await waitFor(() => syncs.length === 4, 'an fdatasync after the rollback');
  expect(log.size).toBe(sizeBefore + record(4).length);
  syncs[3]?.finish();
  await next;
  expect(await stored()).toEqual([[1], [4]]);
});

it('a batch queued when an fdatasync fails waits for the cut-back and is then written', async () => {
  const { commits, syncs, stored } = await setUp();
  const first = watch(commits.append(record(1)));
  await waitFor(() => syncs.length === 1, 'the first fdatasync');
  // Queued for the next turn; the failure lands before that turn, while the cut-back is still to come.
  const second = commits.append(record(2));
  syncs[0]?.fail(new Error('EIO'));
  await waitFor(() => syncs.length === 2, 'the second batch, after the cut-back');
  syncs[1]?.finish();
  await second;
  expect(first.settled).toBe('rejected');
  expect(await stored()).toEqual([[2]]);
});

it('a batch that fails after an earlier one succeeded is cut back alone', async () => {
  const { commits, syncs, stored } = await setUp();
  const first = commits.append(record(1));
  await waitFor(() => syncs.length === 1, 'the first fdatasync');
  const second = watch(commits.append(record(2)));
  await waitFor(() => syncs.length === 2, 'the second fdatasync');
  syncs[1]?.fail(new Error('EIO'));
  await aWhile();
  expect(second.settled).toBe('pending');
  syncs[0]?.finish();
  await first;
  await waitFor(() => second.settled === 'rejected', 'the failed batch');
  await commits.drain();
  expect(await stored()).toEqual([[1]]);
});

it('a batch too large for a synchronous write waits until no fdatasync runs', async () => {
  const { commits, syncs, log, stored } = await setUp();
  const small = commits.append(record(1));
  await waitFor(() => syncs.length === 1, 'the first fdatasync');
  const sizeWithSmall = log.size;
  const large = new Uint8Array(100 * 1024).fill(7);
  const big = commits.append(encodeRecord(large));
  await aWhile();
  expect(log.size).toBe(sizeWithSmall);
  expect(syncs).toHaveLength(1);
  syncs[0]?.finish();
  await small;
  await waitFor(() => syncs.length === 2, 'the large batch to be written');
  syncs[1]?.finish();
  await big;
  const records = await stored();
  expect(records).toHaveLength(2);
  expect(records[1]).toHaveLength(large.length);
});

it('when the log cannot be cut back after a failed write, later appends are refused', async () => {
  // /dev/full: every write fails with ENOSPC, and a character device cannot be truncated.
  const handle = await open('/dev/full', 'a');
  closeLog = () => handle.close();
  const commits = createGroupCommit({
    name: 'd',
    logger: silentLogger,
    delayMs: 0,
    log: async () => ({ handle, size: 0 }),
  });
  await expect(commits.append(record(1))).rejects.toMatchObject({
    code: 'storage-failed',
    message: expect.stringContaining('ENOSPC'),
  });
  await commits.drain();
  await expect(commits.append(record(2))).rejects.toMatchObject({
    code: 'storage-failed',
    message: expect.stringMatching(/EINVAL|truncate/),
  });
});
