import { expect, it } from 'vitest';
import { fitCloseReason } from './close-codes.ts';

const bytes = (text: string) => new TextEncoder().encode(text).length;

it('cuts a close reason to 123 bytes of UTF-8 on a character boundary', () => {
  expect(fitCloseReason('short')).toBe('short');
  expect(fitCloseReason('x'.repeat(200))).toBe('x'.repeat(123));
  expect(fitCloseReason('é'.repeat(100))).toBe('é'.repeat(61));
  // 30 four-byte emoji are 120 bytes; the 31st's first half would still fit, but is not UTF-8.
  const emoji = fitCloseReason('😀'.repeat(40));
  expect(emoji).toBe('😀'.repeat(30));
  expect(bytes(emoji)).toBeLessThanOrEqual(123);
});
