import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { shareFrame } from './shared-frame.ts';

// Every payload-length encoding of RFC 6455 and the edges between them.
const SIZES = [0, 1, 125, 126, 127, 65_535, 65_536, 200_000];

const payload = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);

/** A real ws server and client; the server side also exposes the TCP socket under its WebSocket. */
async function connectPair() {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const accepted = new Promise<{ socket: WebSocket; stream: Duplex }>((resolve) => {
    http.on('upgrade', (request, stream: Duplex, head) => {
      wss.handleUpgrade(request, stream, head, (socket) => resolve({ socket, stream }));
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  const received: { data: Buffer; isBinary: boolean }[] = [];
  client.on('message', (data: Buffer, isBinary) => received.push({ data, isBinary }));
  await once(client, 'open');
  const server = await accepted;
  const close = async () => {
    client.terminate();
    wss.close();
    http.close();
  };
  return { ...server, received, close };
}

describe('shared frames', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('reach a ws client as binary messages of every length encoding, in order with ws sends', async () => {
    const pair = await connectPair();
    cleanup = pair.close;
    const expected: Uint8Array[] = [];
    for (const [index, size] of SIZES.entries()) {
      // Alternate the shared frame with ws's own send: the order on the wire must be the call order.
      const shared = payload(size, index);
      pair.stream.write(shareFrame(shared).wire);
      const viaWs = payload(size + 1, index + 100);
      pair.socket.send(viaWs);
      expected.push(shared, viaWs);
    }
    await expect.poll(() => pair.received.length, { timeout: 5_000 }).toBe(expected.length);
    for (const [index, message] of expected.entries()) {
      const got = pair.received[index];
      expect(got?.isBinary).toBe(true);
      expect(got?.data.length).toBe(message.length);
      expect(Buffer.from(message).equals(got?.data ?? Buffer.alloc(0))).toBe(true);
    }
  });

  it('keeps the message it framed, for receivers that decode rather than write', () => {
    const message = payload(10, 0);
    expect(shareFrame(message).message).toBe(message);
  });
});
