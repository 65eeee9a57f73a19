import { describe, expect, it } from 'vitest';
import { runOpenLoop } from './open-loop.ts';

const loop = { ratePerSecond: 200, warmupMs: 100, measureMs: 250, drainTimeoutMs: 100 };

describe('open-loop load', () => {
  it('sends on schedule through the probes in turn and marks the warm-up unmeasured', async () => {
    const calls: [probe: number, measured: boolean][] = [];
    const probe = (index: number) => async (measured: boolean) => void calls.push([index, measured]);
    const result = await runOpenLoop([probe(0), probe(1)], loop);
    // 20 warm-up sends and 50 measured ones, alternating between the two probes.
    expect(calls.length).toBe(70);
    expect(calls.filter(([, measured]) => !measured).length).toBe(20);
    expect(calls.every(([index], i) => index === i % 2)).toBe(true);
    expect(result.sent).toBe(50);
    expect(result.lost).toBe(0);
    expect(result.latenciesMs.length).toBe(50);
  });

  it('counts a message never acknowledged within the drain timeout as lost, and a failed one too', async () => {
    let i = 0;
    const unanswered = () => {
      i += 1;
      if (i % 3 === 0) return Promise.reject(new Error('socket closed'));
      return i % 3 === 1 ? Promise.resolve() : new Promise<void>(() => undefined);
    };
    const result = await runOpenLoop([unanswered], loop);
    expect(result.sent).toBe(50);
    expect(result.latenciesMs.length + result.lost).toBe(50);
    // Measured sends are 21 … 70: a third of them answer.
    expect(result.latenciesMs.length).toBe(17);
  });
});
