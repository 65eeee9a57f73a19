/** setTimeout fires at once for delays past 2^31 - 1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `expire` at `at` (ms since the epoch), or on the next turn if that has passed. The timer
 * is unref'd: a pending expiry never keeps the process alive.
 */
export function closeAt(at: number, expire: () => void): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    const remaining = at - Date.now();
    timer = setTimeout(remaining > MAX_TIMER_MS ? schedule : expire, Math.max(0, Math.min(remaining, MAX_TIMER_MS)));
    timer.unref();
  };
  schedule();
  return { cancel: () => clearTimeout(timer) };
}
