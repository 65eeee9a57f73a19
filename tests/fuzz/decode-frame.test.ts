import {
  decodeFrame,
  encodeAwareness,
  encodeDurableAck,
  encodeError,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Message,
  WeftError,
} from '@weft/protocol';
import { describe, expect, it } from 'vitest';
import { createRandom, testSeed } from '../helpers/seeded-random.ts';
import { createValidFrames, type ValidFrame } from './corpus.ts';
import { concat, HUGE_LENGTHS, mutate, type Random, toHex, varUint } from './mutations.ts';

const INPUTS = 50_000;
const ALLOWED_CODES = new Set(['malformed-message', 'unknown-message-type']);
/** Failures keep the first few offending inputs (hex) so they can be replayed by hand. */
const MAX_REPORTED = 10;

function encodeMessage(message: Message): Uint8Array {
  switch (message.kind) {
    case 'sync-step-1':
      return encodeSyncStep1(message.stateVector);
    case 'sync-step-2':
      return encodeSyncStep2(message.update);
    case 'update':
      return encodeUpdate(message.update);
    case 'awareness':
      return encodeAwareness(message.update);
    case 'query-awareness':
      return encodeQueryAwareness();
    case 'permission-denied':
      return encodePermissionDenied(message.reason);
    case 'durable-ack':
      return encodeDurableAck(message.seq);
    case 'error':
      return encodeError(message.code, message.reason);
  }
}

const payloadsOf = (message: Message): Uint8Array[] =>
  'update' in message ? [message.update] : 'stateVector' in message ? [message.stateVector] : [];

/**
 * Places `bytes` inside a larger buffer with random bytes on both sides, the way `ws` hands out
 * slices of pooled buffers: half the time an explicit ArrayBuffer, half the time Node's Buffer pool.
 */
function embed(random: Random, bytes: Uint8Array): Uint8Array {
  if (random.next() < 0.5 && bytes.length < 2048) return Buffer.from(bytes);
  const before = random.int(64);
  const after = random.int(64);
  const whole = random.bytes(before + bytes.length + after);
  whole.set(bytes, before);
  return whole.subarray(before, before + bytes.length);
}

/** Decodes `frame`; returns how that went, and what was wrong about it if anything was. */
function checkDecode(frame: Uint8Array): { problem?: string; outcome: string } {
  const whole = Buffer.from(frame.buffer);
  const snapshot = Buffer.from(whole);
  let messages: Message[];
  try {
    messages = decodeFrame(frame);
  } catch (error) {
    if (!whole.equals(snapshot)) return { outcome: 'modified-input', problem: 'modified its input' };
    if (!(error instanceof WeftError)) return { outcome: 'foreign-error', problem: `threw a non-WeftError: ${error}` };
    if (!ALLOWED_CODES.has(error.code)) return { outcome: error.code, problem: `threw WeftError(${error.code})` };
    return { outcome: error.code };
  }
  if (!whole.equals(snapshot)) return { outcome: 'modified-input', problem: 'modified its input' };
  const start = frame.byteOffset;
  const end = frame.byteOffset + frame.byteLength;
  for (const message of messages) {
    for (const payload of payloadsOf(message)) {
      const inside =
        payload.buffer === frame.buffer && payload.byteOffset >= start && payload.byteOffset + payload.length <= end;
      if (!inside) {
        return {
          outcome: 'ok',
          problem: `${message.kind} payload [${payload.byteOffset}, ${payload.byteOffset + payload.length}) is outside the frame [${start}, ${end})`,
        };
      }
    }
  }
  // Whatever decoded must survive an encode/decode round trip unchanged (compared as bytes:
  // the encoders are deterministic, and this is much faster than a deep equality per input).
  const reencoded = concat(...messages.map(encodeMessage));
  let again: Uint8Array;
  try {
    again = concat(...decodeFrame(reencoded).map(encodeMessage));
  } catch (error) {
    return { outcome: 'ok', problem: `decoded messages, re-encoded as ${toHex(reencoded)}, do not decode: ${error}` };
  }
  if (!Buffer.from(again).equals(reencoded)) {
    return { outcome: 'ok', problem: `decoded messages do not round-trip: ${toHex(reencoded)} -> ${toHex(again)}` };
  }
  return { outcome: messages.length > 1 ? 'ok-several' : 'ok' };
}

/** Hand-made frames for the edges random mutation rarely hits. */
function edgeFrames(): Uint8Array[] {
  const frames: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(0x80), Uint8Array.of(0x00), Uint8Array.of(0x00, 0x02)];
  for (const huge of HUGE_LENGTHS) {
    for (const prefix of [[0x00, 0x00], [0x00, 0x01], [0x00, 0x02], [0x01], [0x02, 0x00], [0x65, 0x01]]) {
      frames.push(concat(Uint8Array.from(prefix), varUint(huge), Uint8Array.of(1, 2, 3)));
    }
    frames.push(concat(varUint(huge), Uint8Array.of(0)));
    frames.push(concat(Uint8Array.of(0x00), varUint(huge), Uint8Array.of(0x00)));
  }
  // Lengths one past the end, exactly the end, and varuints that never terminate.
  frames.push(Uint8Array.of(0x00, 0x02, 0x03, 0xaa, 0xbb), Uint8Array.of(0x00, 0x02, 0x02, 0xaa, 0xbb));
  frames.push(Uint8Array.of(0x00, 0x02, ...new Array(12).fill(0xff)), Uint8Array.of(0x64, 0xff, 0xff, 0xff));
  // Invalid UTF-8 in strings.
  frames.push(Uint8Array.of(0x02, 0x00, 0x02, 0xc3, 0x28), Uint8Array.of(0x65, 0x90, 0x22, 0x01, 0xff));
  return frames;
}

describe('decodeFrame under fuzzing', () => {
  const seed = testSeed('decode-frame');

  it('round-trips every valid message, alone and several to a frame', () => {
    const random = createRandom(seed);
    const valid = createValidFrames(random, 400);
    for (const { frame, messages } of valid) {
      expect(decodeFrame(embed(random, frame))).toEqual(messages);
      expect(concat(...messages.map(encodeMessage))).toEqual(frame);
    }
    for (let round = 0; round < 200; round++) {
      const picked: ValidFrame[] = Array.from({ length: 2 + random.int(4) }, () => random.pick(valid));
      const frame = embed(random, concat(...picked.map((entry) => entry.frame)));
      expect(decodeFrame(frame)).toEqual(picked.flatMap((entry) => entry.messages));
    }
  });

  it(`returns messages or a WeftError for ${INPUTS} mutated frames, never reading outside the frame`, () => {
    const random = createRandom(seed ^ 0x5eed);
    const valid = createValidFrames(random, 400).map((entry) => entry.frame);
    const outcomes = new Map<string, number>();
    const problems: string[] = [];
    const edges = edgeFrames();
    const nextInput = (index: number): { bytes: Uint8Array; how: string } => {
      const edge = edges[index];
      if (edge !== undefined) return { bytes: edge, how: 'edge case' };
      if (random.next() < 0.05) return { bytes: random.bytes(1 + random.int(48)), how: 'random bytes' };
      const { bytes, steps } = mutate(random, random.pick(valid), random.pick(valid));
      return { bytes, how: steps.join(', ') };
    };

    for (let index = 0; index < INPUTS; index++) {
      const input = nextInput(index);
      const { outcome, problem } = checkDecode(embed(random, input.bytes));
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (problem !== undefined && problems.length < MAX_REPORTED) {
        problems.push(`${problem} — input ${toHex(input.bytes)} (${input.how})`);
      }
    }

    console.log(`[decode-frame] ${INPUTS} inputs:`, Object.fromEntries(outcomes));
    expect(problems).toEqual([]);
    // The fuzzer must reach every outcome, or it is not testing what it claims to.
    for (const outcome of ['ok', 'ok-several', 'malformed-message', 'unknown-message-type']) {
      expect(outcomes.get(outcome) ?? 0, `inputs with outcome ${outcome}`).toBeGreaterThan(100);
    }
  });
});
