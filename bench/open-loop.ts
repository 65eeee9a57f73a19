import { setTimeout as sleep } from 'node:timers/promises';

/** Sends one message and resolves when its acknowledgement arrives; `measured` is false during the warm-up. */
export type Probe = (measured: boolean) => Promise<void>;

export interface OpenLoopOptions {
  /** Messages per second over all probes together. */
  ratePerSecond: number;
  /** Sends before this point are not measured (JIT, socket buffers, first fsyncs). */
  warmupMs: number;
  measureMs: number;
  /** How long to wait for the last acknowledgements after the final send. */
  drainTimeoutMs: number;
}

export interface OpenLoopResult {
  /** Send-to-ack times of the measured messages that were acknowledged. */
  latenciesMs: number[];
  /** Measured messages sent. */
  sent: number;
  /** Measured messages that failed or were not acknowledged within the drain timeout. */
  lost: number;
  /** Worst delay between a message's scheduled time and its send: shows the generator kept up. */
  maxSendLagMs: number;
}

/**
 * Open-loop load: message k goes out at `start + k / rate` through probe `k % probes.length`,
 * whether or not earlier ones were acknowledged, so a slow server cannot slow the schedule down
 * and hide its own latency. Sends are due by index, never by "last send + interval", so timer
 * jitter never accumulates into drift.
 */
export async function runOpenLoop(probes: readonly Probe[], options: OpenLoopOptions): Promise<OpenLoopResult> {
  const intervalMs = 1000 / options.ratePerSecond;
  const firstMeasured = Math.round(options.warmupMs / intervalMs);
  const total = firstMeasured + Math.round(options.measureMs / intervalMs);
  const latenciesMs: number[] = [];
  const measured: Promise<void>[] = [];
  let maxSendLagMs = 0;

  const send = (index: number, scheduledAt: number) => {
    const probe = probes[index % probes.length] as Probe;
    const sentAt = performance.now();
    const acked = probe(index >= firstMeasured);
    if (index < firstMeasured) {
      acked.catch(() => undefined);
      return;
    }
    maxSendLagMs = Math.max(maxSendLagMs, sentAt - scheduledAt);
    // A failed probe simply never records a latency; it is counted as lost below.
    measured.push(acked.then(() => void latenciesMs.push(performance.now() - sentAt)).catch(() => undefined));
  };

  const start = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    for (; next < total && start + next * intervalMs <= now; next++) send(next, start + next * intervalMs);
    if (next < total) await sleep(Math.max(0, start + next * intervalMs - performance.now()));
  }

  await Promise.race([Promise.all(measured), sleep(options.drainTimeoutMs, undefined, { ref: false })]);
  const sent = total - firstMeasured;
  // Copy: acks arriving after the drain timeout must not change the result.
  const acked = [...latenciesMs];
  return { latenciesMs: acked, sent, lost: sent - acked.length, maxSendLagMs };
}
