/** A token bucket: holds up to `capacity` tokens and refills at `ratePerSecond`. */
export interface TokenBucket {
  /** Takes `amount` tokens; false (and takes nothing) when there are not enough. */
  take(amount: number): boolean;
}

/** Per-connection rate limits, each a token bucket: a sustained rate and the burst above it. */
export interface RateLimitOptions {
  /** Messages (WebSocket frames) per second, sustained. */
  messagesPerSecond: number;
  /** Messages a connection may send at once above the sustained rate. */
  messageBurst: number;
  /** Bytes per second, sustained. */
  bytesPerSecond: number;
  /** Bytes a connection may send at once (raised to maxPayload if lower, so every legal frame fits). */
  byteBurst: number;
}

/**
 * Generous on purpose: an honest editor sends tens of messages a second while typing (plus
 * awareness), and a reconnect pushes its offline edits in one SyncStep2.
 */
export const rateLimitDefaults: RateLimitOptions = {
  messagesPerSecond: 200,
  messageBurst: 1000,
  bytesPerSecond: 4 * 1024 * 1024,
  byteBurst: 32 * 1024 * 1024,
};

export function createTokenBucket(ratePerSecond: number, capacity: number, now = () => performance.now()): TokenBucket {
  let tokens = capacity;
  let updatedAt = now();
  return {
    take(amount) {
      const time = now();
      tokens = Math.min(capacity, tokens + ((time - updatedAt) / 1000) * ratePerSecond);
      updatedAt = time;
      if (tokens < amount) return false;
      tokens -= amount;
      return true;
    },
  };
}

/** Both buckets of one connection; `allow(bytes)` is false once a frame exceeds either. */
export function createRateLimiter(options: RateLimitOptions, maxPayload: number): { allow(bytes: number): boolean } {
  const messages = createTokenBucket(options.messagesPerSecond, options.messageBurst);
  const bytes = createTokenBucket(options.bytesPerSecond, Math.max(options.byteBurst, maxPayload));
  return { allow: (size) => messages.take(1) && bytes.take(size) };
}
