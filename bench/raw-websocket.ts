// The load generator's WebSocket client: RFC 6455 framing read straight off a TCP socket into one
// reused buffer. `ws`'s client costs the load generator 13–29 µs of CPU per received message
// (bench/fixes.md, "What a fan-out p99 is made of"), which made its own serial reading the floor of
// every fan-out p99. This client has no stream, no per-read allocation and no per-message event:
// one callback per TCP read, and one call per message with a view into the read buffer.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawWebSocketHandlers {
  /**
   * A whole message's payload: a view that is only valid during the call (copy it to keep it).
   * `socket` is given because the first messages may arrive before the open promise resolves.
   */
  onMessage(payload: Buffer, socket: RawWebSocket): void;
  /** The connection ended: the peer's close code and reason, or 1006 and why it broke. */
  onClose(code: number, reason: string): void;
}

export interface RawWebSocket {
  /** Sends one binary message (a no-op once closing). */
  send(payload: Uint8Array): void;
  /** TCP bytes since the handshake completed: WebSocket frames only. */
  wireBytes(): { sent: number; received: number };
  /** Starts the closing handshake (1000) and resolves once the TCP connection has closed. */
  close(): Promise<void>;
}

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE_CONTINUATION = 0x0;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
/** Each read lands here; a frame split across reads is copied into a buffer of its own size. */
const READ_BUFFER_BYTES = 16 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

/** Header bytes of a server frame, from its second byte (no mask: servers never mask). */
function headerBytes(second: number): number {
  const length = second & 0x7f;
  return length < 126 ? 2 : length === 126 ? 4 : 10;
}

/** The whole size (header and payload) of the frame at `at`, or undefined while its header is incomplete. */
function frameBytes(data: Buffer, at: number): number | undefined {
  const available = data.length - at;
  if (available < 2) return undefined;
  const header = headerBytes(data[at + 1] as number);
  if (available < header) return undefined;
  const length =
    header === 2
      ? (data[at + 1] as number) & 0x7f
      : header === 4
        ? data.readUInt16BE(at + 2)
        : Number(data.readBigUInt64BE(at + 2));
  return header + length;
}

/** A masked client frame (RFC 6455 §5.3: every client frame is masked, with a fresh key). */
function clientFrame(opcode: number, payload: Uint8Array): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  const payloadAt = 2 + lengthBytes + 4;
  const frame = Buffer.allocUnsafe(payloadAt + length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, 2 + lengthBytes);
  for (let i = 0; i < length; i++) frame[payloadAt + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return frame;
}

/** The Sec-WebSocket-Accept a server must answer `key` with. */
function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
}

/**
 * Opens `url` (ws://host:port/path) and resolves once the server accepted the upgrade. Rejects with
 * the server's status line when it refuses, or with the socket's error.
 */
export function openRawWebSocket(url: string, handlers: RawWebSocketHandlers): Promise<RawWebSocket> {
  const { hostname, port, pathname, search } = new URL(url);
  const key = randomBytes(16).toString('base64');
  let upgraded = false;
  let closing = false;
  let closed: { code: number; reason: string } | undefined;
  let baseline = { sent: 0, received: 0 };
  /** What the last read left unfinished: the start of the HTTP response, or a frame's partial header. */
  let partial: Buffer | undefined;
  /** A frame whose size is known but whose bytes have not all arrived. */
  let assembling: { frame: Buffer; filled: number } | undefined;
  /** A fragmented message's earlier fragments. */
  let fragments: Buffer[] = [];
  let settleOpen: { resolve(socket: RawWebSocket): void; reject(error: Error): void } | undefined;
  let resolveClosed: () => void = () => {};
  const socketClosed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const finish = (code: number, reason: string) => {
    if (closed !== undefined) return;
    closed = { code, reason };
    handlers.onClose(code, reason);
  };

  const sendFrame = (opcode: number, payload: Uint8Array) => {
    if (!socket.destroyed && socket.writable) socket.write(clientFrame(opcode, payload));
  };

  const fail = (why: string) => {
    finish(1006, why);
    socket.destroy();
  };

  const onControl = (opcode: number, payload: Buffer) => {
    if (opcode === OPCODE_PING) sendFrame(OPCODE_PONG, payload);
    else if (opcode === OPCODE_CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      finish(code, payload.subarray(2).toString('utf8'));
      if (!closing) sendFrame(OPCODE_CLOSE, payload.subarray(0, 2));
      closing = true;
      socket.end();
    }
  };

  /** Handles one whole frame (header and payload). */
  const onFrame = (frame: Buffer) => {
    const first = frame[0] as number;
    const second = frame[1] as number;
    if ((second & 0x80) !== 0) {
      fail('the server sent a masked frame');
      return;
    }
    const payload = frame.subarray(headerBytes(second));
    const opcode = first & 0x0f;
    if (opcode >= OPCODE_CLOSE) onControl(opcode, payload);
    else if ((first & 0x80) === 0) fragments.push(Buffer.from(payload));
    else if (opcode === OPCODE_CONTINUATION) {
      const whole = Buffer.concat([...fragments, payload]);
      fragments = [];
      handlers.onMessage(whole, api);
    } else handlers.onMessage(payload, api);
  };

  /** Handles every whole frame in `data`; keeps the incomplete rest for the next read. */
  const readFrames = (data: Buffer) => {
    let at = 0;
    for (let size = frameBytes(data, at); size !== undefined && at + size <= data.length; size = frameBytes(data, at)) {
      onFrame(data.subarray(at, at + size));
      at += size;
      if (closed !== undefined) return;
    }
    if (at === data.length) return;
    const rest = data.subarray(at);
    const size = frameBytes(data, at);
    if (size === undefined) partial = Buffer.from(rest);
    else {
      // Sized once, filled by the reads to come: a large frame is not copied again on every read.
      const frame = Buffer.allocUnsafe(size);
      assembling = { frame, filled: rest.copy(frame) };
    }
  };

  /** Reads the HTTP response; returns where frames begin, or -1 while the headers are incomplete. */
  const readUpgrade = (data: Buffer): number => {
    const end = data.indexOf(HEADER_END);
    if (end === -1) return -1;
    const [status = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
    const accept = lines.find((line) => /^sec-websocket-accept:/i.test(line))?.replace(/^[^:]*:\s*/, '');
    if (!/^HTTP\/1\.1 101 /.test(status) || accept !== acceptFor(key)) {
      settleOpen?.reject(new Error(`WebSocket upgrade refused: ${status}`));
      settleOpen = undefined;
      socket.destroy();
      return data.length;
    }
    upgraded = true;
    baseline = { sent: socket.bytesWritten, received: socket.bytesRead - (data.length - end - HEADER_END.length) };
    settleOpen?.resolve(api);
    settleOpen = undefined;
    return end + HEADER_END.length;
  };

  const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const onRead = (bytes: number): boolean => {
    let data = readBuffer.subarray(0, bytes);
    if (assembling !== undefined) {
      const { frame } = assembling;
      const taken = data.copy(frame, assembling.filled);
      assembling.filled += taken;
      if (assembling.filled < frame.length) return true;
      assembling = undefined;
      onFrame(frame);
      data = data.subarray(taken);
    }
    if (partial !== undefined) {
      data = Buffer.concat([partial, data]);
      partial = undefined;
    }
    let at = 0;
    if (!upgraded) {
      at = readUpgrade(data);
      if (at === -1) {
        partial = Buffer.from(data);
        return true;
      }
    }
    if (upgraded && closed === undefined) readFrames(data.subarray(at));
    return true;
  };

  const socket: Socket = connect({
    host: hostname,
    port: Number(port),
    onread: { buffer: readBuffer, callback: onRead },
  });
  socket.setNoDelay(true);
  socket.on('connect', () => {
    socket.write(
      `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
  socket.on('error', (error) => {
    settleOpen?.reject(error);
    settleOpen = undefined;
    finish(1006, error.message);
  });
  socket.on('close', () => {
    settleOpen?.reject(new Error('the connection closed before the WebSocket upgrade'));
    settleOpen = undefined;
    finish(1006, '');
    resolveClosed();
  });

  const api: RawWebSocket = {
    send(payload) {
      if (!closing) sendFrame(OPCODE_BINARY, payload);
    },
    wireBytes: () => ({ sent: socket.bytesWritten - baseline.sent, received: socket.bytesRead - baseline.received }),
    close() {
      if (!closing && closed === undefined) {
        closing = true;
        sendFrame(OPCODE_CLOSE, Buffer.from([0x03, 0xe8]));
      }
      return socketClosed;
    },
  };

  return new Promise((resolve, reject) => {
    settleOpen = { resolve, reject };
  });
}
