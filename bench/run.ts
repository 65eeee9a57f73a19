// `pnpm bench`: runs every scenario, prints its table, writes docs/benchmarks.md, .json and .svg.
//
// Environment (read here only):
//   BENCH_QUICK=1          short durations and smaller sizes: checks the harness, numbers not for quoting
//   BENCH_ONLY=a,b         only these scenarios (ids below; hyphens optional); output goes to .bench-tmp/
//   BENCH_REPETITIONS=n    measured repetitions per case (default 3; fan-out at least 5 outside BENCH_QUICK)
//   BENCH_CPU_PROF=<dir>   also profile Weft and the relay with node --cpu-prof (fan-out 50 and ramp shapes)
//   BENCH_WEFT_REF=<ref>   benchmark Weft as committed at that git ref (before/after of a fix)
//   SEED=<n>               reproduce a run's shuffled case order
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './cases.ts';
import { renderCharts } from './chart-svg.ts';
import { runColdLoad } from './cold-load.ts';
import { runCompaction } from './compaction.ts';
import { runDurableAckLatency } from './durable-ack-latency.ts';
import { fanOutDefaults, runFanOut } from './fan-out.ts';
import { renderGoals } from './goals.ts';
import { createStealGuard, stealGuardDefaults } from './host-steal.ts';
import { runIdleMemory } from './idle-memory.ts';
import { runJoinStorm } from './join-storm.ts';
import { runLongRun } from './long-run.ts';
import { describeMachine, type MachineInfo } from './machine.ts';
import { runManyDocuments } from './many-documents.ts';
import { runProfiles } from './profile.ts';
import { renderScenario, type ScenarioReport } from './report.ts';
import { allTargets, deliveryTargets } from './targets.ts';
import { runThroughputRamp } from './throughput-ramp.ts';
import { loadTrace, type ReplayedTrace, replayTrace } from './trace.ts';
import { runTraceReplay } from './trace-replay.ts';
import { runValidationCost } from './validation-cost.ts';
import { buildWeft, prepareWeftSnapshot, WORKING_TREE_WEFT } from './weft-snapshot.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const tracePath = join(repoRoot, '..', 'shared', 'traces', 'automerge-paper.json.gz');
const TRACE_CREDIT =
  'Editing trace: automerge-paper from [editing-traces by Joseph Gentle](https://github.com/josephg/editing-traces), CC BY 4.0.';

interface Scenario {
  id: string;
  needsTrace: boolean;
  run(config: BenchConfig, trace: ReplayedTrace | undefined): Promise<ScenarioReport[]>;
}

const withTrace = (trace: ReplayedTrace | undefined) => trace as ReplayedTrace;

const scenarios: Scenario[] = [
  {
    id: 'fan-out',
    needsTrace: false,
    run: async (config) => [
      await runFanOut(config, deliveryTargets(config.weftScript), 50),
      await runFanOut(config, deliveryTargets(config.weftScript), 200),
    ],
  },
  {
    id: 'many-documents',
    needsTrace: false,
    run: async (config) => [await runManyDocuments(config, deliveryTargets(config.weftScript))],
  },
  {
    id: 'throughput-ramp',
    needsTrace: false,
    run: async (config) => [await runThroughputRamp(config, allTargets(config.weftScript))],
  },
  {
    id: 'long-run',
    needsTrace: false,
    run: async (config) => [await runLongRun(config, deliveryTargets(config.weftScript))],
  },
  {
    id: 'idle-memory',
    needsTrace: false,
    run: async (config) => [await runIdleMemory(config, allTargets(config.weftScript))],
  },
  {
    id: 'join-storm',
    needsTrace: true,
    run: async (config, trace) => [await runJoinStorm(config, allTargets(config.weftScript), withTrace(trace))],
  },
  {
    id: 'cold-load',
    needsTrace: true,
    run: async (config, trace) => [await runColdLoad(withTrace(trace), config)],
  },
  { id: 'durable-ack-latency', needsTrace: false, run: async (config) => [await runDurableAckLatency(config)] },
  {
    id: 'trace-replay',
    needsTrace: true,
    run: async (config, trace) => [await runTraceReplay(config, allTargets(config.weftScript), withTrace(trace))],
  },
  {
    id: 'compaction',
    needsTrace: true,
    run: async (config, trace) => [await runCompaction(withTrace(trace), config.tempRoot)],
  },
  { id: 'validation-cost', needsTrace: true, run: async (_config, trace) => [runValidationCost(withTrace(trace))] },
];

function gitCommit(cwd: string, ref: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', ref], { cwd, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown commit';
  }
}

const normalize = (id: string) => id.toLowerCase().replaceAll(/[^a-z0-9]/g, '');

function selectedScenarios(only: string | undefined): Scenario[] {
  if (!only) return scenarios;
  const wanted = new Set(only.split(',').map(normalize).filter(Boolean));
  const unknown = [...wanted].filter((id) => !scenarios.some((scenario) => normalize(scenario.id) === id));
  if (unknown.length)
    throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')}; known: ${scenarios.map((s) => s.id)}`);
  return scenarios.filter((scenario) => wanted.has(normalize(scenario.id)));
}

function skipped(id: string, reason: string): ScenarioReport {
  return { id, title: id, explanation: '', table: undefined, skipped: reason, notes: [], raw: { skipped: reason } };
}

function renderDocument(
  machine: MachineInfo,
  date: string,
  config: BenchConfig,
  reports: ScenarioReport[],
  fixes: string,
): string {
  return [
    '# Benchmarks',
    '',
    'Generated by `pnpm bench` (bench/run.ts); raw numbers in [benchmarks.json](benchmarks.json), chart in',
    '[benchmarks.svg](benchmarks.svg). Every multi-server table measures, in the same run: a raw `ws` relay that',
    'forwards bytes without Yjs (the physical limit), Weft, `@y/websocket-server` and `@hocuspocus/server`, each in',
    'its own child process, driven by one load process that speaks each wire protocol directly, over a minimal',
    'WebSocket client that parses frames straight off TCP (bench/raw-websocket.ts).',
    'Fan-out, many documents and the long run also measure that relay with one `fdatasync` per update (no Yjs):',
    'where updates arrive apart, the floor under any server that fsyncs each one, as Weft does.',
    "The harness's own tests (`bench/*.test.ts`, part of `pnpm test`) run its load generator against every server above",
    'and against one that forwards nothing (every delivery counted as lost), get an acknowledgement from every',
    "durable-ack target, and check the harness's percentiles, open-loop schedule, seeded case order, steal repeats and goal verdicts.",
    '',
    ...(config.quick
      ? [
          '> **BENCH_QUICK run**: short durations and reduced sizes, to check the harness. These numbers are',
          '> not for quoting; run `pnpm bench` on a quiet machine for real ones.',
          '',
        ]
      : []),
    `- Date: ${date}`,
    `- CPU: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, Linux ${machine.kernel}`,
    `- Node ${machine.node}, yjs ${machine.yjs}, ws ${machine.ws}, y-protocols ${machine.yProtocols}`,
    `- Peers: @y/websocket-server ${machine.yWebsocketServer}, @hocuspocus/server ${machine.hocuspocus}`,
    `- Weft: ${config.weftSource}`,
    `- Temp files and fsyncs: ${machine.benchDisk}`,
    `- Repetitions per case: ${config.repetitions}${config.quick ? '' : `, fan-out at least ${fanOutDefaults.minRepetitions}`} (plus a warm-up inside each), order shuffled with SEED=${config.seed}`,
    `- A run during which the VM's host stole more than ${stealGuardDefaults.limit * 100}% of the CPU time is run again (up to ${stealGuardDefaults.attempts}`,
    "  attempts, least disturbed kept); each scenario's notes give its kept runs' steal, benchmarks.json every attempt.",
    '- Compression (permessage-deflate) is off on every server and client.',
    '- Weft runs with its default durable FileStorage in a temp dir on the disk above; the peers keep documents',
    '  in memory only (they have no durability by default), so every Weft row pays for a fsynced log they skip.',
    '',
    '![benchmark chart](benchmarks.svg)',
    '',
    ...renderGoals(reports),
    ...reports.flatMap((report) => [renderScenario(report), '']),
    ...(fixes ? [fixes.trim(), ''] : []),
    '---',
    '',
    TRACE_CREDIT,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const only = process.env.BENCH_ONLY;
  const selected = selectedScenarios(only);
  // Under the repo (gitignored), so fsyncs hit the same disk as a real data directory, never a tmpfs.
  const benchDir = join(repoRoot, '.bench-tmp');
  await mkdir(benchDir, { recursive: true });
  const tempRoot = await mkdtemp(join(benchDir, 'run-'));
  const weftRef = process.env.BENCH_WEFT_REF;
  // The Weft target runs the built JavaScript (see weftTarget): build the working tree's first.
  if (!weftRef) buildWeft(repoRoot, repoRoot);
  const config: BenchConfig = {
    repoRoot,
    weftScript: weftRef
      ? await prepareWeftSnapshot(repoRoot, weftRef, join(tempRoot, 'weft-snapshot'))
      : WORKING_TREE_WEFT,
    weftSource: weftRef
      ? `${weftRef} (${gitCommit(repoRoot, weftRef)})`
      : `working tree at ${gitCommit(repoRoot, 'HEAD')}`,
    tempRoot,
    quick,
    repetitions: Number(process.env.BENCH_REPETITIONS ?? 3),
    seed: Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31)),
    cpuProfDir: process.env.BENCH_CPU_PROF,
    steal: createStealGuard({ log: (line) => console.log(line) }),
  };
  const machine = await describeMachine(repoRoot, tempRoot);
  console.log(`${machine.cpu} × ${machine.cores}, Node ${machine.node}, yjs ${machine.yjs}, ws ${machine.ws}`);
  console.log(`temp dir ${tempRoot}: ${machine.benchDisk}; SEED=${config.seed}${quick ? '; BENCH_QUICK' : ''}`);
  try {
    const needsTrace = selected.some((scenario) => scenario.needsTrace);
    const loaded = needsTrace ? await loadTrace(tracePath) : undefined;
    const trace = loaded && replayTrace(loaded);
    if (trace) console.log(`replayed automerge-paper: ${trace.edits.toLocaleString('en')} edits`);
    const reports: ScenarioReport[] = [];
    for (const scenario of selected) {
      console.log(`\n== ${scenario.id}`);
      const produced =
        scenario.needsTrace && trace === undefined
          ? [
              skipped(
                scenario.id,
                `trace not found at ${tracePath} (it lives in ../shared/traces next to the checkout)`,
              ),
            ]
          : await scenario.run(config, trace);
      for (const report of produced) {
        // A new array: scenarios may share one notes array between their reports.
        const stealNote = config.steal.note(report.id);
        const noted = stealNote ? { ...report, notes: [...report.notes, stealNote] } : report;
        console.log(`\n${renderScenario(noted)}\n`);
        reports.push(noted);
      }
    }
    if (config.cpuProfDir) reports.push(await runProfiles(config, config.cpuProfDir));
    const date = new Date().toISOString();
    // A partial run must not replace the full document; it goes next to the temp files instead.
    const out = only ? benchDir : join(repoRoot, 'docs');
    // The Fixes section is written by hand (what changed and its before/after runs), kept in bench/fixes.md.
    const fixes = await readFile(join(repoRoot, 'bench', 'fixes.md'), 'utf8').catch(() => '');
    await writeFile(join(out, 'benchmarks.md'), renderDocument(machine, date, config, reports, fixes));
    await writeFile(join(out, 'benchmarks.svg'), renderCharts(reports));
    const raw = Object.fromEntries(reports.map((report) => [report.id, report.raw]));
    const hostSteal = { ...stealGuardDefaults, attempts: config.steal.attempts() };
    const json = {
      date,
      quick,
      seed: config.seed,
      repetitions: config.repetitions,
      machine,
      hostSteal,
      scenarios: raw,
    };
    await writeFile(join(out, 'benchmarks.json'), `${JSON.stringify(json, null, 2)}\n`);
    console.log(`wrote ${out}/benchmarks.md, .json and .svg`);
  } finally {
    await rm(tempRoot, { recursive: true, force: true });
  }
}

await main();
