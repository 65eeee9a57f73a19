import type { Duplex } from 'node:stream';
import {
  type Access,
  CloseCode,
  decodeFrame,
  Extension,
  type ExtensionName,
  encodeDurableAck,
  encodeError,
  encodePermissionDenied,
  encodeSyncStep1,
  fitCloseReason,
  isWeftError,
  type Message,
  READ_ONLY_REASON,
} from '@weft/protocol';
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import type { Logger } from './logger.ts';
import { createRateLimiter, type RateLimitOptions } from './rate-limit.ts';
import type { Room, RoomPeer } from './room.ts';
import { closeAt } from './session-expiry.ts';
import type { SharedFrame } from './shared-frame.ts';

/** One client socket bound to one document. */
export interface Connection extends RoomPeer {
  readonly docName: string;
  /** Binds the connection to its loaded room: sends the handshake, then handles queued frames. */
  attach(room: Room<Connection>): void;
  /** Closes with a code and a reason (sent as a Weft error message first, to clients that asked). */
  close(code: number, reason: string): void;
  /** Liveness check: terminates the socket if no pong came since the last call, else pings. */
  heartbeat(): void;
}

export interface ConnectionOptions {
  socket: WebSocket;
  /** The TCP socket under `socket` (from the upgrade), for broadcasts framed once for all receivers. */
  stream: Duplex;
  docName: string;
  extensions: ReadonlySet<ExtensionName>;
  logger: Logger;
  /** Most bytes of frames held while the document loads; past it the connection is closed (1013). */
  maxQueuedBytes: number;
  access: Access;
  /** When the connection's credentials expire (ms since the epoch): it is closed with 4401 then. */
  expiresAt: number | undefined;
  /** Per-connection rate limit (closes with 1008), or false for none. */
  rateLimit: RateLimitOptions | false;
  maxPayload: number;
  /** A peer that leaves more than this many bytes unread is terminated (it stopped reading). */
  maxBufferedBytes: number;
  /** Called once, after the socket closed (for any reason). */
  onClose(connection: Connection): void;
}

/** The close code for a message the room refused. */
function closeCodeFor(error: unknown): number {
  if (isWeftError(error, 'limit-exceeded')) return CloseCode.tooLarge;
  if (isWeftError(error, 'client-id-in-use')) return CloseCode.tryAgainLater;
  return CloseCode.badRequest;
}

// The `live` accessor lives on one shared prototype: an accessor in the connection's object literal
// would put every connection object into V8's dictionary mode (~450 more bytes per idle connection).
const livePrototype = {
  get live(): boolean {
    return (this as unknown as { isLive(): boolean }).isLive();
  },
};

/**
 * Wraps a socket. Frames are handled strictly in arrival order; frames that arrive while the
 * document is still loading wait in a queue, so nothing is answered before the load finished.
 */
export function createConnection(options: ConnectionOptions): Connection {
  const { socket, docName, extensions, logger } = options;
  const rateLimiter =
    options.rateLimit === false ? undefined : createRateLimiter(options.rateLimit, options.maxPayload);
  const wantsAcks = extensions.has(Extension.durableAck);
  let room: Room<Connection> | undefined;
  let queued: Uint8Array[] | undefined = [];
  let queuedBytes = 0;
  let alive = true;
  let closed = false;
  // Durable acks: update-bearing messages are numbered 1, 2, ... per connection.
  let receivedUpdates = 0;
  let ackedUpdates = 0;
  let ackScheduled = false;

  const canSend = (): boolean => {
    if (socket.readyState !== socket.OPEN) return false;
    // Checked before sending, so one large frame (a big document's SyncStep2) never trips it alone.
    if (socket.bufferedAmount > options.maxBufferedBytes) {
      logger.warn('terminating a connection that stopped reading', { doc: docName, buffered: socket.bufferedAmount });
      socket.terminate();
      return false;
    }
    return true;
  };
  const send = (frame: Uint8Array) => {
    if (canSend()) socket.send(frame);
  };
  // ws queues a frame only while compressing or reading a Blob; with no extension negotiated
  // (the server turns compression off) it never does, so a direct write cannot overtake one.
  const writesDirectly = socket.extensions === '';
  const sendShared = (frame: SharedFrame) => {
    if (!canSend()) return;
    if (writesDirectly) options.stream.write(frame.wire);
    else socket.send(frame.message);
  };

  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    if (extensions.has(Extension.error)) send(encodeError(code, reason));
    socket.close(code, fitCloseReason(reason));
  };

  // Each update-bearing message waits for exactly what was persisted up to it, not for what other
  // connections persisted while an earlier wait ran. Appends become durable in log order, so these
  // waits end in order; the acks one turn makes durable go out as one message.
  const requestAck = (current: Room<Connection>) => {
    if (!wantsAcks) return;
    const target = receivedUpdates;
    current.persistence.whenDurable().then(
      () => {
        if (target <= ackedUpdates) return;
        ackedUpdates = target;
        if (ackScheduled) return;
        ackScheduled = true;
        queueMicrotask(() => {
          ackScheduled = false;
          send(encodeDurableAck(ackedUpdates));
        });
      },
      // The room closes every connection when storage fails; no ack can be given.
      () => undefined,
    );
  };

  const handleMessage = (current: Room<Connection>, message: Message) => {
    switch (message.kind) {
      case 'sync-step-1':
        send(current.syncAnswer(message.stateVector));
        return;
      case 'sync-step-2':
      case 'update':
        receivedUpdates += 1;
        if (current.applyPeerUpdate(connection, message.update, message.kind) === 'read-only') {
          // Numbered but never acked by itself: nothing of it is stored. Stock clients log this.
          send(encodePermissionDenied(READ_ONLY_REASON));
          return;
        }
        requestAck(current);
        return;
      case 'awareness':
        current.applyPeerAwareness(connection, message.update);
        return;
      case 'query-awareness': {
        const states = current.fullAwareness();
        if (states) send(states);
        return;
      }
      case 'permission-denied':
        return; // y-websocket servers ignore auth messages from clients; so do we.
      case 'durable-ack':
      case 'error':
        throw new Error(`${message.kind} is a server-to-client message`);
    }
  };

  const handleFrame = (current: Room<Connection>, frame: Uint8Array) => {
    if (closed) return;
    try {
      for (const message of decodeFrame(frame)) handleMessage(current, message);
    } catch (error) {
      // Decoding and applying are the only places hostile bytes reach; any failure ends this
      // connection alone. Yjs throws plain Errors (and RangeErrors) on malformed updates.
      const reason = isWeftError(error) ? error.message : `rejected message: ${(error as Error)?.message ?? error}`;
      logger.warn('closing connection after a bad message', { doc: docName, reason });
      close(closeCodeFor(error), reason);
    }
  };

  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (closed) return;
    if (rateLimiter && !rateLimiter.allow(data.length)) {
      logger.warn('closing a connection over its rate limit', { doc: docName });
      close(CloseCode.policyViolation, 'rate limit exceeded; reconnect later');
      return;
    }
    if (!isBinary) {
      close(CloseCode.badRequest, 'text frames are not supported; send binary y-protocols messages');
      return;
    }
    if (room !== undefined) {
      handleFrame(room, data);
      return;
    }
    queuedBytes += data.length;
    if (queuedBytes > options.maxQueuedBytes) {
      close(CloseCode.tryAgainLater, 'too much data sent while the document was loading');
      return;
    }
    queued?.push(data);
  });
  socket.on('pong', () => {
    alive = true;
  });
  socket.on('error', (error) => {
    logger.debug('socket error', { doc: docName, error: String(error) });
  });
  const expiry =
    options.expiresAt === undefined
      ? undefined
      : closeAt(options.expiresAt, () => {
          logger.info('closing a connection whose token expired', { doc: docName });
          close(CloseCode.unauthenticated, 'token expired');
        });
  socket.on('close', () => {
    closed = true;
    queued = undefined;
    expiry?.cancel();
    options.onClose(connection);
  });

  const connection: Connection = Object.assign(Object.create(livePrototype) as { readonly live: boolean }, {
    docName,
    access: options.access,
    isLive: () => !closed && socket.readyState === socket.OPEN,
    awarenessIds: new Set<number>(),
    sendShared,
    close,
    attach(loaded: Room<Connection>) {
      if (closed) return;
      room = loaded;
      send(encodeSyncStep1(Y.encodeStateVector(loaded.doc)));
      const states = loaded.fullAwareness();
      if (states) send(states);
      const frames = queued ?? [];
      queued = undefined;
      for (const frame of frames) handleFrame(loaded, frame);
    },
    heartbeat() {
      if (!alive) {
        logger.debug('terminating unresponsive connection', { doc: docName });
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    },
  });
  return connection;
}
