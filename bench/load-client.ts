// The load generator's protocol clients: each speaks one server's wire format directly, with no
// Y.Doc and no provider, so that hundreds of them fit in one process on a small machine.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { openRawWebSocket, type RawWebSocket } from './raw-websocket.ts';

/**
 * - `y-protocols`: y-protocols v1 frames, one document per socket (Weft, @y/websocket-server).
 * - `hocuspocus`: the same messages, each prefixed with the document name as a varString, after an
 *   Auth message (Hocuspocus queues everything else until the client has sent one).
 * - `relay`: y-protocols frames sent to a relay that forwards them unread; there is no handshake.
 */
export type WireProtocol = 'y-protocols' | 'hocuspocus' | 'relay';

/** What a received message is, as far as the load generator cares. */
export type ReceivedKind = 'update' | 'sync-step-2' | 'ack' | 'other';

export interface LoadClientOptions {
  protocol: WireProtocol;
  /** ws://host:port */
  baseUrl: string;
  docName: string;
  /** Appended to the URL, e.g. `?weft=ack`. */
  query?: string;
  /**
   * Called for every message after it has been classified; `frame` is the whole frame, a view valid
   * only during the call.
   */
  onMessage?(kind: ReceivedKind, frame: Buffer): void;
}

export interface LoadClient {
  /** Resolves when the server's SyncStep2 arrived (for the relay: when the socket opened). */
  readonly synced: Promise<void>;
  /** Sends one Yjs v1 update as a sync Update message. */
  sendUpdate(update: Uint8Array): void;
  /** SyncStep2 and Update messages sent so far: the numbers Weft's durable acks count (docs/protocol.md). */
  readonly updatesSent: number;
  /** TCP payload bytes (WebSocket frames) since the socket opened, excluding the HTTP upgrade. */
  wireBytes(): { sent: number; received: number };
  /** The server's close code and reason once the socket has closed, else undefined. */
  closedWith(): string | undefined;
  /** Closes the socket and resolves once it is closed. */
  close(): Promise<void>;
}

const SYNC = 0;
const AUTH = 2;
const STEP1 = 0;
const STEP2 = 1;
const UPDATE = 2;
/** Hocuspocus: "SyncStatus", its acknowledgement that it applied an update (in memory). */
const HOCUSPOCUS_SYNC_STATUS = 8;
/** Weft: durable-ack extension message. */
const WEFT_DURABLE_ACK = 100;
/** Y.encodeStateAsUpdate of an empty document and the state vector of one. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);
const EMPTY_STATE_VECTOR = new Uint8Array([0]);

function frameWith(prefix: string | undefined, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  if (prefix !== undefined) encoding.writeVarString(encoder, prefix);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

function syncFrame(prefix: string | undefined, subType: number, payload: Uint8Array): Uint8Array {
  return frameWith(prefix, (encoder) => {
    encoding.writeVarUint(encoder, SYNC);
    encoding.writeVarUint(encoder, subType);
    encoding.writeVarUint8Array(encoder, payload);
  });
}

/** Hocuspocus's Auth message: type 2, sub-type 0 (token), the token (empty: no onAuthenticate hook). */
function hocuspocusAuth(docName: string): Uint8Array {
  return frameWith(docName, (encoder) => {
    encoding.writeVarUint(encoder, AUTH);
    encoding.writeVarUint(encoder, 0);
    encoding.writeVarString(encoder, '');
  });
}

function classify(frame: Buffer, hasPrefix: boolean): { kind: ReceivedKind; syncStep1: boolean } {
  const decoder = decoding.createDecoder(frame);
  if (hasPrefix) decoding.readVarString(decoder);
  const type = decoding.readVarUint(decoder);
  if (type === SYNC) {
    const subType = decoding.readVarUint(decoder);
    if (subType === STEP1) return { kind: 'other', syncStep1: true };
    return { kind: subType === STEP2 ? 'sync-step-2' : 'update', syncStep1: false };
  }
  const ack = type === HOCUSPOCUS_SYNC_STATUS || type === WEFT_DURABLE_ACK;
  return { kind: ack ? 'ack' : 'other', syncStep1: false };
}

/** Opens one socket and runs the handshake; resolves once the socket is open (not yet synced). */
export async function connectLoadClient(options: LoadClientOptions): Promise<LoadClient> {
  const { protocol, docName } = options;
  const prefix = protocol === 'hocuspocus' ? docName : undefined;
  const path = protocol === 'hocuspocus' ? '' : docName;
  let resolveSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });
  let closedWith: string | undefined;
  let updatesSent = 0;
  const sendSync = (socket: RawWebSocket, subType: number, payload: Uint8Array) => {
    if (subType !== STEP1) updatesSent += 1;
    socket.send(syncFrame(prefix, subType, payload));
  };
  const socket = await openRawWebSocket(`${options.baseUrl}/${path}${options.query ?? ''}`, {
    onMessage(data, socket) {
      if (protocol === 'relay') {
        options.onMessage?.('update', data);
        return;
      }
      const { kind, syncStep1 } = classify(data, prefix !== undefined);
      // The server asks for our state; a load client has none of its own before it starts writing.
      if (syncStep1) sendSync(socket, STEP2, EMPTY_UPDATE);
      if (kind === 'sync-step-2') resolveSynced();
      options.onMessage?.(kind, data);
    },
    // Errors after open show up as a close; the scenario counts what was not delivered.
    onClose(code, reason) {
      closedWith = `${code} ${reason}`;
    },
  });
  if (protocol === 'relay') resolveSynced();
  else {
    if (prefix !== undefined) socket.send(hocuspocusAuth(docName));
    sendSync(socket, STEP1, EMPTY_STATE_VECTOR);
  }
  return {
    synced,
    sendUpdate: (update) => sendSync(socket, UPDATE, update),
    get updatesSent() {
      return updatesSent;
    },
    wireBytes: socket.wireBytes,
    closedWith: () => closedWith,
    close: socket.close,
  };
}

/** Opens `count` clients, at most `concurrency` handshakes at a time (the listen backlog is finite). */
export async function connectMany(
  count: number,
  concurrency: number,
  open: (index: number) => Promise<LoadClient>,
): Promise<LoadClient[]> {
  const clients: LoadClient[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const client = await open(index);
      await client.synced;
      clients[index] = client;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return clients;
}

/** Closes clients in batches, so a close storm never times out. */
export async function closeMany(clients: readonly (LoadClient | undefined)[], batch = 500): Promise<void> {
  for (let i = 0; i < clients.length; i += batch) {
    await Promise.all(clients.slice(i, i + batch).map((client) => client?.close()));
  }
}

/** The Yjs update carried by a sync SyncStep2 or Update frame (a view into it), else undefined. */
export function readUpdatePayload(frame: Buffer, protocol: WireProtocol): Uint8Array | undefined {
  const decoder = decoding.createDecoder(frame);
  if (protocol === 'hocuspocus') decoding.readVarString(decoder);
  if (decoding.readVarUint(decoder) !== SYNC) return undefined;
  const subType = decoding.readVarUint(decoder);
  return subType === STEP2 || subType === UPDATE ? decoding.readVarUint8Array(decoder) : undefined;
}

/** The sequence number of Weft's durable-ack message `frame` (y-protocols framing). */
export function readDurableAck(frame: Buffer): number | undefined {
  const decoder = decoding.createDecoder(frame);
  return decoding.readVarUint(decoder) === WEFT_DURABLE_ACK ? decoding.readVarUint(decoder) : undefined;
}

/** The sync frame a relay forwards and a greeting file holds: SyncStep2 with `update`. */
export function syncStep2Frame(update: Uint8Array): Uint8Array {
  return syncFrame(undefined, STEP2, update);
}
