// The load generator's own WebSocket client against a real `ws` server: framing of every length
// class, frames split across TCP reads, fragmented messages, ping, both closing handshakes, wire
// byte counts, and a refused upgrade.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { openRawWebSocket, type RawWebSocket } from './raw-websocket.ts';

interface Received {
  messages: Buffer[];
  closes: string[];
  next(count: number): Promise<void>;
}

function receiver(): Received & { onMessage(payload: Buffer): void; onClose(code: number, reason: string): void } {
  const messages: Buffer[] = [];
  const closes: string[] = [];
  let wake = () => {};
  return {
    messages,
    closes,
    onMessage(payload) {
      messages.push(Buffer.from(payload));
      wake();
    },
    onClose(code, reason) {
      closes.push(`${code} ${reason}`);
      wake();
    },
    async next(count) {
      while (messages.length < count) await new Promise<void>((resolve) => (wake = resolve));
    },
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serverWith(onConnection: (socket: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', onConnection);
  await new Promise((resolve) => wss.once('listening', resolve));
  cleanups.push(() => new Promise((done) => wss.close(done)));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

async function open(url: string, handlers: Parameters<typeof openRawWebSocket>[1]): Promise<RawWebSocket> {
  const socket = await openRawWebSocket(url, handlers);
  cleanups.push(() => socket.close());
  return socket;
}

describe('openRawWebSocket', () => {
  it('round-trips messages of every length class, the larger ones split across reads', async () => {
    const url = await serverWith((socket) => socket.on('message', (data: Buffer) => socket.send(data)));
    const got = receiver();
    const socket = await open(`${url}/doc?x=1`, got);
    // 7-bit, 16-bit and 64-bit lengths; 300 KiB is larger than the client's read buffer.
    const sizes = [0, 1, 125, 126, 65_535, 65_536, 300 * 1024];
    const sent = sizes.map((size) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff)));
    for (const payload of sent) socket.send(payload);
    await got.next(sent.length);
    expect(got.messages.map((message) => message.length)).toEqual(sizes);
    expect(got.messages.map((message, i) => message.equals(sent[i] as Buffer))).toEqual(sizes.map(() => true));
  });

  it('reassembles a frame whose header and payload arrive in separate reads', async () => {
    const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    // Written by hand, so that every piece is its own TCP read: the header is split, and the
    // payload's end shares a read with a whole second frame.
    const server = createTcpServer((socket) => {
      socket.setNoDelay(true);
      socket.once('data', async (request) => {
        const key = /sec-websocket-key: (\S+)/i.exec(request.toString('latin1'))?.[1] ?? '';
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        const pieces = [
          Buffer.concat([
            Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`),
            Buffer.from(`Sec-WebSocket-Accept: ${accept}\r\n\r\n`),
            Buffer.from([0x82]),
          ]),
          Buffer.from([126, 0x01]),
          Buffer.concat([Buffer.from([0x2c]), payload.subarray(0, 100)]),
          Buffer.concat([payload.subarray(100), Buffer.from([0x82, 3]), Buffer.from('abc')]),
        ];
        for (const piece of pieces) {
          socket.write(piece);
          await sleep(20);
        }
        socket.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((done) => server.close(done)));
    const got = receiver();
    const socket = await openRawWebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, got);
    cleanups.push(() => socket.close());
    await got.next(2);
    expect(got.messages[0]?.equals(payload)).toBe(true);
    expect(String(got.messages[1])).toBe('abc');
  });

  it('delivers a message sent with the upgrade, and joins a fragmented one', async () => {
    const url = await serverWith((socket) => {
      socket.send(Buffer.from('hello'));
      socket.send(Buffer.from('frag'), { fin: false });
      socket.send(Buffer.from('men'), { fin: false });
      socket.send(Buffer.from('ted'), { fin: true });
    });
    const got = receiver();
    await open(url, got);
    await got.next(2);
    expect(got.messages.map(String)).toEqual(['hello', 'fragmented']);
  });

  it('answers a ping with a pong carrying the same data', async () => {
    let answered: (data: Buffer) => void = () => {};
    const pong = new Promise<Buffer>((resolve) => {
      answered = resolve;
    });
    const url = await serverWith((socket) => {
      socket.once('pong', answered);
      socket.ping(Buffer.from('are you there'));
    });
    await open(url, receiver());
    expect(String(await pong)).toBe('are you there');
  });

  it("reports the server's close code and reason, and close() resolves", async () => {
    const url = await serverWith((socket) => socket.close(4400, 'malformed message'));
    const got = receiver();
    const socket = await open(url, got);
    await socket.close();
    expect(got.closes).toEqual(['4400 malformed message']);
  });

  it('closes with 1000 when asked, after which sends are dropped', async () => {
    let closedWith: Promise<number> | undefined;
    const url = await serverWith((socket) => {
      closedWith = new Promise((resolve) => socket.once('close', resolve));
    });
    const got = receiver();
    const socket = await open(url, got);
    await socket.close();
    socket.send(Buffer.from('late'));
    expect(await closedWith).toBe(1000);
    expect(got.closes).toEqual(['1000 ']);
  });

  it('counts frame bytes only: a masked 10-byte message is 16 on the wire', async () => {
    const url = await serverWith((socket) => socket.on('message', () => socket.send(Buffer.alloc(3))));
    const got = receiver();
    const socket = await open(url, got);
    socket.send(Buffer.alloc(10));
    await got.next(1);
    expect(socket.wireBytes()).toEqual({ sent: 16, received: 5 });
  });

  it('rejects with the status line when the server refuses the upgrade', async () => {
    const server = createServer((_, response) => response.writeHead(403).end());
    server.on('upgrade', (_, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((done) => server.close(done)));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(openRawWebSocket(url, receiver())).rejects.toThrow(
      'WebSocket upgrade refused: HTTP/1.1 403 Forbidden',
    );
  });

  it('rejects a 101 whose Sec-WebSocket-Accept does not answer its key', async () => {
    const server = createServer();
    server.on('upgrade', (_, socket) =>
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: wrong\r\n\r\n'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((done) => server.close(done)));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(openRawWebSocket(url, receiver())).rejects.toThrow('WebSocket upgrade refused');
  });
});
