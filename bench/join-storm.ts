import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as Y from 'yjs';
import { type BenchConfig, medianOf, runShuffled } from './cases.ts';
import type { ChildServer } from './child-server.ts';
import { closeMany, connectLoadClient, type LoadClient, syncStep2Frame } from './load-client.ts';
import { coreShare, sampleProcess } from './process-stats.ts';
import { formatBytes, formatMs, formatRatio, type ScenarioReport } from './report.ts';
import { percentile } from './stats.ts';
import type { ServerTarget } from './targets.ts';
import type { ReplayedTrace } from './trace.ts';

export const joinStormDefaults = {
  full: { clients: 200 },
  quick: { clients: 50 },
  docName: 'bench/join-storm',
  seedTimeoutMs: 30_000,
} as const;

interface JoinRun {
  p50: number;
  p99: number;
  allSyncedMs: number;
  serverCpu: number;
  /** Smallest SyncStep2 received: each joiner must have got the whole document. */
  minSyncBytes: number;
}

/** One client; resolves with the byte size of the SyncStep2 (for the relay: the greeting) it received. */
async function joinOnce(target: ServerTarget, url: string): Promise<{ client: LoadClient; syncBytes: number }> {
  let syncBytes = 0;
  const client = await connectLoadClient({
    protocol: target.protocol,
    baseUrl: url,
    docName: joinStormDefaults.docName,
    onMessage: (kind, frame) => {
      if (kind === 'sync-step-2' || target.protocol === 'relay') syncBytes = Math.max(syncBytes, frame.length);
    },
  });
  if (target.protocol === 'relay') {
    // The relay "syncs" when its greeting (the document) has arrived.
    while (syncBytes === 0) await sleep(1);
  } else await client.synced;
  return { client, syncBytes };
}

/** Uploads the document and waits until a fresh client receives all of it. */
async function seed(target: ServerTarget, server: ChildServer, state: Uint8Array): Promise<LoadClient> {
  const writer = await connectLoadClient({
    protocol: target.protocol,
    baseUrl: server.url,
    docName: joinStormDefaults.docName,
  });
  await writer.synced;
  writer.sendUpdate(state);
  const deadline = performance.now() + joinStormDefaults.seedTimeoutMs;
  while (performance.now() < deadline) {
    const probe = await joinOnce(target, server.url);
    await probe.client.close();
    if (probe.syncBytes >= state.length) return writer;
    await sleep(50);
  }
  throw new Error(`${target.id}: the seeded document never came back whole`);
}

async function stormOnce(target: ServerTarget, config: BenchConfig, state: Uint8Array): Promise<JoinRun> {
  const { clients } = config.quick ? joinStormDefaults.quick : joinStormDefaults.full;
  const directory = await mkdtemp(join(config.tempRoot, `join-${target.id}-`));
  const greetingFile = join(directory, 'greeting.bin');
  await writeFile(greetingFile, syncStep2Frame(state));
  const server = await target.start({ repoRoot: config.repoRoot, directory, greetingFile });
  const joined: LoadClient[] = [];
  try {
    const writer = target.protocol === 'relay' ? undefined : await seed(target, server, state);
    // A few joins first: warms up the server's JIT on the path under test.
    for (let i = 0; i < 3; i++) await (await joinOnce(target, server.url)).client.close();
    const before = sampleProcess(server.pid);
    const start = performance.now();
    const times: number[] = [];
    const results = await Promise.all(
      Array.from({ length: clients }, async () => {
        const result = await joinOnce(target, server.url);
        times.push(performance.now() - start);
        return result;
      }),
    );
    const allSyncedMs = performance.now() - start;
    const after = sampleProcess(server.pid);
    joined.push(...results.map((result) => result.client));
    if (writer) joined.push(writer);
    const run = {
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      allSyncedMs,
      serverCpu: coreShare(before, after),
      minSyncBytes: Math.min(...results.map((result) => result.syncBytes)),
    };
    console.log(`  join-storm ${target.id}: all ${clients} synced in ${formatMs(allSyncedMs)} ms`);
    return run;
  } finally {
    await closeMany(joined);
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** Join storm: N clients join a document the size of automerge-paper at once; time to each one's first full sync. */
export async function runJoinStorm(
  config: BenchConfig,
  targets: readonly ServerTarget[],
  trace: ReplayedTrace,
): Promise<ScenarioReport> {
  const { clients } = config.quick ? joinStormDefaults.quick : joinStormDefaults.full;
  const state = Y.encodeStateAsUpdate(trace.doc);
  const runs = await runShuffled(targets, config, 'join-storm', (target) => stormOnce(target, config, state));
  const rows = targets.map((target) => {
    const list = runs.get(target.id) ?? [];
    return {
      id: target.id,
      target: target.name,
      p50: medianOf(list, (run) => run.p50),
      p99: medianOf(list, (run) => run.p99),
      all: medianOf(list, (run) => run.allSyncedMs),
      perRun: list.map((run) => run.allSyncedMs),
      serverCpu: medianOf(list, (run) => run.serverCpu),
      minSyncBytes: Math.min(...list.map((run) => run.minSyncBytes)),
    };
  });
  const of = (id: string) => rows.find((row) => row.id === id)?.all ?? Number.NaN;
  return {
    id: 'join-storm',
    title: `Join storm: ${clients} clients join the automerge-paper document at once`,
    explanation:
      `The document (${formatBytes(state.length)} as one Yjs update) is uploaded by one client; then ${clients} ` +
      'clients open their sockets at the same moment and each is timed from that moment to the SyncStep2 that gives ' +
      "it the whole document. The relay's row sends a stored copy of the same bytes to each socket on connect (the " +
      `cost of shipping the document, nothing else). Median of ${config.repetitions} runs in shuffled order.`,
    table: {
      columns: [
        'server',
        'p50 ms',
        'p99 ms',
        'all synced ms',
        'per run',
        'server CPU',
        'smallest sync',
        '× relay / y-ws / hocus (all synced)',
      ],
      rows: rows.map((row) => [
        row.target,
        formatMs(row.p50),
        formatMs(row.p99),
        formatMs(row.all),
        row.perRun.map(formatMs).join(' / '),
        `${Math.round(row.serverCpu * 100)}%`,
        formatBytes(row.minSyncBytes),
        ['relay', 'y-websocket', 'hocuspocus'].map((id) => formatRatio(row.all / of(id))).join(' / '),
      ]),
    },
    notes: [
      'Weft loads the document from its FileStorage when the first joiner arrives after an unload; here it is already loaded (the uploader stays connected), as it is for the peers.',
    ],
    chart: {
      title: `Join storm, ${clients} clients: all synced`,
      unit: 'ms',
      lowerIsBetter: true,
      bars: rows.map((row) => ({ label: row.target, value: row.all })),
    },
    raw: { clients, stateBytes: state.length, rows, runs: Object.fromEntries(runs) },
  };
}
