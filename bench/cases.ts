import type { StealGuard } from './host-steal.ts';
import { median } from './stats.ts';

/** What every scenario gets from run.ts (the environment is read there and only there). */
export interface BenchConfig {
  repoRoot: string;
  /** Temp dirs go under here (on the real disk, for fsyncs). */
  tempRoot: string;
  /** BENCH_QUICK=1: short durations and smaller sizes, to check the harness, not to quote. */
  quick: boolean;
  /** Measured repetitions per case (each also has its own warm-up). */
  repetitions: number;
  /** Seed of the shuffled case order; SEED=<n> reruns the same order. */
  seed: number;
  /** The Weft server script: the working tree's, or a BENCH_WEFT_REF snapshot's. */
  weftScript: string;
  /** What `weftScript` runs, for the doc: "working tree" or a ref and its commit. */
  weftSource: string;
  /** BENCH_CPU_PROF=<dir>: run Weft and the relay under node --cpu-prof there, once. */
  cpuProfDir: string | undefined;
  /** Repeats a case the VM's host disturbed (host-steal.ts); one for the whole run, so its attempts go to the JSON. */
  steal: StealGuard;
}

/** mulberry32: a small seeded PRNG, so a run's case order can be reproduced. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/**
 * Runs every case `repetitions` times, each round in a fresh shuffled order (so a noisy moment of
 * the machine, or the garbage of the previous case, does not always hit the same one). Results are
 * returned per case, in repetition order. With `steal`, a case the host disturbed is run again at once
 * (`windowSteal`: see StealGuard.run).
 */
export async function runShuffled<C extends { id: string }, R>(
  cases: readonly C[],
  config: Pick<BenchConfig, 'repetitions' | 'seed'> & Partial<Pick<BenchConfig, 'steal'>>,
  label: string,
  run: (item: C, repetition: number) => Promise<R>,
  windowSteal?: (result: R) => number,
): Promise<Map<string, R[]>> {
  const random = seededRandom(config.seed ^ hash(label));
  const results = new Map<string, R[]>(cases.map((item) => [item.id, []]));
  for (let repetition = 0; repetition < config.repetitions; repetition++) {
    for (const item of shuffled(cases, random)) {
      const measure = () => run(item, repetition);
      const result = await (config.steal ? config.steal.run(label, item.id, measure, windowSteal) : measure());
      results.get(item.id)?.push(result);
    }
  }
  return results;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The median of one numeric field over repetitions (NaN-free values only). */
export function medianOf<R>(runs: readonly R[], pick: (run: R) => number): number {
  const values = runs.map(pick).filter((value) => Number.isFinite(value));
  return values.length === 0 ? Number.NaN : median(values);
}
