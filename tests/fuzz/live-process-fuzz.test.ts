import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { connectProtocolClient, type ProtocolClient } from '../helpers/protocol-client.ts';
import { createRandom, testSeed } from '../helpers/seeded-random.ts';
import { createServerProcesses, type ListeningServerProcess } from '../helpers/server-process.ts';
import { createTempDir } from '../helpers/temp-dir.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { comparableText } from './comparable-text.ts';
import { seededDoc } from './corpus.ts';
import { createHostileFrame } from './hostile-frames.ts';
import type { Random } from './mutations.ts';
import { sendRawFrame } from './raw-websocket.ts';
import { readDocument } from './read-document.ts';

const DOC = 'shared';
const FUZZ_MS = Number(process.env.FUZZ_SECONDS || 5) * 1000;
const FUZZERS = 4;
/** The CLI's default maxPayload (8 MiB): a frame one byte over it must get 1009. */
const CLI_MAX_PAYLOAD = 8 * 1024 * 1024;
/** Oversized frames cost 8 MiB of loopback each: a few per run. */
const MAX_OVERSIZED = 3;
/** Honest edits per client per second: far under the server's 200 messages/s per connection. */
const HONEST_EDITS_PER_SECOND = 20;

const INVALID_PATHS = [
  '/..',
  '/a//b',
  '/a/../b',
  '/CON',
  '/nul.txt',
  '/%00',
  '/%2e%2e',
  `/${'x'.repeat(300)}`,
  '/%ZZ',
  '/a%2F..%2Fb',
  '/ü',
];

/** Upgrade requests `ws` or the server must refuse with an HTTP status (the socket then ends). */
const BAD_REQUESTS = [
  'GET /shared HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
  'GET /shared HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 8\r\n\r\n',
  'POST /shared HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 3\r\n\r\nabc',
  'GET /shared HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n',
  'GET /shared HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ,,,\r\n\r\n',
  '\u0000\u0001\u0002 garbage\r\n\r\n',
  `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
];

/** What a replica holds, independent of the order updates arrived in. */
function fingerprint(doc: Y.Doc): string {
  const stateVector = [...Y.decodeStateVector(Y.encodeStateVector(doc))].sort(([a], [b]) => a - b);
  return JSON.stringify({ text: comparableText(doc.getText('shared').toString()), stateVector });
}

/** Writes `text` on a raw TCP connection (in pieces when `slow`), then ends it after at most `holdMs`. */
function rawTcp(port: number, text: string | Uint8Array, holdMs: number, slow: boolean): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text);
    const timer = setTimeout(() => socket.destroy(), holdMs);
    socket.on('connect', () => {
      if (!slow) {
        socket.write(bytes);
        return;
      }
      // A trickle: a few bytes now and then, then gone without a goodbye.
      let offset = 0;
      const trickle = setInterval(() => {
        if (socket.destroyed || offset >= bytes.length) {
          clearInterval(trickle);
          return;
        }
        socket.write(bytes.subarray(offset, offset + 7));
        offset += 7;
      }, 20);
      socket.once('close', () => clearInterval(trickle));
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Opens a WebSocket that accepts failure (refused upgrades, resets) as an outcome. */
function openSocket(url: string): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.on('error', () => resolve(undefined));
    socket.on('unexpected-response', () => resolve(undefined));
    socket.once('open', () => resolve(socket));
  });
}

const closedOrTimeout = (socket: WebSocket, ms: number) =>
  new Promise<void>((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    const timer = setTimeout(resolve, ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });

interface FuzzStats {
  actions: Map<string, number>;
  frames: number;
  oversized: number;
}

/** One fuzzer: picks hostile actions until the deadline. Every action is bounded in time. */
async function runFuzzer(
  random: Random,
  server: ListeningServerProcess,
  deadline: number,
  honestState: () => Uint8Array,
  stats: FuzzStats,
) {
  let index = 0;
  while (Date.now() < deadline) {
    const roll = random.next();
    const action =
      roll < 0.45
        ? 'hostile-burst'
        : roll < 0.6
          ? 'raw-frame'
          : roll < 0.7
            ? 'invalid-name'
            : roll < 0.78
              ? 'bad-upgrade'
              : roll < 0.86
                ? 'slow-or-abrupt'
                : roll < 0.94
                  ? 'flood'
                  : 'oversized';
    stats.actions.set(action, (stats.actions.get(action) ?? 0) + 1);
    if (action === 'hostile-burst') {
      const socket = await openSocket(`${server.url}/${DOC}`);
      if (socket === undefined) continue;
      const burst = 1 + random.int(20);
      for (let frame = 0; frame < burst && socket.readyState === WebSocket.OPEN; frame++) {
        // A small maxPayload keeps the generator's own oversize frames cheap; those are garbage to the CLI.
        const hostile = createHostileFrame(random, index++, { honestState: honestState(), maxPayload: 4096 });
        if (hostile.channel === 'raw') continue;
        socket.send(hostile.bytes, { binary: hostile.channel === 'binary' });
        stats.frames += 1;
      }
      // Leave politely, abruptly, or wait to be thrown out.
      const leave = random.int(3);
      if (leave === 0) socket.close();
      else if (leave === 1) socket.terminate();
      await closedOrTimeout(socket, 300);
      socket.terminate();
    } else if (action === 'raw-frame') {
      const hostile = createHostileFrame(random, index++, { honestState: honestState(), maxPayload: CLI_MAX_PAYLOAD });
      if (hostile.channel === 'raw' || hostile.bytes.length < 64 * 1024) {
        stats.frames += 1;
        // Frames declaring more than they carry are never answered: the timeout is the disconnect.
        await sendRawFrame(server.url, `/${DOC}`, hostile.bytes, 500).catch(() => undefined);
      }
    } else if (action === 'invalid-name') {
      const socket = await openSocket(`${server.url}${random.pick(INVALID_PATHS)}`);
      socket?.terminate();
    } else if (action === 'bad-upgrade') {
      await rawTcp(server.port, random.pick(BAD_REQUESTS), 300, false);
    } else if (action === 'slow-or-abrupt') {
      // Half an upgrade, a trickled upgrade, or an upgrade followed by half a frame; then gone.
      const upgrade = `GET /${DOC} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
      const cut = random.int(3);
      const text =
        cut === 0 ? upgrade.slice(0, random.int(upgrade.length)) : cut === 1 ? upgrade : `${upgrade}\u0082\u00fe\u0001`;
      await rawTcp(server.port, text, 100 + random.int(300), cut === 1);
    } else if (action === 'flood') {
      // Over the rate limit (200 messages/s, burst 1000): the server closes with 1008.
      const socket = await openSocket(`${server.url}/${DOC}`);
      if (socket === undefined) continue;
      for (let message = 0; message < 1_200 && socket.readyState === WebSocket.OPEN; message++)
        socket.send(Uint8Array.of(3));
      stats.frames += 1_200;
      await closedOrTimeout(socket, 1_000);
      socket.terminate();
    } else if (stats.oversized < MAX_OVERSIZED) {
      stats.oversized += 1;
      const socket = await openSocket(`${server.url}/${DOC}`);
      if (socket === undefined) continue;
      socket.send(Buffer.alloc(CLI_MAX_PAYLOAD + 1, 0x41));
      stats.frames += 1;
      await closedOrTimeout(socket, 2_000);
      socket.terminate();
    }
  }
}

describe('the weft-server process under live fuzzing', () => {
  const processes = createServerProcesses();
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await processes.killAll();
  });

  it(`keeps serving and converging while ${FUZZERS} fuzzers hammer it for ${FUZZ_MS / 1000} s`, {
    timeout: 120_000,
  }, async () => {
    const seed = testSeed('live-process-fuzz');
    const random = createRandom(seed);
    const dataDir = await createTempDir();
    cleanups.push(() => dataDir.remove());
    const server = await processes.start({ dataDir: dataDir.path });
    const pid = server.pid;

    // Three honest clients: two speaking the protocol directly, one stock y-websocket provider.
    const protocol: ProtocolClient[] = [];
    for (let client = 0; client < 2; client++) {
      protocol.push(await connectProtocolClient(server.url, DOC, { doc: seededDoc(random) }));
    }
    const provider = new WebsocketProvider(server.url, DOC, seededDoc(random), {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    provider.awareness.setLocalStateField('user', { name: 'honest provider' });
    const providerCloses: number[] = [];
    provider.on('connection-close', (event) => providerCloses.push(event?.code ?? -1));
    cleanups.push(() => {
      for (const client of protocol) client.close();
      provider.destroy();
    });
    await Promise.all(protocol.map((client) => client.synced));
    await waitFor(() => provider.synced, 'the y-websocket provider to sync');
    const docs = [...protocol.map((client) => client.doc), provider.doc];

    let honestEdits = 0;
    const honestEdit = (doc: Y.Doc) => {
      const text = doc.getText('shared');
      if (text.length > 0 && random.next() < 0.25) text.delete(random.int(text.length), 1 + random.int(3));
      else text.insert(random.int(text.length + 1), `[h${honestEdits}]`);
      honestEdits += 1;
    };
    const editors = setInterval(() => {
      for (const doc of docs) honestEdit(doc);
    }, 1000 / HONEST_EDITS_PER_SECOND);
    cleanups.push(() => clearInterval(editors));

    const stats: FuzzStats = { actions: new Map(), frames: 0, oversized: 0 };
    const deadline = Date.now() + FUZZ_MS;
    const honestState = () => Y.encodeStateAsUpdate(random.pick(docs));
    const fuzzers = Array.from({ length: FUZZERS }, (_, fuzzer) =>
      runFuzzer(createRandom(seed + fuzzer + 1), server, deadline, honestState, stats),
    );
    await Promise.all(fuzzers);
    clearInterval(editors);
    console.log(
      `[live-process-fuzz] ${FUZZ_MS / 1000} s, ${stats.frames} hostile frames, ${honestEdits} honest edits`,
      Object.fromEntries(stats.actions),
    );

    // The same process serves: never exited, /healthz answers on its port.
    expect(server.hasExited).toBe(false);
    expect(server.pid).toBe(pid);
    const health = await fetch(`${server.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect((await health.json()) as { ok: boolean }).toMatchObject({ ok: true });

    // The honest clients were never closed on, and converge after a last edit each.
    expect(protocol.map((client) => client.socket.readyState)).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
    expect(providerCloses).toEqual([]);
    for (const doc of docs) honestEdit(doc);
    await waitFor(() => new Set(docs.map(fingerprint)).size === 1, 'the honest clients to converge').catch(
      () => undefined,
    );
    const expected = fingerprint(docs[0] as Y.Doc);
    expect(docs.map(fingerprint)).toEqual([expected, expected, expected]);

    // A newcomer after the fuzz gets the converged text.
    const reading = await readDocument(server.url, DOC);
    expect(reading.problem).toBeUndefined();
    expect(reading.text).toBe(comparableText((docs[0] as Y.Doc).getText('shared').toString()));
    expect(server.hasExited).toBe(false);
    const errors = server.logs.filter((line) => (line.level ?? 0) >= 50);
    expect(errors.map((line) => JSON.stringify(line))).toEqual([]);
  });
});
