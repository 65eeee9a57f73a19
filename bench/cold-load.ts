import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileStorage } from '@weft/server';
import * as Y from 'yjs';
import type { BenchConfig } from './cases.ts';
import { formatBytes, formatMs, formatRatio, type ScenarioReport } from './report.ts';
import { median } from './stats.ts';
import { applyStored, checkLoaded, type ReplayedTrace, scaledTraceState, TRACE_DOC_NAME } from './trace.ts';

// A multiple of 3, so each path runs first, second and third equally often (see timeRound).
export const coldLoadDefaults = { runs: 15, largerCopies: 10 } as const;

interface RoundTimes {
  openStorageMs: number;
  storageLoadApplyMs: number;
  readFileApplyMs: number;
  memoryApplyMs: number;
}

async function timeFileStorage(dataDir: string, expected: string) {
  const start = performance.now();
  const storage = await createFileStorage({ directory: dataDir });
  const opened = performance.now();
  const doc = applyStored(await storage.load(TRACE_DOC_NAME));
  const loaded = performance.now();
  await storage.close();
  checkLoaded(doc, expected);
  return { openStorageMs: opened - start, storageLoadApplyMs: loaded - opened };
}

async function timeReadFile(path: string, expected: string): Promise<number> {
  const start = performance.now();
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await readFile(path));
  const elapsed = performance.now() - start;
  checkLoaded(doc, expected);
  return elapsed;
}

function timeMemory(state: Uint8Array, expected: string): number {
  const start = performance.now();
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  const elapsed = performance.now() - start;
  checkLoaded(doc, expected);
  return elapsed;
}

/**
 * One round: fresh files for every path. The page cache is warm (the files were just written).
 * The order rotates with `round`, because whichever path runs after the others' garbage pays for
 * more of the collection.
 */
async function timeRound(state: Uint8Array, expected: string, tempRoot: string, round: number): Promise<RoundTimes> {
  const directory = await mkdtemp(join(tempRoot, 'cold-load-'));
  try {
    const dataDir = join(directory, 'data');
    const setup = await createFileStorage({ directory: dataDir });
    await setup.compact(TRACE_DOC_NAME, state);
    await setup.close();
    const plainFile = join(directory, 'state.bin');
    await writeFile(plainFile, state);
    const paths: (() => Promise<Partial<RoundTimes>>)[] = [
      () => timeFileStorage(dataDir, expected),
      async () => ({ readFileApplyMs: await timeReadFile(plainFile, expected) }),
      async () => ({ memoryApplyMs: timeMemory(state, expected) }),
    ];
    const times: Partial<RoundTimes> = {};
    for (let i = 0; i < paths.length; i++) Object.assign(times, await paths[(i + round) % paths.length]?.());
    return times as RoundTimes;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function measureSize(state: Uint8Array, expected: string, tempRoot: string, runs: number) {
  // The first round only warms up the JIT; it is not counted.
  await timeRound(state, expected, tempRoot, 0);
  const rounds: RoundTimes[] = [];
  for (let i = 0; i < runs; i++) rounds.push(await timeRound(state, expected, tempRoot, i));
  return rounds;
}

/** The 10× document takes ten replays to build; it is cached by trace size and Yjs version. */
async function scaledState(trace: ReplayedTrace, config: BenchConfig, copies: number): Promise<Uint8Array> {
  const cacheDir = join(config.repoRoot, '.bench-tmp', 'cache');
  const file = join(cacheDir, `automerge-paper-${trace.edits}-x${copies}-merged.bin`);
  const cached = await readFile(file).catch(() => undefined);
  if (cached) return new Uint8Array(cached);
  console.log(`  building the ${copies}× document (${copies} replays of the trace; cached in ${file})`);
  const state = scaledTraceState(trace.source, copies);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(file, state);
  return state;
}

/** Cold load: the automerge-paper document, and one ten times its size, from a FileStorage snapshot. */
export async function runColdLoad(trace: ReplayedTrace, config: BenchConfig): Promise<ScenarioReport> {
  const runs = config.quick ? 3 : coldLoadDefaults.runs;
  const copies = config.quick ? 2 : coldLoadDefaults.largerCopies;
  const expected = trace.doc.getText('text').toString();
  const sizes: [string, Uint8Array][] = [
    ['automerge-paper', Y.encodeStateAsUpdate(trace.doc)],
    [`${copies}× automerge-paper`, await scaledState(trace, config, copies)],
  ];
  const measured = [];
  for (const [label, state] of sizes) {
    const rounds = await measureSize(state, expected, config.tempRoot, runs);
    const series = (pick: (round: RoundTimes) => number) => rounds.map(pick);
    const rows: [string, number[]][] = [
      ['Weft: createFileStorage + load + apply', series((r) => r.openStorageMs + r.storageLoadApplyMs)],
      ['Weft: load + apply (storage already open)', series((r) => r.storageLoadApplyMs)],
      ['baseline: readFile + Y.applyUpdate', series((r) => r.readFileApplyMs)],
      ['raw limit: Y.applyUpdate from memory', series((r) => r.memoryApplyMs)],
    ];
    measured.push({ label, bytes: state.length, rows, rounds });
  }
  return {
    id: 'cold-load',
    title: 'Cold load from disk: the automerge-paper document and one ten times larger',
    explanation:
      `The final document of the automerge-paper trace, and a document holding ${copies} replays of it (each in its own ` +
      `Y.Text), are stored as a FileStorage snapshot and loaded into a fresh Y.Doc; median of ${runs} runs, fresh ` +
      'files and storage every run. The peers keep nothing on disk, so this compares Weft with Y.applyUpdate of the same bytes.',
    table: {
      columns: ['document', 'path', 'median ms', 'min ms', '× raw limit (median)'],
      rows: measured.flatMap(({ label, bytes, rows }) => {
        const raw = median(rows[3]?.[1] ?? []);
        return rows.map(([path, ms]) => [
          `${label} (${formatBytes(bytes)})`,
          path,
          formatMs(median(ms)),
          formatMs(Math.min(...ms)),
          formatRatio(median(ms) / raw),
        ]);
      }),
    },
    notes: [
      'createFileStorage takes the data-directory lock, which writes and fsyncs a LOCK file; a server pays it once at startup.',
      'The files were just written, so they are in the OS page cache: this is a process-cold load, not a disk-cold one.',
      "Each path also pays for collecting the previous path's documents, so differences under ~2 ms are noise.",
    ],
    raw: measured.map(({ label, bytes, rows, rounds }) => ({
      document: label,
      stateBytes: bytes,
      runs: rounds,
      medians: Object.fromEntries(rows.map(([path, ms]) => [path, median(ms)])),
    })),
  };
}
