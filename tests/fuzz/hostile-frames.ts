import {
  CloseCode,
  carriesUpdate,
  decodeFrame,
  encodeAwareness,
  encodeDurableAck,
  encodeError,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type Message,
} from '@weft/protocol';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { encodeAwarenessEntries, randomAwarenessEntries, seededDoc } from './corpus.ts';
import { concat, HUGE_LENGTHS, mutate, type Random, varUint } from './mutations.ts';
import { encodeRawFrame } from './raw-websocket.ts';

/** How a hostile frame travels: a binary or text WebSocket message, or raw bytes on the TCP stream. */
export type Channel = 'binary' | 'text' | 'raw';

export interface HostileFrame {
  kind: string;
  channel: Channel;
  bytes: Uint8Array;
  /** The server must close with one of these codes; undefined when the frame may be accepted. */
  mustCloseWith?: readonly number[];
  /**
   * The attacker peer whose items the frame carries, when the server must take all of it or none
   * (one message, or none that decode): if it is refused, this client may never show up.
   */
  author?: number;
  /** An untouched, valid frame: the server must accept it. */
  pristine: boolean;
  /** SyncStep1 messages in the frame: the server answers each with a SyncStep2. */
  syncStep1Count: number;
  /** The Yjs updates the frame carries, if it decodes: what an accepted frame adds to the document. */
  updates: Uint8Array[];
  how: string;
}

/** Codes the server or `ws` may close a hostile socket with. */
export const HOSTILE_CLOSE_CODES = [CloseCode.badRequest, 1002, 1007, CloseCode.messageTooBig] as const;

export interface HostileFrameOptions {
  /** The honest clients' current state; attacker updates build on it like a real peer's would. */
  honestState: Uint8Array;
  /** The server's maxPayload, to build frames just over it. */
  maxPayload: number;
}

const tryDecode = (bytes: Uint8Array): Message[] | undefined => {
  try {
    return decodeFrame(bytes);
  } catch {
    return undefined;
  }
};

/** Binary frames get their expectations from how they decode, never from how they were made. */
function binaryFrame(kind: string, bytes: Uint8Array, how: string, author?: number): HostileFrame {
  const messages = tryDecode(bytes);
  // A frame that fails to decode is refused whole; one with a single message too. (Frames with
  // several messages and an update among them are never sent: see createHostileFrame.)
  const attributable = messages === undefined || messages.length <= 1;
  return {
    kind,
    channel: 'binary',
    bytes,
    how,
    pristine: false,
    ...(attributable && author !== undefined ? { author } : {}),
    ...(messages === undefined ? { mustCloseWith: [CloseCode.badRequest] } : {}),
    syncStep1Count: messages?.filter((message) => message.kind === 'sync-step-1').length ?? 0,
    updates: (messages ?? []).filter(carriesUpdate).map((message) => message.update),
  };
}

/**
 * True when the server may apply part of the frame and refuse the rest: several messages, one of
 * them an update. The test could not tell which part got in, so such frames are not sent (the
 * decoder's handling of several messages per frame is fuzzed in decode-frame.test.ts).
 */
const partlyApplicable = (frame: HostileFrame) => {
  const messages = frame.channel === 'binary' ? tryDecode(frame.bytes) : undefined;
  return messages !== undefined && messages.length > 1 && messages.some(carriesUpdate);
};

/** A real Yjs update from a fresh peer that has seen the honest state: it inserts `marker`, and maybe more. */
function attackerUpdate(
  random: Random,
  honestState: Uint8Array,
  marker: string,
): { update: Uint8Array; author: number } {
  const doc = seededDoc(random);
  Y.applyUpdate(doc, honestState);
  const before = Y.encodeStateVector(doc);
  const text = doc.getText('shared');
  text.insert(random.int(text.length + 1), marker);
  if (random.next() < 0.3) text.format(text.toString().indexOf(marker), marker.length, { bold: true });
  if (random.next() < 0.3) text.delete(random.int(text.length), 1 + random.int(2));
  if (random.next() < 0.2) doc.getMap('meta').set(marker, { by: 'attacker' });
  const result = { update: Y.encodeStateAsUpdate(doc, before), author: doc.clientID };
  doc.destroy();
  return result;
}

function updateBody(random: Random, index: number, options: HostileFrameOptions): HostileFrame {
  const marker = `<x${index}>`;
  const wrap = random.next() < 0.5 ? encodeUpdate : encodeSyncStep2;
  const { update, author } = attackerUpdate(random, options.honestState, marker);
  if (random.next() < 0.2) return { ...binaryFrame('valid-update', wrap(update), 'valid', author), pristine: true };
  const { bytes, steps } = mutate(random, update);
  return binaryFrame('mutated-update-body', wrap(bytes), steps.join(', '), author);
}

function awarenessBody(random: Random): HostileFrame {
  const update = encodeAwarenessEntries(randomAwarenessEntries(random, 1 + random.int(3)));
  if (random.next() < 0.2) {
    return { ...binaryFrame('valid-awareness', encodeAwareness(update), 'valid'), pristine: true };
  }
  const { bytes, steps } = mutate(random, update);
  return binaryFrame('mutated-awareness-body', encodeAwareness(bytes), steps.join(', '));
}

function wholeFrame(random: Random, index: number, options: HostileFrameOptions): HostileFrame {
  const marker = `<y${index}>`;
  const { update, author } = attackerUpdate(random, options.honestState, marker);
  const awareness = encodeAwarenessEntries(randomAwarenessEntries(random, 1 + random.int(2)));
  const valid = [
    encodeUpdate(update),
    encodeSyncStep2(update),
    encodeSyncStep1(Y.encodeStateVectorFromUpdate(options.honestState)),
    encodeAwareness(awareness),
    encodeQueryAwareness(),
  ];
  const { bytes, steps } = mutate(random, random.pick(valid), random.pick(valid));
  return binaryFrame('mutated-frame', bytes, steps.join(', '), author);
}

function framingError(random: Random): HostileFrame {
  const huge = varUint(random.pick(HUGE_LENGTHS));
  const candidates: [string, Uint8Array][] = [
    ['empty frame', new Uint8Array(0)],
    ['truncated type varuint', Uint8Array.of(0x80)],
    ['truncated sync sub-type', Uint8Array.of(0x00, 0x82)],
    ['truncated length varuint', Uint8Array.of(0x00, 0x02, 0x80)],
    ['huge update length', concat(Uint8Array.of(0x00, 0x02), huge, random.bytes(random.int(8)))],
    ['huge awareness length', concat(Uint8Array.of(0x01), huge, random.bytes(random.int(8)))],
    ['length one past the end', Uint8Array.of(0x00, 0x01, 0x04, 0x01, 0x02, 0x03)],
    ['unknown sync sub-type', Uint8Array.of(0x00, 0x07, 0x00)],
    ['unknown message type', concat(varUint(4 + random.int(90)), random.bytes(random.int(4)))],
    ['server-only durable ack', encodeDurableAck(random.int(100))],
    ['server-only error message', encodeError(4400, 'from a client')],
  ];
  const [how, bytes] = random.pick(candidates);
  return { ...binaryFrame('framing', bytes, how), mustCloseWith: [CloseCode.badRequest] };
}

function textFrame(random: Random): HostileFrame {
  // Valid UTF-8 reaches the server's handler (4400); invalid UTF-8 is refused by ws itself (1007).
  const valid = random.next() < 0.5;
  return {
    kind: 'text',
    channel: 'text',
    bytes: valid
      ? new TextEncoder().encode(`{"type":"sync","n":${random.int(1000)}}`)
      : concat(random.bytes(random.int(4)), Uint8Array.of(0xc3, 0x28)),
    how: valid ? 'text frame' : 'invalid UTF-8 text frame',
    mustCloseWith: [valid ? CloseCode.badRequest : 1007],
    pristine: false,
    syncStep1Count: 0,
    updates: [],
  };
}

function oversizeFrame(random: Random, options: HostileFrameOptions): HostileFrame {
  const bytes = concat(Uint8Array.of(0x00, 0x02), varUint(options.maxPayload), random.bytes(options.maxPayload));
  return { ...binaryFrame('oversize', bytes, `${bytes.length} bytes`), mustCloseWith: [CloseCode.messageTooBig] };
}

/** WebSocket framing that `ws` refuses itself (1002 protocol error, 1007, 1009). */
function rawProtocolError(random: Random, options: HostileFrameOptions): HostileFrame {
  const payload = encodeQueryAwareness();
  const candidates: [string, Uint8Array, number][] = [
    ['reserved opcode', encodeRawFrame(random, { opcode: random.pick([3, 4, 5, 6, 7, 11, 12, 15]), payload }), 1002],
    ['RSV bits set', encodeRawFrame(random, { opcode: 2, rsv: 1 + random.int(7), payload }), 1002],
    ['unmasked client frame', encodeRawFrame(random, { opcode: 2, masked: false, payload }), 1002],
    ['continuation without a start', encodeRawFrame(random, { opcode: 0, payload }), 1002],
    ['fragmented ping', encodeRawFrame(random, { opcode: 9, fin: false }), 1002],
    ['oversized ping', encodeRawFrame(random, { opcode: 9, payload: random.bytes(126) }), 1002],
    ['close with code 999', encodeRawFrame(random, { opcode: 8, payload: Uint8Array.of(0x03, 0xe7) }), 1002],
    ['close with a 1-byte body', encodeRawFrame(random, { opcode: 8, payload: Uint8Array.of(0x03) }), 1002],
    ['invalid UTF-8 text', encodeRawFrame(random, { opcode: 1, payload: Uint8Array.of(0xff, 0xfe) }), 1007],
    [
      'declared length over maxPayload',
      encodeRawFrame(random, { opcode: 2, declaredLength: BigInt(options.maxPayload + 1) }),
      CloseCode.messageTooBig,
    ],
    ['declared length 2^63', encodeRawFrame(random, { opcode: 2, declaredLength: 2n ** 63n }), CloseCode.messageTooBig],
  ];
  const [how, bytes, code] = random.pick(candidates);
  return {
    kind: 'raw-protocol',
    channel: 'raw',
    bytes,
    how,
    mustCloseWith: [code],
    pristine: false,
    syncStep1Count: 0,
    updates: [],
  };
}

function awarenessUpdateOf(entries: [clientID: number, json: string][]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const [clientID, json] of entries) {
    encoding.writeVarUint(encoder, clientID);
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarString(encoder, json);
  }
  return encoding.toUint8Array(encoder);
}

const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex.replaceAll(' ', ''), 'hex'));

/**
 * A varuint lib0 reads as 2^53 - 1 + 2^56, which rounds to 2^56 + 2^53 as a double; written back
 * canonically, its low 56 bits exceed 2^53 and lib0's reader throws "Integer out of Range".
 */
const UNREADABLE_AFTER_REENCODING = 'ffffffffffffff8f01';

/** A well-formed frame with contents a mutation rarely produces but an attacker writes on purpose. */
export interface CraftedFrame {
  bytes: Uint8Array;
  /** The client its items belong to; it is always refused, so this client may never show up. */
  author?: number;
}

/**
 * Frames that broke the server when this fuzzer found them; the regression tests replay each one.
 * Yjs v1 update layout: clients, structs, client, clock, info, [origin], [right origin], [parent], content, delete set.
 */
export const CRAFTED = {
  /** A Yjs item of length zero (ContentDeleted, len 0): Yjs stores it, then cannot encode the document. */
  zeroLengthItem: {
    bytes: encodeUpdate(fromHex('01 01 05 00 01 01 06736861726564 00 00')),
  },
  /** A valid struct inserting "MARKER", then a truncated delete set: Yjs integrates before it fails. */
  truncatedDeleteSet: {
    bytes: encodeUpdate(fromHex('01 01 2a 00 04 01 06736861726564 064d41524b4552')),
    author: 42,
  },
  /** "MARK", then a struct whose right origin lies ahead of itself: the first is integrated before Yjs fails. */
  forwardOrigin: {
    bytes: encodeUpdate(fromHex('01 02 2b 00 04 01 06736861726564 044d41524b 44 2b09 024552 00')),
    author: 43,
  },
  /** 20 million structs announced in a few bytes; Yjs preallocates an array for them before failing. */
  hugeStructCount: {
    bytes: encodeUpdate(concat(Uint8Array.of(0x01), varUint(20_000_000), Uint8Array.of(0x05, 0x00))),
  },
  /**
   * An item whose origin clock decodes (from a non-canonical varuint) to 2^56 + 2^53: Yjs holds it
   * as pending, and its canonical re-encoding is a varuint lib0 refuses to read back.
   */
  unsafeOriginClock: {
    bytes: encodeUpdate(fromHex(`01 01 05 00 84 06${UNREADABLE_AFTER_REENCODING} 0178 00`)),
  },
  /** The same number as an awareness client id: relayed to every peer in a form none can decode. */
  unsafeAwarenessClientId: {
    // One entry: client id, clock 1, '{"user":"x"}'.
    bytes: encodeAwareness(fromHex(`01 ${UNREADABLE_AFTER_REENCODING} 01 0c7b2275736572223a2278227d`)),
  },
  /** A valid awareness entry, then an invalid one: the first is stored but never announced or removed. */
  ghostAwareness: {
    bytes: encodeAwareness(
      awarenessUpdateOf([
        [777_001, '{"user":"ghost"}'],
        [777_002, '{'],
      ]),
    ),
  },
  /** A state JSON.parse accepts but JSON.stringify cannot re-encode (stack overflow), then an invalid entry. */
  deepAwareness: {
    bytes: encodeAwareness(
      awarenessUpdateOf([
        [777_003, `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
        [777_004, '{'],
      ]),
    ),
  },
} satisfies Record<string, CraftedFrame>;

/** One seeded hostile frame; `index` makes the text it inserts unique. */
export function createHostileFrame(random: Random, index: number, options: HostileFrameOptions): HostileFrame {
  for (;;) {
    const frame = pickHostileFrame(random, index, options);
    if (!partlyApplicable(frame)) return frame;
  }
}

function pickHostileFrame(random: Random, index: number, options: HostileFrameOptions): HostileFrame {
  const roll = random.next();
  if (roll < 0.3) return updateBody(random, index, options);
  if (roll < 0.45) return awarenessBody(random);
  if (roll < 0.65) return wholeFrame(random, index, options);
  if (roll < 0.72) {
    const bytes = random.bytes(1 + random.int(64));
    return binaryFrame('random-bytes', bytes, 'random bytes');
  }
  if (roll < 0.82) return framingError(random);
  if (roll < 0.87) return textFrame(random);
  if (roll < 0.89) return oversizeFrame(random, options);
  if (roll < 0.96) return rawProtocolError(random, options);
  const [how, crafted]: [string, CraftedFrame] = random.pick(Object.entries(CRAFTED));
  return { ...binaryFrame('crafted', crafted.bytes, how, crafted.author), mustCloseWith: [CloseCode.badRequest] };
}
