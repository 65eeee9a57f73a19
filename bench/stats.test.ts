import { describe, expect, it } from 'vitest';
import { median, percentile, summarizeLatencies } from './stats.ts';

describe('percentile (nearest rank)', () => {
  // 100 … 1: unsorted on purpose.
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);

  it('picks the sample at rank ceil(p/100 × n)', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
  });

  it('one slow sample in 100 stays above the p99; two reach it', () => {
    const oneSlow = [...Array.from({ length: 99 }, () => 1), 50];
    expect(percentile(oneSlow, 99)).toBe(1);
    const twoSlow = [...Array.from({ length: 98 }, () => 1), 50, 60];
    expect(percentile(twoSlow, 99)).toBe(50);
  });

  it('leaves its input in order', () => {
    const samples = [3, 1, 2];
    percentile(samples, 50);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('is NaN without samples, and the median of an even count is the lower middle one', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(summarizeLatencies([2, 1, 3])).toEqual({ count: 3, p50: 2, p99: 3, max: 3 });
  });
});
