import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** How the server closed a fake socket. */
export interface FakeClose {
  code: number;
  reason: string;
}

/**
 * The part of a `ws` WebSocket a server connection uses, without a network: frames go in through
 * `receive` (what `ws` emits for a binary message) and come out counted. It closes at once
 * (synchronously emits 'close'), so the room forgets the connection before the next input.
 */
export interface FakeSocket {
  /** Pass to `createConnection` as its socket. */
  readonly socket: WebSocket;
  /** Pass to `createConnection` as its stream (where broadcasts framed once are written). */
  readonly stream: Duplex;
  /** Delivers one binary frame the way `ws` does (a Buffer, `isBinary` true). */
  receive(frame: Uint8Array): void;
  /** Set once the server closed (or terminated) the socket. */
  readonly closed: FakeClose | undefined;
  /** Frames the server sent to this socket (through the socket or the stream). */
  readonly sentFrames: number;
}

const OPEN = 1;
const CLOSED = 3;

export function createFakeSocket(): FakeSocket {
  const emitter = new EventEmitter();
  let closed: FakeClose | undefined;
  let sentFrames = 0;
  const shut = (code: number, reason: string) => {
    if (closed) return;
    closed = { code, reason };
    fake.readyState = CLOSED;
    emitter.emit('close', code, Buffer.from(reason));
  };
  const fake = Object.assign(emitter, {
    OPEN,
    readyState: OPEN,
    extensions: '',
    bufferedAmount: 0,
    send() {
      sentFrames += 1;
    },
    close(code = 1005, reason = '') {
      shut(code, reason);
    },
    terminate() {
      shut(1006, 'terminated');
    },
    ping() {},
  });
  return {
    socket: fake as unknown as WebSocket,
    stream: {
      write() {
        sentFrames += 1;
        return true;
      },
    } as unknown as Duplex,
    receive(frame) {
      emitter.emit('message', Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), true);
    },
    get closed() {
      return closed;
    },
    get sentFrames() {
      return sentFrames;
    },
  };
}
