import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchConfig, medianOf, runShuffled } from './cases.ts';
import { closeMany, connectLoadClient, connectMany, type LoadClient } from './load-client.ts';
import { sampleProcess } from './process-stats.ts';
import { formatBytes, formatRatio, type ScenarioReport } from './report.ts';
import type { ServerTarget } from './targets.ts';

export const idleMemoryDefaults = {
  full: { connections: 5000, docs: 50 },
  quick: { connections: 1000, docs: 10 },
  /** Time for the server to settle (timers, first GCs) before each RSS reading. */
  settleMs: 2000,
  concurrency: 50,
  goalBytes: 12 * 1024,
} as const;

interface IdleRun {
  baselineRss: number;
  loadedRss: number;
  perConnection: number;
  connectMs: number;
}

async function idleOnce(target: ServerTarget, config: BenchConfig): Promise<IdleRun> {
  const { connections, docs } = config.quick ? idleMemoryDefaults.quick : idleMemoryDefaults.full;
  const directory = await mkdtemp(join(config.tempRoot, `idle-${target.id}-`));
  const server = await target.start({ repoRoot: config.repoRoot, directory });
  const clients: LoadClient[] = [];
  try {
    const open = (index: number) =>
      connectLoadClient({ protocol: target.protocol, baseUrl: server.url, docName: `bench/idle-${index % docs}` });
    // One connection per document first, so the baseline already holds the documents themselves.
    clients.push(...(await connectMany(docs, idleMemoryDefaults.concurrency, open)));
    await sleep(idleMemoryDefaults.settleMs);
    const baseline = sampleProcess(server.pid);
    const start = performance.now();
    clients.push(...(await connectMany(connections - docs, idleMemoryDefaults.concurrency, (i) => open(i + docs))));
    const connectMs = performance.now() - start;
    await sleep(idleMemoryDefaults.settleMs);
    const loaded = sampleProcess(server.pid);
    const perConnection = (loaded.rssBytes - baseline.rssBytes) / (connections - docs);
    console.log(`  idle-memory ${target.id}: ${formatBytes(perConnection)} per connection`);
    return { baselineRss: baseline.rssBytes, loadedRss: loaded.rssBytes, perConnection, connectMs };
  } finally {
    await closeMany(clients);
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** Idle connection memory: RSS growth of each server per open, synced, silent connection. */
export async function runIdleMemory(config: BenchConfig, targets: readonly ServerTarget[]): Promise<ScenarioReport> {
  const { connections, docs } = config.quick ? idleMemoryDefaults.quick : idleMemoryDefaults.full;
  const runs = await runShuffled(targets, config, 'idle-memory', (target) => idleOnce(target, config));
  const rows = targets.map((target) => {
    const list = runs.get(target.id) ?? [];
    return {
      id: target.id,
      target: target.name,
      perConnection: medianOf(list, (run) => run.perConnection),
      perRun: list.map((run) => run.perConnection),
      baselineRss: medianOf(list, (run) => run.baselineRss),
      loadedRss: medianOf(list, (run) => run.loadedRss),
      connectMs: medianOf(list, (run) => run.connectMs),
    };
  });
  const of = (id: string) => rows.find((row) => row.id === id)?.perConnection ?? Number.NaN;
  return {
    id: 'idle-memory',
    title: `Idle connection memory: ${connections.toLocaleString('en')} connections`,
    explanation:
      `${connections.toLocaleString('en')} clients connect to ${docs} documents (${idleMemoryDefaults.concurrency} ` +
      "handshakes at a time), complete the sync handshake and stay silent. Per connection = growth of the server's " +
      `RSS (from /proc) after ${idleMemoryDefaults.settleMs / 1000} s of settling, over a baseline that already has one ` +
      `connection per document. Median of ${config.repetitions} runs in shuffled order; goal for Weft: ≤ ${formatBytes(idleMemoryDefaults.goalBytes)}.`,
    table: {
      columns: [
        'server',
        'per connection',
        'per run',
        'RSS before',
        'RSS after',
        'connect all (s)',
        '× relay / y-ws / hocus',
      ],
      rows: rows.map((row) => [
        row.target,
        formatBytes(row.perConnection),
        row.perRun.map(formatBytes).join(' / '),
        formatBytes(row.baselineRss),
        formatBytes(row.loadedRss),
        (row.connectMs / 1000).toFixed(1),
        ['relay', 'y-websocket', 'hocuspocus'].map((id) => formatRatio(row.perConnection / of(id))).join(' / '),
      ]),
    },
    notes: [
      'RSS includes garbage the server has not collected yet, so single runs are noisy by a few hundred bytes per connection.',
    ],
    chart: {
      title: 'Memory per idle connection',
      unit: 'KiB',
      lowerIsBetter: true,
      bars: rows.map((row) => ({ label: row.target, value: row.perConnection / 1024 })),
    },
    raw: { connections, docs, rows, runs: Object.fromEntries(runs) },
  };
}
