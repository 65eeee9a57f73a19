/** Reconnect delays: exponential growth with full jitter, capped. */
export interface BackoffOptions {
  /** Upper bound of the first retry's delay. */
  initialDelayMs: number;
  /** No retry waits longer than this. */
  maxDelayMs: number;
}

export const backoffDefaults: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 15_000 };

/**
 * The delay before retry number `attempt` (0-based): uniform in [0, min(max, initial * 2^attempt)].
 * Full jitter spreads a crowd of clients that lost the same server, so they do not return at once.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
