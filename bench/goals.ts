// The "Goals" section of docs/benchmarks.md: each performance goal of issue 6 against the number
// this run measured, met or not. Computed from the scenarios' raw results, never typed in by hand.
import { formatBytes, formatMs, formatRatio, renderTable, type ScenarioReport } from './report.ts';

interface DeliveryRow {
  target: string;
  p99: number;
  serverCpuUsPerDelivery: number;
}
interface IdRow {
  id: string;
}

const WEFT = 'Weft';
const RELAY = 'raw ws relay';
const DURABLE_RELAY = 'raw ws relay + fsync';

/** What each goal allows. */
export const goals = {
  /** CPU per delivered message, at most this many times the relay's. */
  cpuPerDeliveryVsRelay: 1.5,
  /** Sustained deliveries/s, at least this share of the relay's. */
  sustainedVsRelay: 0.8,
  /** Idle connection memory (RSS growth per connection). */
  idleConnectionBytes: 12 * 1024,
  /** Cold load, at most this many times Y.applyUpdate of the same bytes. */
  coldLoadVsApply: 1.2,
} as const;

const verdict = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? '**met**' : '**not met**');
/** A second verdict in the same cell, in brackets and not bold. */
const aside = (label: string, met: boolean) => ` (${label}: ${verdict(met).replaceAll('*', '')})`;

function rawOf<T>(reports: readonly ScenarioReport[], id: string): T | undefined {
  return reports.find((report) => report.id === id && report.table !== undefined)?.raw as T | undefined;
}

function deliveryRows(reports: readonly ScenarioReport[], id: string) {
  const raw = rawOf<{ rows: DeliveryRow[] }>(reports, id);
  const weft = raw?.rows.find((row) => row.target === WEFT);
  const relay = raw?.rows.find((row) => row.target === RELAY);
  if (!raw || !weft || !relay) return undefined;
  const isPeer = (row: DeliveryRow) => ![WEFT, RELAY, DURABLE_RELAY].includes(row.target);
  return {
    weft,
    relay,
    durableRelay: raw.rows.find((row) => row.target === DURABLE_RELAY),
    peers: raw.rows.filter(isPeer),
  };
}

function fanOutLatencyGoals(reports: readonly ScenarioReport[]): string[][] {
  return [50, 200].flatMap((clients) => {
    const rows = deliveryRows(reports, `fan-out-${clients}`);
    if (!rows) return [];
    const { weft, peers } = rows;
    return [
      [
        `Fan-out ${clients}: Weft p99 ≤ each peer's`,
        `Weft ${formatMs(weft.p99)} ms; ${peers.map((peer) => `${peer.target} ${formatMs(peer.p99)} ms`).join(', ')}`,
        verdict(weft.p99 <= Math.min(...peers.map((peer) => peer.p99))),
      ],
    ];
  });
}

// The issue names no scenario for this goal, so every delivery scenario with a relay row is judged.
// The peers' own ratios are shown beside Weft's. In many documents and the long run each update has
// one receiver, so no Yjs server comes near the relay there: it does one `send` per delivery, and a
// Yjs server's decoding and applying of each update is shared by no other delivery.
// Where the run measured the durable relay (the relay plus one fdatasync per update, no Yjs), its
// ratio is shown and judged too: where updates arrive apart, no server that fsyncs each one can go below it.
const cpuGoalScenarios = [
  ['fan-out-50', 'Fan-out 50'],
  ['fan-out-200', 'Fan-out 200'],
  ['many-documents', 'Many documents'],
  ['long-run', 'Long run'],
] as const;

function cpuGoals(reports: readonly ScenarioReport[]): string[][] {
  return cpuGoalScenarios.flatMap(([id, label]) => {
    const rows = deliveryRows(reports, id);
    if (!rows) return [];
    const { weft, relay, durableRelay, peers } = rows;
    const ratio = (row: DeliveryRow) => row.serverCpuUsPerDelivery / relay.serverCpuUsPerDelivery;
    const met = (row: DeliveryRow) => ratio(row) <= goals.cpuPerDeliveryVsRelay;
    const others = [...(durableRelay ? [durableRelay] : []), ...peers];
    return [
      [
        `${label}: server CPU per delivery ≤ ${goals.cpuPerDeliveryVsRelay}× relay`,
        `Weft ${weft.serverCpuUsPerDelivery.toFixed(1)} µs, relay ${relay.serverCpuUsPerDelivery.toFixed(1)} µs: ` +
          `${formatRatio(ratio(weft))} (${others.map((row) => `${row.target} ${formatRatio(ratio(row))}`).join(', ')})`,
        verdict(met(weft)) + (durableRelay ? aside(DURABLE_RELAY, met(durableRelay)) : ''),
      ],
    ];
  });
}

function rampGoal(reports: readonly ScenarioReport[]): string[][] {
  const raw = rawOf<{ rows: (IdRow & { sustained: number })[] }>(reports, 'throughput-ramp');
  const weft = raw?.rows.find((row) => row.id === 'weft');
  const relay = raw?.rows.find((row) => row.id === 'relay');
  if (!weft || !relay) return [];
  const share = weft.sustained / relay.sustained;
  return [
    [
      `Sustained deliveries/s ≥ ${goals.sustainedVsRelay * 100}% of the relay's`,
      `Weft ${Math.round(weft.sustained).toLocaleString('en')}/s, relay ${Math.round(relay.sustained).toLocaleString('en')}/s: ${Math.round(share * 100)}%`,
      verdict(share >= goals.sustainedVsRelay),
    ],
  ];
}

function idleGoal(reports: readonly ScenarioReport[]): string[][] {
  const raw = rawOf<{ rows: (IdRow & { perConnection: number })[] }>(reports, 'idle-memory');
  const weft = raw?.rows.find((row) => row.id === 'weft');
  const relay = raw?.rows.find((row) => row.id === 'relay');
  if (!weft) return [];
  return [
    [
      `Idle connection ≤ ${formatBytes(goals.idleConnectionBytes)}`,
      `Weft ${formatBytes(weft.perConnection)}${relay ? ` (relay ${formatBytes(relay.perConnection)})` : ''}`,
      verdict(weft.perConnection <= goals.idleConnectionBytes),
    ],
  ];
}

function coldLoadGoal(reports: readonly ScenarioReport[]): string[][] {
  const raw = rawOf<{ document: string; medians: Record<string, number> }[]>(reports, 'cold-load');
  if (!raw) return [];
  return raw.map(({ document, medians }) => {
    const apply = medians['raw limit: Y.applyUpdate from memory'] ?? Number.NaN;
    const load = (medians['Weft: load + apply (storage already open)'] ?? Number.NaN) / apply;
    const withOpen = (medians['Weft: createFileStorage + load + apply'] ?? Number.NaN) / apply;
    return [
      `Cold load (${document}) ≤ ${goals.coldLoadVsApply}× Y.applyUpdate`,
      `load + apply ${formatRatio(load)}; with opening the storage (lock file + fsync, once per server start) ${formatRatio(withOpen)}`,
      verdict(load <= goals.coldLoadVsApply) + aside('with opening', withOpen <= goals.coldLoadVsApply),
    ];
  });
}

/** The Goals section, or nothing when none of the scenarios behind the goals ran. */
export function renderGoals(reports: readonly ScenarioReport[]): string[] {
  const rows = [
    ...fanOutLatencyGoals(reports),
    ...cpuGoals(reports),
    ...rampGoal(reports),
    ...idleGoal(reports),
    ...coldLoadGoal(reports),
  ];
  if (rows.length === 0) return [];
  return [
    '## Goals',
    '',
    'The goals of issue 6, each against the number measured in this run (the tables below have the details).',
    '',
    renderTable({ columns: ['goal', 'measured', 'verdict'], rows }),
    '',
  ];
}
