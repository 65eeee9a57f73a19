import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WeftError } from './weft-error.ts';

/** Outer message types. 0–3 are y-protocols v1; 100+ are Weft extensions. */
export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  /** Weft extension: everything up to `seq` that this client sent is durable on disk. */
  durableAck: 100,
  /** Weft extension: a close code and a reason people can read, sent just before closing. */
  error: 101,
} as const;

/** Sub-types of a sync message (y-protocols/sync). */
export const SyncType = {
  step1: 0,
  step2: 1,
  update: 2,
} as const;

/** The y-protocols auth sub-type for "permission denied". */
export const AUTH_PERMISSION_DENIED = 0;

/** A decoded message. Byte payloads are views into the frame; copy them to keep them. */
export type Message =
  | { kind: 'sync-step-1'; stateVector: Uint8Array }
  | { kind: 'sync-step-2'; update: Uint8Array }
  | { kind: 'update'; update: Uint8Array }
  | { kind: 'awareness'; update: Uint8Array }
  | { kind: 'permission-denied'; reason: string }
  | { kind: 'query-awareness' }
  | { kind: 'durable-ack'; seq: number }
  | { kind: 'error'; code: number; reason: string };

/** True for the messages whose content can change a document (they count towards durable acks). */
export function carriesUpdate(message: Message): message is Extract<Message, { update: Uint8Array }> & {
  kind: 'sync-step-2' | 'update';
} {
  return message.kind === 'sync-step-2' || message.kind === 'update';
}

function encodeWith(type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

function encodeSync(subType: number, payload: Uint8Array): Uint8Array {
  return encodeWith(MessageType.sync, (encoder) => {
    encoding.writeVarUint(encoder, subType);
    encoding.writeVarUint8Array(encoder, payload);
  });
}

/** SyncStep1: "here is my state vector, send me what I am missing". */
export const encodeSyncStep1 = (stateVector: Uint8Array): Uint8Array => encodeSync(SyncType.step1, stateVector);
/** SyncStep2: the answer to SyncStep1, a Yjs v1 update with what the peer is missing. */
export const encodeSyncStep2 = (update: Uint8Array): Uint8Array => encodeSync(SyncType.step2, update);
/** Update: an incremental Yjs v1 update. */
export const encodeUpdate = (update: Uint8Array): Uint8Array => encodeSync(SyncType.update, update);

/** Awareness: a y-protocols awareness update. */
export function encodeAwareness(awarenessUpdate: Uint8Array): Uint8Array {
  return encodeWith(MessageType.awareness, (encoder) => encoding.writeVarUint8Array(encoder, awarenessUpdate));
}

/** Query-awareness: asks the peer to send all awareness states it knows. */
export const encodeQueryAwareness = (): Uint8Array => encodeWith(MessageType.queryAwareness, () => {});

/** Auth / permission denied, as y-protocols/auth writes it. */
export function encodePermissionDenied(reason: string): Uint8Array {
  return encodeWith(MessageType.auth, (encoder) => {
    encoding.writeVarUint(encoder, AUTH_PERMISSION_DENIED);
    encoding.writeVarString(encoder, reason);
  });
}

/** Weft durable ack: update-bearing messages 1..seq of this connection are durable on disk. */
export const encodeDurableAck = (seq: number): Uint8Array =>
  encodeWith(MessageType.durableAck, (encoder) => encoding.writeVarUint(encoder, seq));

/** Weft error: why the server is about to close, in a form a UI can show. */
export function encodeError(code: number, reason: string): Uint8Array {
  return encodeWith(MessageType.error, (encoder) => {
    encoding.writeVarUint(encoder, code);
    encoding.writeVarString(encoder, reason);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// lib0 checks a varuint against 2^53 only before reading another byte, so the last byte can carry it
// far past: such a number re-encodes into bytes that lib0 then refuses. Every integer is checked here.
function readUint(decoder: decoding.Decoder): number {
  const value = decoding.readVarUint(decoder);
  if (!Number.isSafeInteger(value)) throw new Error(`integer ${value} is past 2^53`);
  return value;
}

// lib0's readVarUint8Array makes a view of `length` bytes without checking it against the frame,
// and frames from `ws` are often slices of a larger pooled buffer, so a hostile length could read
// bytes of other connections. Every length is checked here first.
function readBytes(decoder: decoding.Decoder): Uint8Array {
  const length = readUint(decoder);
  const remaining = decoder.arr.length - decoder.pos;
  if (length > remaining) throw new Error(`length ${length} exceeds the ${remaining} bytes left in the frame`);
  return decoding.readUint8Array(decoder, length);
}

function readString(decoder: decoding.Decoder): string {
  return utf8.decode(readBytes(decoder));
}

function readMessage(decoder: decoding.Decoder): Message {
  const type = readUint(decoder);
  switch (type) {
    case MessageType.sync: {
      const subType = readUint(decoder);
      const payload = readBytes(decoder);
      if (subType === SyncType.step1) return { kind: 'sync-step-1', stateVector: payload };
      if (subType === SyncType.step2) return { kind: 'sync-step-2', update: payload };
      if (subType === SyncType.update) return { kind: 'update', update: payload };
      throw new WeftError('malformed-message', `unknown sync message type ${subType}`);
    }
    case MessageType.awareness:
      return { kind: 'awareness', update: readBytes(decoder) };
    case MessageType.auth: {
      const subType = readUint(decoder);
      if (subType !== AUTH_PERMISSION_DENIED) throw new WeftError('malformed-message', `unknown auth type ${subType}`);
      return { kind: 'permission-denied', reason: readString(decoder) };
    }
    case MessageType.queryAwareness:
      return { kind: 'query-awareness' };
    case MessageType.durableAck:
      return { kind: 'durable-ack', seq: readUint(decoder) };
    case MessageType.error: {
      const code = readUint(decoder);
      return { kind: 'error', code, reason: readString(decoder) };
    }
    default:
      throw new WeftError('unknown-message-type', `unknown message type ${type}`);
  }
}

/**
 * Decodes every message in a frame (a frame may hold several, back to back).
 * Throws `WeftError('malformed-message' | 'unknown-message-type')` on any bad byte; never reads
 * outside `frame`.
 *
 * @example
 * for (const message of decodeFrame(bytes)) if (message.kind === 'update') Y.applyUpdate(doc, message.update)
 */
export function decodeFrame(frame: Uint8Array): Message[] {
  if (frame.length === 0) throw new WeftError('malformed-message', 'empty frame');
  const decoder = decoding.createDecoder(frame);
  const messages: Message[] = [];
  try {
    while (decoding.hasContent(decoder)) messages.push(readMessage(decoder));
  } catch (cause) {
    if (cause instanceof WeftError) throw cause;
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new WeftError('malformed-message', `malformed frame: ${detail}`, { cause });
  }
  return messages;
}
