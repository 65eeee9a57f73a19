import { expect, it } from 'vitest';
import { createLivenessCheck } from './liveness.ts';

const MINUTE = 60_000;

it('a background tab whose timers fire once a minute keeps a healthy connection', () => {
  const check = createLivenessCheck(MINUTE, 0);
  for (let now = MINUTE; now <= 30 * MINUTE; now += MINUTE) {
    const verdict = check.tick(now);
    expect(verdict).toBe('probe');
    check.received(now + 30); // the server answers the probe within a round trip
  }
});

it('a dead connection is dropped once a probe went unanswered, however late the timers fire', () => {
  const throttled = createLivenessCheck(MINUTE, 0);
  expect(throttled.tick(MINUTE)).toBe('probe');
  expect(throttled.tick(2 * MINUTE)).toBe('dead');

  const active = createLivenessCheck(MINUTE, 0);
  const verdicts = [15, 30, 45, 60, 75].map((seconds) => active.tick(seconds * 1000));
  expect(verdicts).toEqual(['probe', 'alive', 'alive', 'dead', 'dead']);
});

it('a connection that hears from the server is never probed', () => {
  const check = createLivenessCheck(MINUTE, 0);
  for (let now = 1000; now < 10 * MINUTE; now += 1000) {
    check.received(now);
    expect(check.tick(now + 500)).toBe('alive');
  }
});

it('a probe sent just before the timeout gets its grace period', () => {
  const check = createLivenessCheck(MINUTE, 0);
  // The first tick comes late, right at the timeout: probe first, judge later.
  expect(check.tick(MINUTE)).toBe('probe');
  expect(check.tick(MINUTE + 5_000)).toBe('alive');
  expect(check.tick(MINUTE + 10_000)).toBe('dead');
});
