import type { BenchConfig } from './cases.ts';
import { deliveryTable } from './delivery-load.ts';
import { deliveryNotes, runDeliveryScenario } from './fan-out.ts';
import type { ScenarioReport } from './report.ts';
import type { ServerTarget } from './targets.ts';

export const manyDocumentsDefaults = {
  full: { docs: 500, warmupMs: 3000, measureMs: 10_000, drainTimeoutMs: 5000 },
  quick: { docs: 100, warmupMs: 1000, measureMs: 3000, drainTimeoutMs: 3000 },
  clientsPerDoc: 2,
  ratePerClient: 1,
} as const;

/** Many documents: `docs` documents with 2 clients each, each client writing once a second. */
export async function runManyDocuments(config: BenchConfig, targets: readonly ServerTarget[]): Promise<ScenarioReport> {
  const { clientsPerDoc, ratePerClient } = manyDocumentsDefaults;
  const { docs, ...timing } = config.quick ? manyDocumentsDefaults.quick : manyDocumentsDefaults.full;
  const loop = { ratePerSecond: docs * clientsPerDoc * ratePerClient, ...timing };
  const shape = { docs, clientsPerDoc, writersPerDoc: clientsPerDoc };
  const { runs, rows } = await runDeliveryScenario(config, targets, 'many-documents', shape, loop);
  return {
    id: 'many-documents',
    title: `Many documents: ${docs} documents, ${clientsPerDoc} clients each, ${ratePerClient} update/s per client`,
    explanation:
      `${docs * clientsPerDoc} sockets; every client writes a marker once a second (the schedule spreads them evenly), ` +
      `and the other client of its document times its arrival (${timing.warmupMs / 1000} s warm-up, ` +
      `${timing.measureMs / 1000} s measured). Median of ${config.repetitions} runs in shuffled order.`,
    table: deliveryTable(targets, rows),
    notes: deliveryNotes,
    raw: { shape, loop, repetitions: config.repetitions, rows, runs: Object.fromEntries(runs) },
  };
}
