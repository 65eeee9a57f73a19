import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BenchConfig, medianOf, runShuffled } from './cases.ts';
import { CLIENT_BOUND_CPU, connectFleet, type DeliveryResult, type FleetShape } from './delivery-load.ts';
import { formatMs, formatRatio, type ScenarioReport } from './report.ts';
import type { ServerTarget } from './targets.ts';

export const throughputRampDefaults = {
  shape: { docs: 1, clientsPerDoc: 20, writersPerDoc: 5 } satisfies FleetShape,
  /** Offered updates/s of the first step; each next step offers `growth` times more. */
  startPerSecond: 100,
  growth: 1.5,
  maxSteps: 16,
  p99LimitMs: 50,
  /** A step whose deliveries fall short of this share of what was offered is not sustained either. */
  minDeliveredShare: 0.95,
  full: { warmupMs: 1000, measureMs: 3000, drainTimeoutMs: 3000 },
  quick: { warmupMs: 300, measureMs: 1000, drainTimeoutMs: 2000 },
} as const;

interface RampRun {
  steps: DeliveryResult[];
  /** The last step that held p99 and delivered what was offered (undefined: not even the first). */
  best: DeliveryResult | undefined;
  stoppedBecause: string;
}

function verdict(step: DeliveryResult, expected: number): string | undefined {
  const { p99LimitMs, minDeliveredShare } = throughputRampDefaults;
  if (!(step.p99 <= p99LimitMs)) return `p99 ${formatMs(step.p99)} ms > ${p99LimitMs} ms`;
  if (step.deliveriesPerSecond < expected * minDeliveredShare)
    return `delivered ${Math.round(step.deliveriesPerSecond)}/s of ${Math.round(expected)}/s offered`;
  return undefined;
}

function logStep(target: ServerTarget, rate: number, result: DeliveryResult, failed: string | undefined): void {
  console.log(
    `    ${target.id} ${rate} updates/s: ${Math.round(result.deliveriesPerSecond)} deliveries/s, ` +
      `p99 ${formatMs(result.p99)} ms, server ${Math.round(result.serverCpu * 100)}%, ` +
      `load-gen ${Math.round(result.loadCpu * 100)}%${failed ? ` — fails: ${failed}` : ''}`,
  );
}

async function rampOnce(target: ServerTarget, config: BenchConfig): Promise<RampRun> {
  const { shape, startPerSecond, growth, maxSteps } = throughputRampDefaults;
  const timing = config.quick ? throughputRampDefaults.quick : throughputRampDefaults.full;
  const directory = await mkdtemp(join(config.tempRoot, `ramp-${target.id}-`));
  const server = await target.start({ repoRoot: config.repoRoot, directory });
  const steps: DeliveryResult[] = [];
  let best: DeliveryResult | undefined;
  let stoppedBecause = `reached the last step (${maxSteps})`;
  try {
    const fleet = await connectFleet(target, server, shape);
    try {
      for (let step = 0; step < maxSteps; step++) {
        const rate = Math.round(startPerSecond * growth ** step);
        const expected = rate * (shape.clientsPerDoc - 1);
        let result = await fleet.measure({ ratePerSecond: rate, ...timing });
        let failed = verdict(result, expected);
        logStep(target, rate, result, failed);
        // One retry: a single stall of a shared machine should not end the ramp; two in a row do.
        if (failed) {
          result = await fleet.measure({ ratePerSecond: rate, ...timing });
          failed = verdict(result, expected);
          logStep(target, rate, result, failed);
        }
        steps.push(result);
        if (failed) {
          stoppedBecause = `${failed} (twice)`;
          break;
        }
        best = result;
      }
    } finally {
      await fleet.close();
    }
  } finally {
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
  return { steps, best, stoppedBecause };
}

/** Throughput ramp: the highest deliveries/s each server sustains with p99 under 50 ms. */
export async function runThroughputRamp(
  config: BenchConfig,
  targets: readonly ServerTarget[],
): Promise<ScenarioReport> {
  const { shape, startPerSecond, growth, p99LimitMs } = throughputRampDefaults;
  const timing = config.quick ? throughputRampDefaults.quick : throughputRampDefaults.full;
  const runs = await runShuffled(targets, config, 'throughput-ramp', (target) => rampOnce(target, config));
  const rows = targets.map((target) => {
    const list = runs.get(target.id) ?? [];
    const pick = (read: (best: DeliveryResult) => number) => medianOf(list, (run) => (run.best ? read(run.best) : 0));
    return {
      target: target.name,
      id: target.id,
      sustained: pick((best) => best.deliveriesPerSecond),
      offered: pick((best) => best.offeredPerSecond),
      p99: pick((best) => best.p99),
      serverCpu: pick((best) => best.serverCpu),
      loadCpu: pick((best) => best.loadCpu),
      perRun: list.map((run) => run.best?.deliveriesPerSecond ?? 0),
      stoppedBecause: list.map((run) => run.stoppedBecause),
    };
  });
  const sustainedOf = (id: string) => rows.find((row) => row.id === id)?.sustained ?? Number.NaN;
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  return {
    id: 'throughput-ramp',
    title: `Throughput ramp: highest deliveries/s with p99 ≤ ${p99LimitMs} ms`,
    explanation:
      `One document, ${shape.clientsPerDoc} clients, ${shape.writersPerDoc} writers; the offered rate starts at ` +
      `${startPerSecond} updates/s (× ${shape.clientsPerDoc - 1} deliveries each) and grows ${growth}× per step ` +
      `(${timing.warmupMs / 1000} s warm-up + ${timing.measureMs / 1000} s measured per step, same server and sockets) ` +
      `until p99 passes ${p99LimitMs} ms or under 95% of the offered deliveries arrive, twice in a row at the same step. ` +
      `Median over ${config.repetitions} ramps in shuffled order, each on a fresh server.`,
    table: {
      columns: [
        'server',
        'sustained deliveries/s',
        'per run',
        'at updates/s',
        'p99 ms there',
        'server CPU there',
        'load-gen CPU there',
        '× relay / y-ws / hocus',
        'next step failed on',
      ],
      rows: rows.map((row) => [
        row.target,
        Math.round(row.sustained).toLocaleString('en'),
        row.perRun.map((value) => Math.round(value).toLocaleString('en')).join(' / '),
        Math.round(row.offered).toLocaleString('en'),
        formatMs(row.p99),
        percent(row.serverCpu),
        `${percent(row.loadCpu)}${row.loadCpu > CLIENT_BOUND_CPU ? ' ⚠ client-bound' : ''}`,
        ['relay', 'y-websocket', 'hocuspocus'].map((id) => formatRatio(row.sustained / sustainedOf(id))).join(' / '),
        row.stoppedBecause.join('; '),
      ]),
    },
    notes: [
      'When the load generator is flagged client-bound, the ramp measured the generator, not the server: the true limit is at least the number shown.',
      'Both processes share the same cores; on a 2-core machine the server and the load generator each get about one.',
    ],
    chart: {
      title: `Sustained deliveries/s (p99 ≤ ${p99LimitMs} ms)`,
      unit: '/s',
      lowerIsBetter: false,
      bars: rows.map((row) => ({ label: row.target, value: row.sustained })),
    },
    raw: { options: { ...throughputRampDefaults, timing }, rows, runs: Object.fromEntries(runs) },
  };
}
