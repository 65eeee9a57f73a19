import { describe, expect, it } from 'vitest';
import { medianOf, runShuffled, seededRandom } from './cases.ts';
import { fanOutRepetitions } from './fan-out.ts';

const cases = ['relay', 'weft', 'y-websocket', 'hocuspocus'].map((id) => ({ id }));

async function order(seed: number, label: string, repetitions = 3): Promise<string[][]> {
  const rounds: string[][] = Array.from({ length: repetitions }, () => []);
  await runShuffled(cases, { repetitions, seed }, label, async (item, repetition) => {
    rounds[repetition]?.push(item.id);
  });
  return rounds;
}

describe('shuffled repetitions', () => {
  it('runs every case once per repetition and returns its results in repetition order', async () => {
    const results = await runShuffled(
      cases,
      { repetitions: 3, seed: 1 },
      'fan-out',
      async (item, repetition) => `${item.id}#${repetition}`,
    );
    for (const { id } of cases) expect(results.get(id)).toEqual([`${id}#0`, `${id}#1`, `${id}#2`]);
  });

  it('repeats its order for the same SEED, and shuffles between rounds and scenarios', async () => {
    const ids = cases.map((item) => item.id).sort();
    const rounds = await order(42, 'fan-out', 8);
    for (const round of rounds) expect([...round].sort()).toEqual(ids);
    expect(await order(42, 'fan-out', 8)).toEqual(rounds);
    expect(new Set(rounds.map((round) => round.join())).size).toBeGreaterThan(1);
    expect(await order(42, 'many-documents', 8)).not.toEqual(rounds);
  });

  it('draws numbers in [0, 1) from a seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });

  it('takes the median over the repetitions that produced a number', () => {
    expect(medianOf([{ v: 3 }, { v: Number.NaN }, { v: 1 }, { v: 2 }], (run) => run.v)).toBe(2);
    expect(medianOf([{ v: Number.NaN }], (run) => run.v)).toBeNaN();
  });
});

describe('fan-out repetitions', () => {
  it('are at least 5 in a full run, never fewer than asked, and as asked in a quick run', () => {
    expect(fanOutRepetitions({ quick: false, repetitions: 3 })).toBe(5);
    expect(fanOutRepetitions({ quick: false, repetitions: 7 })).toBe(7);
    expect(fanOutRepetitions({ quick: true, repetitions: 3 })).toBe(3);
  });
});
