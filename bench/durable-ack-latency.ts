import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchConfig } from './cases.ts';
import { fdatasyncTarget, type LatencyTarget, peerAckTarget, weftTarget, wsEchoTarget } from './latency-targets.ts';
import { type OpenLoopOptions, type OpenLoopResult, runOpenLoop } from './open-loop.ts';
import { formatMs, type ScenarioReport } from './report.ts';
import { type LatencySummary, summarizeLatencies } from './stats.ts';
import type { WeftBuild } from './targets.ts';

export const durableAckDefaults = {
  writers: 4,
  loop: { ratePerSecond: 1000, warmupMs: 1000, measureMs: 5000, drainTimeoutMs: 10_000 } satisfies OpenLoopOptions,
  quickLoop: { ratePerSecond: 1000, warmupMs: 300, measureMs: 1000, drainTimeoutMs: 5000 } satisfies OpenLoopOptions,
} as const;

interface TargetResult extends LatencySummary {
  target: string;
  ackMeans: string;
  p99PerRun: number[];
  sent: number;
  lost: number;
  ackedPerSecond: number;
  maxSendLagMs: number;
}

/** Everything the scenario compares; `runs` chooses Weft's dist/ (the bench) or its sources (the harness's tests). */
export function durableAckTargets(
  config: Pick<BenchConfig, 'repoRoot' | 'weftScript'>,
  runs: WeftBuild = 'dist',
): LatencyTarget[] {
  const { repoRoot, weftScript } = config;
  return [
    weftTarget('Weft + FileStorage', 'durable: fsynced', repoRoot, weftScript, ['--data-dir', '<dir>'], runs),
    weftTarget('Weft + MemoryStorage', 'in memory (no fsync)', repoRoot, weftScript, [], runs),
    peerAckTarget('@hocuspocus/server 4', 'applied in memory (SyncStatus)', repoRoot, 'hocuspocus'),
    peerAckTarget('@y/websocket-server 0.1.1', 'applied in memory (own update echoed)', repoRoot, 'y-websocket'),
    fdatasyncTarget,
    wsEchoTarget(repoRoot),
  ];
}

async function measureOnce(target: LatencyTarget, tempRoot: string, loop: OpenLoopOptions): Promise<OpenLoopResult> {
  const directory = await mkdtemp(join(tempRoot, 'latency-'));
  const running = await target.start(durableAckDefaults.writers, directory);
  try {
    return await runOpenLoop(running.probes, loop);
  } finally {
    await running.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

function combineRuns(target: LatencyTarget, runs: OpenLoopResult[], loop: OpenLoopOptions): TargetResult {
  const latencies = runs.flatMap((run) => run.latenciesMs);
  const measuredSeconds = (runs.length * loop.measureMs) / 1000;
  return {
    target: target.name,
    ackMeans: target.ackMeans,
    ...summarizeLatencies(latencies),
    p99PerRun: runs.map((run) => summarizeLatencies(run.latenciesMs).p99),
    sent: runs.reduce((sum, run) => sum + run.sent, 0),
    lost: runs.reduce((sum, run) => sum + run.lost, 0),
    ackedPerSecond: latencies.length / measuredSeconds,
    maxSendLagMs: Math.max(...runs.map((run) => run.maxSendLagMs)),
  };
}

/** Scenario 1: send-to-ack latency at a fixed 1,000 updates/s, Weft against its own limits. */
export async function runDurableAckLatency(config: BenchConfig): Promise<ScenarioReport> {
  const { writers } = durableAckDefaults;
  // Every target runs once per round, rounds interleaved, so a noisy moment on the machine hits all of them alike.
  const rounds = config.repetitions;
  const loop = config.quick ? durableAckDefaults.quickLoop : durableAckDefaults.loop;
  const { ratePerSecond, warmupMs, measureMs } = loop;
  const list = durableAckTargets(config);
  const runs = list.map((): OpenLoopResult[] => []);
  // One target at a time, so they never share the CPU or the disk.
  for (let round = 0; round < rounds; round++) {
    for (const [i, target] of list.entries()) {
      const measure = () => measureOnce(target, config.tempRoot, loop);
      runs[i]?.push(await config.steal.run('durable-ack-latency', target.name, measure));
    }
  }
  const results = list.map((target, i) => combineRuns(target, runs[i] ?? [], loop));
  return {
    id: 'durable-ack-latency',
    title: `Durable-ack latency at ${ratePerSecond.toLocaleString('en')} updates/s`,
    explanation:
      `${writers} writers on one document send small Y.Text inserts on a fixed open-loop schedule ` +
      `(${ratePerSecond}/s in total, ${warmupMs / 1000} s warm-up, ${measureMs / 1000} s measured, ` +
      `${rounds} interleaved runs per row, percentiles over all of them); latency is from send to the ` +
      'acknowledgement, measured in the load generator; servers run in a child process.',
    table: {
      columns: ['target', 'ack means', 'p50 ms', 'p99 ms', 'max ms', 'p99 per run', 'acked/s', 'lost', 'send lag ms'],
      rows: results.map((r) => [
        r.target,
        r.ackMeans,
        formatMs(r.p50),
        formatMs(r.p99),
        formatMs(r.max),
        r.p99PerRun.map(formatMs).join(' / '),
        r.ackedPerSecond.toFixed(0),
        String(r.lost),
        formatMs(r.maxSendLagMs),
      ]),
    },
    notes: [
      '"send lag" is how late the load generator sent its worst message: a stall of the generator (or the ' +
        'whole machine) that also delays the acks it timestamps. "lost": not acknowledged within the drain timeout.',
      "The peers have no durable acknowledgement: Hocuspocus answers each update with SyncStatus once it is applied in memory, and @y/websocket-server's echo of the writer's own update is the closest it has. Neither has written anything to disk at that point; Weft's FileStorage row has fsynced it.",
    ],
    raw: { options: { writers, rounds, loop }, results },
  };
}
