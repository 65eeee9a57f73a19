import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { libuvThreadPoolSize, lowerHelperThreadPriority } from './helper-thread-priority.ts';

const run = promisify(execFile);

describe('libuvThreadPoolSize', () => {
  it('reads UV_THREADPOOL_SIZE the way libuv does', () => {
    expect(libuvThreadPoolSize(undefined)).toBe(4);
    expect(libuvThreadPoolSize('8')).toBe(8);
    expect(libuvThreadPoolSize('0')).toBe(1);
    expect(libuvThreadPoolSize('many')).toBe(1);
    expect(libuvThreadPoolSize('5000')).toBe(1024);
  });
});

// In a child process: lowering the test runner's own threads would slow the other tests.
const CHILD = `
import { readlink } from 'node:fs/promises';
const { lowerHelperThreadPriority } = await import('./packages/server/src/helper-thread-priority.ts');
const { threadNices } = await import('./tests/helpers/thread-nices.ts');
const result = await lowerHelperThreadPriority(12, 4);
const pool = new Set();
for (let i = 0; i < 20 && pool.size < 4; i++) {
  for (const link of await Promise.all(Array.from({ length: 32 }, () => readlink('/proc/thread-self')))) pool.add(Number(link.split('/').pop()));
}
// The pool is sampled again here, independently of the code under test.
const threads = (await threadNices(process.pid)).map(({ tid, nice }) => ({ tid, nice, main: tid === process.pid, pool: pool.has(tid) }));
console.log(JSON.stringify({ result, threads }));
`;

describe('lowerHelperThreadPriority', () => {
  it.skipIf(process.platform !== 'linux')(
    'lowers every thread but the main one and the pool threads, which it finds by asking them (Linux only)',
    async () => {
      const { stdout } = await run(
        process.execPath,
        ['--conditions=@weft/source', '--import', 'tsx', '--input-type=module', '-e', CHILD],
        { cwd: new URL('../../../', import.meta.url), env: { ...process.env, UV_THREADPOOL_SIZE: '4' } },
      );
      const { result, threads } = JSON.parse(stdout) as {
        result: { lowered: number; nice: number };
        threads: { tid: number; nice: number; main: boolean; pool: boolean }[];
      };
      expect(threads.filter((thread) => thread.pool)).toHaveLength(4);
      for (const thread of threads)
        expect(thread.nice, JSON.stringify(thread)).toBe(thread.main || thread.pool ? 0 : 12);
      expect(result).toEqual({ lowered: threads.length - 5, nice: 12 });
      expect(result.lowered).toBeGreaterThanOrEqual(4);
    },
  );

  it.skipIf(process.platform !== 'linux')('refuses a nice value outside 1–19 (Linux only)', async () => {
    await expect(lowerHelperThreadPriority(0, 4)).rejects.toThrow(/1–19/);
    await expect(lowerHelperThreadPriority(20, 4)).rejects.toThrow(/1–19/);
  });
});
