import { connect } from 'node:net';
import type { Random } from './mutations.ts';

/** One client-to-server WebSocket frame, written by hand so it can break every rule `ws` obeys. */
export interface RawFrame {
  fin?: boolean;
  /** RSV1..RSV3 bits, 0–7. */
  rsv?: number;
  opcode: number;
  payload?: Uint8Array;
  /** Clients must mask; false sends an unmasked frame. */
  masked?: boolean;
  /** Length written in the header instead of the payload's (the payload is sent anyway). */
  declaredLength?: bigint;
}

export function encodeRawFrame(random: Random, frame: RawFrame): Uint8Array {
  const payload = frame.payload ?? new Uint8Array(0);
  const length = frame.declaredLength ?? BigInt(payload.length);
  const masked = frame.masked ?? true;
  const head: number[] = [((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | frame.opcode];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126n) head.push(maskBit | Number(length));
  else if (length < 65536n) head.push(maskBit | 126, Number(length >> 8n), Number(length & 0xffn));
  else {
    head.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((length >> shift) & 0xffn));
  }
  const key = masked ? random.bytes(4) : new Uint8Array(0);
  const body = payload.map((byte, index) => byte ^ (masked ? (key[index % 4] as number) : 0));
  return Uint8Array.from([...head, ...key, ...body]);
}

/** Server frames are unmasked; returns the close code once a whole close frame is in `bytes`. */
function findCloseCode(bytes: Buffer): number | undefined {
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    const opcode = (bytes[offset] as number) & 0x0f;
    let length = (bytes[offset + 1] as number) & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      if (start + 2 > bytes.length) return undefined;
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > bytes.length) return undefined;
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > bytes.length) return undefined;
    if (opcode === 0x8) return length >= 2 ? bytes.readUInt16BE(start) : 1005;
    offset = start + length;
  }
  return undefined;
}

/**
 * Opens a WebSocket by hand (an HTTP upgrade over plain TCP), writes `frame` as is, and resolves
 * with the close code the server sends — or 1006 if the connection ends without a close frame.
 */
export function sendRawFrame(baseUrl: string, path: string, frame: Uint8Array, timeoutMs = 5_000): Promise<number> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let upgraded = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close frame within ${timeoutMs} ms after raw frame ${Buffer.from(frame).toString('hex')}`));
    }, timeoutMs);
    const finish = (code: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded) {
        const headerEnd = received.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const status = received.subarray(0, received.indexOf('\r\n')).toString();
        if (!status.startsWith('HTTP/1.1 101')) {
          clearTimeout(timer);
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        upgraded = true;
        received = received.subarray(headerEnd + 4);
        socket.write(frame);
      }
      const code = findCloseCode(received);
      if (code !== undefined) finish(code);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (upgraded) finish(1006);
    });
  });
}
