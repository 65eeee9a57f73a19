import { type BenchConfig, runShuffled } from './cases.ts';
import {
  type DeliveryResult,
  type DeliverySummary,
  deliveryTable,
  type FleetShape,
  measureTargetOnce,
  summarizeRuns,
} from './delivery-load.ts';
import type { OpenLoopOptions } from './open-loop.ts';
import type { ScenarioReport } from './report.ts';
import type { ServerTarget } from './targets.ts';

export const fanOutDefaults = {
  writers: 5,
  ratePerWriter: 20,
  clients: [50, 200],
  // 20 s at 100 updates/s is 2,000 updates, about what many-documents warms up with (3 s at 1,000/s).
  // At 2 s, `--trace-opt` showed V8 still optimizing the servers' per-update path 10 s in, so the
  // measured window caught half-compiled code (Weft's path is longer than the relay's, so it suffered most).
  full: { warmupMs: 20_000, measureMs: 10_000, drainTimeoutMs: 5000 },
  // A fan-out p99 over 10 s rests on ~10 late updates, and single runs of one server spread by 1-4 ms
  // (bench/fixes.md, "Harness changes"), more than the gaps between servers. So a full run measures
  // fan-out at least 5 times, every server alike, and reports the median.
  minRepetitions: 5,
  quick: { warmupMs: 500, measureMs: 2000, drainTimeoutMs: 3000 },
} as const;

/** The same shape, measured on each server in shuffled rounds; the result and rows for one report. */
export async function runDeliveryScenario(
  config: BenchConfig,
  targets: readonly ServerTarget[],
  label: string,
  shape: FleetShape,
  loop: OpenLoopOptions,
): Promise<{ runs: Map<string, DeliveryResult[]>; rows: DeliverySummary[] }> {
  const runs = await runShuffled(
    targets,
    config,
    label,
    async (target, repetition) => {
      const result = await measureTargetOnce(target, config, shape, loop);
      console.log(
        `  ${label} ${target.id} #${repetition + 1}: p99 ${result.p99.toFixed(2)} ms, ` +
          `${Math.round(result.deliveriesPerSecond)} deliveries/s, server CPU ${Math.round(result.serverCpu * 100)}%, ` +
          `load-gen CPU ${Math.round(result.loadCpu * 100)}%, lost ${result.lostDeliveries}, ` +
          `host steal ${(result.hostSteal * 100).toFixed(1)}%`,
      );
      return result;
    },
    (result) => result.hostSteal,
  );
  return { runs, rows: targets.map((target) => summarizeRuns(target, runs.get(target.id) ?? [])) };
}

/** BENCH_REPETITIONS, raised to `minRepetitions` in a full run (a quick run only checks the harness). */
export function fanOutRepetitions(config: Pick<BenchConfig, 'quick' | 'repetitions'>): number {
  return config.quick ? config.repetitions : Math.max(config.repetitions, fanOutDefaults.minRepetitions);
}

/** Fan-out: one document, `clients` sockets, 5 of them writing at 20 Hz each; every other client receives. */
export async function runFanOut(
  config: BenchConfig,
  targets: readonly ServerTarget[],
  clients: number,
): Promise<ScenarioReport> {
  const { writers, ratePerWriter } = fanOutDefaults;
  const timing = config.quick ? fanOutDefaults.quick : fanOutDefaults.full;
  const repetitions = fanOutRepetitions(config);
  const loop = { ratePerSecond: writers * ratePerWriter, ...timing };
  const shape = { docs: 1, clientsPerDoc: clients, writersPerDoc: writers };
  const { runs, rows } = await runDeliveryScenario(
    { ...config, repetitions },
    targets,
    `fan-out-${clients}`,
    shape,
    loop,
  );
  return {
    id: `fan-out-${clients}`,
    title: `Fan-out: 1 document, ${clients} clients, ${writers} writers at ${ratePerWriter} Hz`,
    explanation:
      `${writers} of the ${clients} clients each insert a unique marker into a Y.Text ${ratePerWriter} times a second ` +
      `(open loop, ${timing.warmupMs / 1000} s warm-up, ${timing.measureMs / 1000} s measured); latency is from the ` +
      `writer's send to each other client's receipt of the marker, timed in the load process; ` +
      `${(clients - 1) * writers * ratePerWriter} deliveries/s offered. Median of ${repetitions} runs in shuffled order.`,
    table: deliveryTable(targets, rows),
    notes: deliveryNotes,
    chart: {
      title: `Fan-out, ${clients} clients: p99 latency`,
      unit: 'ms',
      lowerIsBetter: true,
      bars: rows.map((row) => ({ label: row.target, value: row.p99 })),
    },
    raw: { shape, loop, repetitions, rows, runs: Object.fromEntries(runs) },
  };
}

export const deliveryNotes: readonly string[] = [
  'Weft writes every update to its FileStorage log and fsyncs it (group commit) before acknowledging; the peers keep documents in memory only (that is their default).',
  '"raw ws relay + fsync" is the relay plus the least that durability costs: after forwarding, it appends each message to its document\'s file and fdatasyncs it (one fdatasync in flight per file; messages written meanwhile share the next), with no Yjs and no acks. Weft\'s distance above it is what Weft adds to a durable relay; its distance above the plain relay includes the fsync.',
  'Server CPU is user + system time of the server process from /proc/<pid>/stat over the measured window, as a share of one core; "CPU µs/delivery" divides it by the deliveries measured.',
  "Load-gen CPU is the load process's own CPU over the same window; above 80% of its one core a row is flagged client-bound: its latencies then include the generator's queueing.",
  "Readers find markers by searching each frame for the marker's bytes (Yjs v1 updates carry inserted text verbatim), the same way for every server; no reader decodes Yjs.",
];
