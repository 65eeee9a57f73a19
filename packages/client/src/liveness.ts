/** What a liveness check decides on a timer tick. */
export type LivenessVerdict = 'alive' | 'probe' | 'dead';

/**
 * Decides when a silent connection is dead. Background tabs run timers as rarely as once a minute,
 * so silence alone proves nothing: a probe is sent first, and the connection is given up only when
 * the probe went unanswered for a grace period and the silence lasted the whole timeout.
 */
export interface LivenessCheck {
  /** Anything arrived from the server. */
  received(now: number): void;
  /** A timer tick (however late it fires): what to do now. */
  tick(now: number): LivenessVerdict;
}

export function createLivenessCheck(timeoutMs: number, openedAt: number): LivenessCheck {
  const probeAfterMs = timeoutMs / 4;
  const probeGraceMs = Math.min(10_000, timeoutMs / 4);
  let lastReceivedAt = openedAt;
  let probeSentAt: number | undefined;
  return {
    received(now) {
      lastReceivedAt = now;
      probeSentAt = undefined;
    },
    tick(now) {
      const silentFor = now - lastReceivedAt;
      if (silentFor < probeAfterMs) return 'alive';
      if (probeSentAt === undefined) {
        probeSentAt = now;
        return 'probe';
      }
      return silentFor >= timeoutMs && now - probeSentAt >= probeGraceMs ? 'dead' : 'alive';
    },
  };
}
