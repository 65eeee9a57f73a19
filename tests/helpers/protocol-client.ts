import {
  decodeFrame,
  EXTENSIONS_PARAM,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from '@weft/protocol';
import { WebSocket } from 'ws';
import * as Y from 'yjs';

/**
 * A minimal client that speaks the wire protocol directly (no provider): for tests that need to
 * see durable acks, close codes and exact message counts.
 */
export interface ProtocolClient {
  readonly doc: Y.Doc;
  readonly socket: WebSocket;
  /** Update-bearing messages sent (SyncStep2 + Update), numbered like the server numbers them. */
  readonly sentUpdates: number;
  /** Highest durable ack received. */
  readonly ackedUpdates: number;
  /** Every message kind received, in order. */
  readonly receivedKinds: string[];
  /** Resolves when the server's SyncStep2 arrived (the client has the server's state). */
  readonly synced: Promise<void>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  sendRaw(bytes: Uint8Array): void;
  sendAwareness(update: Uint8Array): void;
  close(): void;
}

export interface ProtocolClientOptions {
  doc?: Y.Doc;
  /** Weft extensions to announce, e.g. ['ack', 'error']. */
  extensions?: string[];
  /** More query parameters, e.g. `{ token }`. */
  params?: Record<string, string>;
  /** Subprotocols to offer, e.g. `tokenSubprotocols(token)`. */
  protocols?: string[];
}

const remote = Symbol('remote');

export function connectProtocolClient(
  baseUrl: string,
  docName: string,
  options: ProtocolClientOptions = {},
): Promise<ProtocolClient> {
  const doc = options.doc ?? new Y.Doc();
  const params = new URLSearchParams(options.params);
  if (options.extensions?.length) params.set(EXTENSIONS_PARAM, options.extensions.join(','));
  const query = params.size > 0 ? `?${params.toString().replaceAll('%2C', ',')}` : '';
  const socket = new WebSocket(
    `${baseUrl}/${encodeURIComponent(docName).replaceAll('%2F', '/')}${query}`,
    options.protocols ?? [],
  );
  socket.binaryType = 'nodebuffer';
  let sentUpdates = 0;
  let ackedUpdates = 0;
  const receivedKinds: string[] = [];
  let resolveSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  const send = (bytes: Uint8Array) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
  };
  const onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === remote) return;
    sentUpdates += 1;
    send(encodeUpdate(update));
  };
  doc.on('update', onUpdate);

  socket.on('message', (data: Buffer) => {
    for (const message of decodeFrame(new Uint8Array(data))) {
      receivedKinds.push(message.kind);
      switch (message.kind) {
        case 'sync-step-1':
          sentUpdates += 1;
          send(encodeSyncStep2(Y.encodeStateAsUpdate(doc, message.stateVector)));
          break;
        case 'sync-step-2':
          Y.applyUpdate(doc, message.update, remote);
          resolveSynced();
          break;
        case 'update':
          Y.applyUpdate(doc, message.update, remote);
          break;
        case 'durable-ack':
          ackedUpdates = Math.max(ackedUpdates, message.seq);
          break;
        default:
          break;
      }
    }
  });

  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused with HTTP ${response.statusCode}`)),
    );
    socket.once('open', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      send(encodeSyncStep1(Y.encodeStateVector(doc)));
      resolve({
        doc,
        socket,
        get sentUpdates() {
          return sentUpdates;
        },
        get ackedUpdates() {
          return ackedUpdates;
        },
        receivedKinds,
        synced,
        closed,
        sendRaw: send,
        sendAwareness: (update) => send(encodeAwareness(update)),
        close: () => {
          doc.off('update', onUpdate);
          socket.close();
        },
      });
    });
  });
}
