import { readdir, readlink } from 'node:fs/promises';
import { setPriority } from 'node:os';

/** What `lowerHelperThreadPriority` did: how many threads it lowered, or why it left them. */
export type HelperThreadResult = { lowered: number; nice: number } | { skipped: string };

/** The CLI's default nice value for helper threads (0 is the main thread's; 19 is the lowest). */
export const helperThreadNiceDefault = 10;

/** libuv's pool size as libuv reads it from `UV_THREADPOOL_SIZE` (atoi, at least 1), 4 when unset. */
export function libuvThreadPoolSize(env: string | undefined): number {
  return env === undefined ? 4 : Math.min(Math.max(Number.parseInt(env, 10) || 1, 1), 1024);
}

const SAMPLE_ROUNDS = 20;

/**
 * Lowers the scheduling priority of the process's helper threads on Linux, so that they yield the
 * CPU to the threads that serve clients: every thread but the main one and libuv's thread pool.
 * The helpers are V8's background compiler and GC threads and Node's platform threads.
 *
 * Why: in steady state V8 still optimizes a few functions a second on its background threads. On a
 * small machine such a job takes a core from the main thread or from whoever reads the broadcast,
 * and the update it overlaps arrives ~1 ms late; fan-out 50's p99 is ~10 updates per 10 s
 * (bench/fixes.md, fix 15). libuv's pool keeps its priority: it runs the fsyncs that durable
 * acks wait for.
 *
 * On Linux the nice value is per thread (setpriority(2), "BUGS"), so `setPriority(tid, ...)` moves
 * one thread. libuv's pool threads are found by asking them: an asynchronous readlink of
 * `/proc/thread-self` runs on a pool thread and names it. Raising a nice value needs no privilege.
 */
export async function lowerHelperThreadPriority(nice: number, threadPoolSize: number): Promise<HelperThreadResult> {
  if (process.platform !== 'linux') return { skipped: 'thread priorities are set on Linux only' };
  if (!Number.isInteger(nice) || nice < 1 || nice > 19) throw new RangeError(`helper nice must be 1–19, got ${nice}`);
  const pool = await poolThreadIds(threadPoolSize);
  if (pool.size < threadPoolSize) {
    return { skipped: `found ${pool.size} of libuv's ${threadPoolSize} pool threads, left every thread as it was` };
  }
  const helpers = (await readdir('/proc/self/task')).map(Number).filter((tid) => tid !== process.pid && !pool.has(tid));
  let lowered = 0;
  for (const tid of helpers) {
    try {
      setPriority(tid, nice);
      lowered += 1;
    } catch {
      // The thread exited in between: nothing to lower.
    }
  }
  return { lowered, nice };
}

/** The pool's thread IDs, learned from readlinks that the pool threads run for us. */
async function poolThreadIds(size: number): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let round = 0; round < SAMPLE_ROUNDS && seen.size < size; round++) {
    const links = await Promise.all(Array.from({ length: size * 8 }, () => readlink('/proc/thread-self')));
    for (const link of links) seen.add(Number(link.slice(link.lastIndexOf('/') + 1)));
  }
  return seen;
}
