import type { BenchConfig } from './cases.ts';
import { deliveryTable } from './delivery-load.ts';
import { deliveryNotes, runDeliveryScenario } from './fan-out.ts';
import type { ScenarioReport } from './report.ts';
import type { ServerTarget } from './targets.ts';

export const longRunDefaults = {
  ratePerSecond: 1000,
  // 20,000 appends first: Yjs merges one writer's consecutive characters into one item, and a server
  // that re-encodes each update from the document pays for that item's length (bench/fixes.md fix 11).
  full: { warmupMs: 20_000, measureMs: 6000, drainTimeoutMs: 5000 },
  quick: { warmupMs: 1000, measureMs: 1000, drainTimeoutMs: 3000 },
} as const;

/** Long run: one writer keeps typing at the end of its own text, one reader receives. */
export async function runLongRun(config: BenchConfig, targets: readonly ServerTarget[]): Promise<ScenarioReport> {
  const timing = config.quick ? longRunDefaults.quick : longRunDefaults.full;
  const loop = { ratePerSecond: longRunDefaults.ratePerSecond, ...timing };
  const shape = { docs: 1, clientsPerDoc: 2, writersPerDoc: 1 };
  const { runs, rows } = await runDeliveryScenario(config, targets, 'long-run', shape, loop);
  const before = (timing.warmupMs / 1000) * loop.ratePerSecond;
  return {
    id: 'long-run',
    title: 'Long run: one writer appends to its own text at 1,000 updates/s, one reader',
    explanation:
      `One client appends a unique marker to the end of a Y.Text ${loop.ratePerSecond} times a second, so its text is ` +
      `one ever longer run; the other client receives. Measured after ${before.toLocaleString('en-US')} appends, for ` +
      `${timing.measureMs / 1000} s. A delivery is one update, so "CPU µs/delivery" is the server's cost per keystroke. ` +
      `Median of ${config.repetitions} runs in shuffled order.`,
    table: deliveryTable(targets, rows),
    notes: deliveryNotes,
    chart: {
      title: 'Long run: server CPU per update',
      unit: 'µs',
      lowerIsBetter: true,
      bars: rows.map((row) => ({ label: row.target, value: row.serverCpuUsPerDelivery })),
    },
    raw: { shape, loop, repetitions: config.repetitions, rows, runs: Object.fromEntries(runs) },
  };
}
