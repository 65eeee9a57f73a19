import type { createRandom } from '../helpers/seeded-random.ts';

/** The seeded generator every fuzz helper draws from, so one SEED replays a whole run. */
export type Random = ReturnType<typeof createRandom>;

/** A mutated input and the steps that made it, for failure messages. */
export interface Mutation {
  bytes: Uint8Array;
  steps: string[];
}

/**
 * Writes `value` as a lib0/LEB128 varuint. Accepts bigints so it can also write values lib0
 * itself refuses (> 2^53), which decoders must reject rather than misread.
 */
export function varUint(value: number | bigint): Uint8Array {
  let rest = BigInt(value);
  const out: number[] = [];
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return Uint8Array.from(out);
}

/** Lengths no frame can hold: around the int32, uint32, 2^53 and uint64 edges. */
export const HUGE_LENGTHS: readonly bigint[] = [
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 60n,
  2n ** 64n - 1n,
];

const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x03, 0x64, 0x65, 0x7f, 0x80, 0xff] as const;

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const toHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');

/** End (exclusive) of the varuint starting at `start`, or the input length if it never ends. */
function varUintEnd(bytes: Uint8Array, start: number): number {
  let end = start;
  while (end < bytes.length && (bytes[end] as number) >= 0x80) end += 1;
  return Math.min(end + 1, bytes.length);
}

type Mutator = (random: Random, bytes: Uint8Array, donor: Uint8Array) => [Uint8Array, string];

const position = (random: Random, bytes: Uint8Array, inclusiveEnd = false) =>
  random.int(bytes.length + (inclusiveEnd ? 1 : 0));

const MUTATORS: readonly Mutator[] = [
  function flipBit(random, bytes) {
    if (bytes.length === 0) return [bytes, 'flip-bit (empty)'];
    const out = bytes.slice();
    const at = position(random, out);
    const bit = random.int(8);
    out[at] = (out[at] as number) ^ (1 << bit);
    return [out, `flip-bit ${at}:${bit}`];
  },
  function setByte(random, bytes) {
    if (bytes.length === 0) return [bytes, 'set-byte (empty)'];
    const out = bytes.slice();
    const at = position(random, out);
    const value = random.next() < 0.5 ? random.pick(INTERESTING_BYTES) : random.int(256);
    out[at] = value;
    return [out, `set-byte ${at}=${value}`];
  },
  function insertBytes(random, bytes) {
    const at = position(random, bytes, true);
    const inserted = random.bytes(1 + random.int(4));
    return [concat(bytes.subarray(0, at), inserted, bytes.subarray(at)), `insert ${at}+${inserted.length}`];
  },
  function deleteBytes(random, bytes) {
    const at = position(random, bytes);
    const count = 1 + random.int(4);
    return [concat(bytes.subarray(0, at), bytes.subarray(at + count)), `delete ${at}-${count}`];
  },
  function truncate(random, bytes) {
    const at = position(random, bytes);
    return [bytes.slice(0, at), `truncate ${at}`];
  },
  function dropPrefix(random, bytes) {
    const at = 1 + position(random, bytes);
    return [bytes.slice(at), `drop-prefix ${at}`];
  },
  function splice(random, bytes, donor) {
    const at = position(random, bytes, true);
    const from = random.int(donor.length + 1);
    return [concat(bytes.subarray(0, at), donor.subarray(from)), `splice ${at}<-donor@${from}`];
  },
  function appendDonor(_random, bytes, donor) {
    return [concat(bytes, donor), 'append-donor'];
  },
  function duplicateChunk(random, bytes) {
    const at = position(random, bytes, true);
    const chunk = bytes.subarray(at, at + 1 + random.int(16));
    return [concat(bytes.subarray(0, at), chunk, chunk, bytes.subarray(at + chunk.length)), `duplicate ${at}`];
  },
  function hugeVarUint(random, bytes) {
    // Replaces whatever varuint starts here (a type, a length, a client id, a clock) with a huge one.
    const at = position(random, bytes, true);
    const huge = random.pick(HUGE_LENGTHS);
    return [concat(bytes.subarray(0, at), varUint(huge), bytes.subarray(varUintEnd(bytes, at))), `huge ${at}=${huge}`];
  },
  function bumpVarUint(random, bytes) {
    // Off-by-a-little lengths are the ones that read into the bytes *after* a frame, which only a
    // bounds check catches (huge ones fail anyway when they run past the whole buffer).
    const at = position(random, bytes);
    const end = varUintEnd(bytes, at);
    let value = 0n;
    for (let index = end - 1; index >= at; index--) value = (value << 7n) | BigInt((bytes[index] as number) & 0x7f);
    const delta = BigInt(1 + random.int(16));
    return [concat(bytes.subarray(0, at), varUint(value + delta), bytes.subarray(end)), `bump ${at}+${delta}`];
  },
  function shrinkVarUint(random, bytes) {
    // A length a little too short leaves the tail of one message to be read as the next one.
    const at = position(random, bytes);
    const end = varUintEnd(bytes, at);
    let value = 0n;
    for (let index = end - 1; index >= at; index--) value = (value << 7n) | BigInt((bytes[index] as number) & 0x7f);
    const delta = BigInt(1 + random.int(16));
    const shrunk = value > delta ? value - delta : 0n;
    return [concat(bytes.subarray(0, at), varUint(shrunk), bytes.subarray(end)), `shrink ${at}-${delta}`];
  },
  function repeatWhole(random, bytes) {
    // The same message 2-4 times in one frame: replays of one update or awareness state.
    const times = 2 + random.int(3);
    return [concat(...Array.from({ length: times }, () => bytes)), `repeat x${times}`];
  },
  function overlongVarUint(random, bytes) {
    // Pads a varuint with continuation bytes: sometimes still decodable (lib0 is lenient), sometimes
    // past 2^53, which must be refused.
    const at = position(random, bytes);
    const padding = new Uint8Array(1 + random.int(10)).fill(0x80);
    return [concat(bytes.subarray(0, at), padding, bytes.subarray(at)), `overlong ${at}+${padding.length}`];
  },
  function unterminatedVarUint(random, bytes) {
    const tail = Uint8Array.from({ length: 1 + random.int(3) }, () => 0x80 | random.int(128));
    return [concat(bytes.subarray(0, position(random, bytes, true)), tail), 'unterminated-varuint'];
  },
];

/** Applies 1–3 random mutations (bit flips, inserts, deletes, truncation, splices, huge varuints...). */
export function mutate(random: Random, input: Uint8Array, donor: Uint8Array = input): Mutation {
  let bytes = input;
  const steps: string[] = [];
  const rounds = 1 + random.int(3);
  for (let round = 0; round < rounds; round++) {
    const [next, step] = random.pick(MUTATORS)(random, bytes, donor);
    bytes = next;
    steps.push(step);
  }
  return { bytes, steps };
}

/**
 * Several messages in one frame, the way a frame may carry them (docs/protocol.md): 2–5 picked from
 * `pool`, each mutated with probability `mutateChance`, so valid and broken messages share a frame.
 */
export function joinMessages(random: Random, pool: readonly Uint8Array[], mutateChance = 0.3): Mutation {
  const parts: Uint8Array[] = [];
  const steps: string[] = [];
  const count = 2 + random.int(4);
  for (let part = 0; part < count; part++) {
    const message = random.pick(pool);
    if (random.next() < mutateChance) {
      const mutation = mutate(random, message, random.pick(pool));
      parts.push(mutation.bytes);
      steps.push(`[${part}: ${mutation.steps.join(', ')}]`);
    } else {
      parts.push(message);
    }
  }
  return { bytes: concat(...parts), steps: [`join ${count}`, ...steps] };
}
