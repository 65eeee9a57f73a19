import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as Y from 'yjs';
import { type BenchConfig, medianOf, runShuffled } from './cases.ts';
import { connectLoadClient, readUpdatePayload } from './load-client.ts';
import { coreShare, sampleProcess, startSelfCpu } from './process-stats.ts';
import { formatBytes, formatMs, formatRatio, type ScenarioReport } from './report.ts';
import type { ServerTarget } from './targets.ts';
import type { ReplayedTrace } from './trace.ts';

export const traceReplayDefaults = {
  /** Updates sent but not yet seen by the reader, at most: typing, not a bulk upload. */
  window: 256,
  quickUpdates: 20_000,
  timeoutMs: 300_000,
} as const;

interface ReplayRun {
  totalMs: number;
  writerSentBytes: number;
  readerReceivedBytes: number;
  serverCpu: number;
  loadCpu: number;
}

/** What the reader must end with, and the writer's clock after each update (to follow the reader's progress). */
interface ReplayPlan {
  updates: readonly Uint8Array[];
  writerClient: number;
  clockAfter: number[];
  expectedText: string;
  updateBytes: number;
}

function planReplay(trace: ReplayedTrace, count: number): ReplayPlan {
  const updates = trace.updates.slice(0, count);
  const writerClient = trace.doc.clientID;
  const clockAfter: number[] = [];
  let clock = 0;
  for (const update of updates) {
    clock = Math.max(clock, Y.parseUpdateMeta(update).to.get(writerClient) ?? 0);
    clockAfter.push(clock);
  }
  const expected =
    count >= trace.updates.length
      ? trace.doc.getText('text').toString()
      : (() => {
          const doc = new Y.Doc();
          Y.transact(doc, () => {
            for (const update of updates) Y.applyUpdate(doc, update);
          });
          return doc.getText('text').toString();
        })();
  const updateBytes = updates.reduce((sum, update) => sum + update.length, 0);
  return { updates, writerClient, clockAfter, expectedText: expected, updateBytes };
}

async function replayOnce(target: ServerTarget, config: BenchConfig, plan: ReplayPlan): Promise<ReplayRun> {
  const directory = await mkdtemp(join(config.tempRoot, `replay-${target.id}-`));
  const server = await target.start({ repoRoot: config.repoRoot, directory });
  const docName = 'bench/trace-replay';
  try {
    const readerDoc = new Y.Doc();
    const readerText = readerDoc.getText('text');
    let seen = 0;
    let wake: () => void = () => {};
    const reader = await connectLoadClient({
      protocol: target.protocol,
      baseUrl: server.url,
      docName,
      onMessage: (kind, frame) => {
        if (kind !== 'update' && kind !== 'sync-step-2') return;
        const update = readUpdatePayload(frame, target.protocol);
        if (update === undefined) return;
        // Copied: the frame is a view into the load client's read buffer, and Yjs may keep views.
        Y.applyUpdate(readerDoc, update.slice());
        const clock = Y.getState(readerDoc.store, plan.writerClient);
        while (seen < plan.clockAfter.length && (plan.clockAfter[seen] as number) <= clock) seen++;
        wake();
      },
    });
    const writer = await connectLoadClient({ protocol: target.protocol, baseUrl: server.url, docName });
    await Promise.all([reader.synced, writer.synced]);
    const before = sampleProcess(server.pid);
    const selfCpu = startSelfCpu();
    const start = performance.now();
    const deadline = start + traceReplayDefaults.timeoutMs;
    let sent = 0;
    const progress = () => new Promise<void>((resolve) => (wake = resolve));
    while (sent < plan.updates.length || readerText.length !== plan.expectedText.length || seen < sent) {
      if (performance.now() > deadline) throw new Error(`${target.id}: trace replay timed out at ${seen}/${sent}`);
      const closed = writer.closedWith() ?? reader.closedWith();
      if (closed) throw new Error(`${target.id}: the server closed a socket (${closed}) at ${seen}/${sent}`);
      while (sent < plan.updates.length && sent - seen < traceReplayDefaults.window) {
        writer.sendUpdate(plan.updates[sent] as Uint8Array);
        sent++;
      }
      // Deletions do not move the writer's clock, so the last ones are waited for by the text's length.
      await Promise.race([progress(), new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    const totalMs = performance.now() - start;
    const after = sampleProcess(server.pid);
    const loadCpu = selfCpu();
    if (readerText.toString() !== plan.expectedText)
      throw new Error(`${target.id}: the reader ended with a different text`);
    const run = {
      totalMs,
      writerSentBytes: writer.wireBytes().sent,
      readerReceivedBytes: reader.wireBytes().received,
      serverCpu: coreShare(before, after),
      loadCpu,
    };
    console.log(`  trace-replay ${target.id}: ${formatMs(totalMs)} ms`);
    await Promise.all([reader.close(), writer.close()]);
    return run;
  } finally {
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** End-to-end trace replay: every automerge-paper edit typed by one client, received by another through the server. */
export async function runTraceReplay(
  config: BenchConfig,
  targets: readonly ServerTarget[],
  trace: ReplayedTrace,
): Promise<ScenarioReport> {
  const count = config.quick ? traceReplayDefaults.quickUpdates : trace.updates.length;
  const plan = planReplay(trace, count);
  const runs = await runShuffled(targets, config, 'trace-replay', (target) => replayOnce(target, config, plan));
  const rows = targets.map((target) => {
    const list = runs.get(target.id) ?? [];
    return {
      id: target.id,
      target: target.name,
      totalMs: medianOf(list, (run) => run.totalMs),
      perRun: list.map((run) => run.totalMs),
      up: medianOf(list, (run) => run.writerSentBytes),
      down: medianOf(list, (run) => run.readerReceivedBytes),
      serverCpu: medianOf(list, (run) => run.serverCpu),
      loadCpu: medianOf(list, (run) => run.loadCpu),
    };
  });
  const of = (id: string) => rows.find((row) => row.id === id)?.totalMs ?? Number.NaN;
  return {
    id: 'trace-replay',
    title: `End-to-end trace replay: ${count.toLocaleString('en')} automerge-paper updates through each server`,
    explanation:
      `One client sends the trace's updates (one per transaction, ${formatBytes(plan.updateBytes)} of Yjs updates in all), ` +
      `keeping at most ${traceReplayDefaults.window} ahead of what the other client has received; the other client applies ` +
      "everything to a Y.Doc and must end with the trace's final text. Bytes are TCP payload bytes of each socket after the " +
      `HTTP upgrade (WebSocket framing included). Median of ${config.repetitions} runs in shuffled order.`,
    table: {
      columns: [
        'server',
        'total s',
        'per run',
        'updates/s',
        'writer → server',
        'server → reader',
        'server CPU',
        'load-gen CPU',
        '× relay / y-ws / hocus',
      ],
      rows: rows.map((row) => [
        row.target,
        (row.totalMs / 1000).toFixed(2),
        row.perRun.map((ms) => (ms / 1000).toFixed(2)).join(' / '),
        Math.round(count / (row.totalMs / 1000)).toLocaleString('en'),
        formatBytes(row.up),
        formatBytes(row.down),
        `${Math.round(row.serverCpu * 100)}%`,
        `${Math.round(row.loadCpu * 100)}%`,
        ['relay', 'y-websocket', 'hocuspocus'].map((id) => formatRatio(row.totalMs / of(id))).join(' / '),
      ]),
    },
    notes: [
      'Hocuspocus and Weft merge the updates they broadcast within one event-loop turn, so their reader gets fewer, larger messages.',
      'Every server here is CPU-bound (see server CPU): the 50 ms timer in the replay loop only re-checks, it never delays a send. A run with low CPU everywhere means the machine was busy, not that a server waited.',
      '@y/websocket-server also echoes each update back to its sender (not counted in "server → reader").',
    ],
    chart: {
      title: 'Trace replay end to end',
      unit: 's',
      lowerIsBetter: true,
      bars: rows.map((row) => ({ label: row.target, value: row.totalMs / 1000 })),
    },
    raw: { updates: count, updateBytes: plan.updateBytes, rows, runs: Object.fromEntries(runs) },
  };
}
