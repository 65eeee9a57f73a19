// The shared engine of the delivery scenarios (fan-out, many documents, throughput ramp): a fleet
// of protocol clients on one server, writers sending marker updates on an open-loop schedule, and
// every other client of the document timing each marker's arrival.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type BenchConfig, medianOf } from './cases.ts';
import type { ChildServer } from './child-server.ts';
import { type HostCpu, readHostCpu, stealShare } from './host-steal.ts';
import { closeMany, connectLoadClient, connectMany, type LoadClient, type ReceivedKind } from './load-client.ts';
import { createMarkerWriter, scanMarkers } from './markers.ts';
import { type OpenLoopOptions, type Probe, runOpenLoop } from './open-loop.ts';
import { coreShare, type ProcessSample, sampleProcess, startSelfCpu } from './process-stats.ts';
import { formatBytes, formatMs, formatRatio, type Table } from './report.ts';
import { summarizeLatencies } from './stats.ts';
import type { ServerTarget } from './targets.ts';

export interface FleetShape {
  docs: number;
  clientsPerDoc: number;
  /** The first `writersPerDoc` clients of each document also write. */
  writersPerDoc: number;
}

/** One measured load level on a connected fleet. */
export interface DeliveryResult {
  /** Updates per second offered over all writers. */
  offeredPerSecond: number;
  /** Marker arrivals at clients other than the writer, per second of the measured window. */
  deliveriesPerSecond: number;
  /** Deliveries that did not arrive within the drain timeout. */
  lostDeliveries: number;
  p50: number;
  p99: number;
  max: number;
  /** Server CPU as a share of one core, from /proc (user + system, all threads). */
  serverCpu: number;
  serverCpuUsPerDelivery: number;
  serverRssBytes: number;
  /** The load generator's own CPU, as a share of one core (its event loop is one core). */
  loadCpu: number;
  maxSendLagMs: number;
  /** Share of the machine's CPU time the VM's host stole over the measured window (host-steal.ts). */
  hostSteal: number;
}

interface Pending {
  sentAt: number;
  writer: number;
  measured: boolean;
  remaining: number;
  done(): void;
}

export interface Fleet {
  server: ChildServer;
  /** Runs one load level: `ratePerSecond` updates per second over all writers. */
  measure(loop: OpenLoopOptions): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** A load generator running above this share of its one core is the bottleneck, not the server. */
export const CLIENT_BOUND_CPU = 0.8;

export async function connectFleet(target: ServerTarget, server: ChildServer, shape: FleetShape): Promise<Fleet> {
  const pending = new Map<number, Pending>();
  const stats = { deliveries: 0, latencies: [] as number[] };
  const deliver = (id: number, receiver: number) => {
    const entry = pending.get(id);
    // Unknown: already complete or from before; the writer itself: y-websocket-server echoes.
    if (entry === undefined || entry.writer === receiver) return;
    if (entry.measured) {
      stats.deliveries += 1;
      stats.latencies.push(performance.now() - entry.sentAt);
    }
    entry.remaining -= 1;
    if (entry.remaining === 0) {
      pending.delete(id);
      entry.done();
    }
  };
  const onMessage = (receiver: number) => (kind: ReceivedKind, frame: Buffer) => {
    if (kind === 'update' || kind === 'sync-step-2') scanMarkers(frame, (id) => deliver(id, receiver));
  };
  const total = shape.docs * shape.clientsPerDoc;
  const clients = await connectMany(total, 50, (index) =>
    connectLoadClient({
      protocol: target.protocol,
      baseUrl: server.url,
      docName: `bench/doc-${Math.floor(index / shape.clientsPerDoc)}`,
      onMessage: onMessage(index),
    }),
  );
  let nextId = 1;
  const probes: Probe[] = [];
  let onFirstMeasured: (() => void) | undefined;
  for (let doc = 0; doc < shape.docs; doc++) {
    for (let w = 0; w < shape.writersPerDoc; w++) {
      const index = doc * shape.clientsPerDoc + w;
      const client = clients[index] as LoadClient;
      const write = createMarkerWriter();
      probes.push((measured) => {
        if (measured && onFirstMeasured) {
          onFirstMeasured();
          onFirstMeasured = undefined;
        }
        const id = nextId++;
        const update = write(id);
        const sent = new Promise<void>((done) => {
          pending.set(id, {
            sentAt: performance.now(),
            writer: index,
            measured,
            remaining: shape.clientsPerDoc - 1,
            done,
          });
        });
        client.sendUpdate(update);
        return sent;
      });
    }
  }

  return {
    server,
    async measure(loop) {
      stats.deliveries = 0;
      stats.latencies = [];
      let before: ProcessSample | undefined;
      let selfCpu: (() => number) | undefined;
      let hostBefore: HostCpu | undefined;
      onFirstMeasured = () => {
        before = sampleProcess(server.pid);
        selfCpu = startSelfCpu();
        hostBefore = readHostCpu();
      };
      const run = await runOpenLoop(probes, loop);
      const after = sampleProcess(server.pid);
      const loadCpu = selfCpu?.() ?? Number.NaN;
      const hostSteal = hostBefore ? stealShare(hostBefore, readHostCpu()) : Number.NaN;
      const expected = run.sent * (shape.clientsPerDoc - 1);
      const serverCpu = before ? coreShare(before, after) : Number.NaN;
      const serverCpuMs = before ? after.cpuMs - before.cpuMs : Number.NaN;
      // Whatever is still pending belongs to this level; the next level must not see it.
      pending.clear();
      const latency = summarizeLatencies(stats.latencies);
      return {
        offeredPerSecond: loop.ratePerSecond,
        deliveriesPerSecond: stats.deliveries / (loop.measureMs / 1000),
        lostDeliveries: expected - stats.deliveries,
        p50: latency.p50,
        p99: latency.p99,
        max: latency.max,
        serverCpu,
        serverCpuUsPerDelivery: (serverCpuMs * 1000) / stats.deliveries,
        serverRssBytes: after.rssBytes,
        loadCpu,
        maxSendLagMs: run.maxSendLagMs,
        hostSteal,
      };
    },
    close: () => closeMany(clients),
  };
}

/** Starts the server, connects the fleet, runs one load level (with its warm-up), tears all down. */
export async function measureTargetOnce(
  target: ServerTarget,
  config: Pick<BenchConfig, 'repoRoot' | 'tempRoot'>,
  shape: FleetShape,
  loop: OpenLoopOptions,
): Promise<DeliveryResult> {
  const directory = await mkdtemp(join(config.tempRoot, `${target.id}-`));
  const server = await target.start({ repoRoot: config.repoRoot, directory });
  try {
    const fleet = await connectFleet(target, server, shape);
    try {
      return await fleet.measure(loop);
    } finally {
      await fleet.close();
    }
  } finally {
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** Medians over repetitions, per field, plus each repetition's p99 and CPU to show the spread. */
export interface DeliverySummary extends DeliveryResult {
  target: string;
  storage: string;
  p99PerRun: number[];
  cpuUsPerDeliveryPerRun: number[];
  clientBound: boolean;
}

export function summarizeRuns(target: ServerTarget, runs: readonly DeliveryResult[]): DeliverySummary {
  const pick = (field: keyof DeliveryResult) => medianOf(runs, (run) => run[field]);
  return {
    target: target.name,
    storage: target.storage,
    offeredPerSecond: pick('offeredPerSecond'),
    deliveriesPerSecond: pick('deliveriesPerSecond'),
    lostDeliveries: pick('lostDeliveries'),
    p50: pick('p50'),
    p99: pick('p99'),
    max: pick('max'),
    serverCpu: pick('serverCpu'),
    serverCpuUsPerDelivery: pick('serverCpuUsPerDelivery'),
    serverRssBytes: pick('serverRssBytes'),
    loadCpu: pick('loadCpu'),
    maxSendLagMs: pick('maxSendLagMs'),
    hostSteal: pick('hostSteal'),
    p99PerRun: runs.map((run) => run.p99),
    cpuUsPerDeliveryPerRun: runs.map((run) => run.serverCpuUsPerDelivery),
    clientBound: pick('loadCpu') > CLIENT_BOUND_CPU,
  };
}

const percent = (share: number) => (Number.isFinite(share) ? `${Math.round(share * 100)}%` : 'n/a');

/** The delivery table: one row per server, with p99 and CPU per delivery against the relay and each peer. */
export function deliveryTable(targets: readonly ServerTarget[], rows: readonly DeliverySummary[]): Table {
  const byId = (id: string, field: 'p99' | 'serverCpuUsPerDelivery') =>
    rows[targets.findIndex((target) => target.id === id)]?.[field] ?? Number.NaN;
  const against = (row: DeliverySummary, field: 'p99' | 'serverCpuUsPerDelivery') =>
    ['relay', 'y-websocket', 'hocuspocus'].map((id) => formatRatio(row[field] / byId(id, field))).join(' / ');
  return {
    columns: [
      'server',
      'stores',
      'p50 ms',
      'p99 ms',
      'p99 per run',
      'deliveries/s',
      'lost',
      'server CPU',
      'CPU µs/delivery',
      'CPU µs per run',
      'server RSS',
      'load-gen CPU',
      'p99 × relay / y-ws / hocus',
      'CPU/delivery × relay / y-ws / hocus',
    ],
    rows: rows.map((row) => [
      row.target,
      row.storage,
      formatMs(row.p50),
      formatMs(row.p99),
      row.p99PerRun.map(formatMs).join(' / '),
      Math.round(row.deliveriesPerSecond).toLocaleString('en'),
      String(Math.round(row.lostDeliveries)),
      percent(row.serverCpu),
      row.serverCpuUsPerDelivery.toFixed(1),
      row.cpuUsPerDeliveryPerRun.map((us) => us.toFixed(1)).join(' / '),
      formatBytes(row.serverRssBytes),
      `${percent(row.loadCpu)}${row.clientBound ? ' ⚠ client-bound' : ''}`,
      against(row, 'p99'),
      against(row, 'serverCpuUsPerDelivery'),
    ]),
  };
}
