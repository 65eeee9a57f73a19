// The load generator against the real servers it benchmarks: it must speak each wire protocol
// (a handshake that never completes would hang, a misread frame would count as lost), and it must
// count what a server does not deliver.
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createTempDir } from '../tests/helpers/temp-dir.ts';
import { connectFleet, measureTargetOnce } from './delivery-load.ts';
import { deliveryTargets, durableRelayTarget, type ServerTarget, weftTarget } from './targets.ts';
import { WORKING_TREE_WEFT } from './weft-snapshot.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const shape = { docs: 1, clientsPerDoc: 4, writersPerDoc: 2 };
const loop = { ratePerSecond: 40, warmupMs: 300, measureMs: 1000, drainTimeoutMs: 3000 };
// Weft from its sources here: the bench builds dist/ first, a test must not write into the tree.
const targets = deliveryTargets(WORKING_TREE_WEFT).map((target) =>
  target.id === 'weft' ? weftTarget(WORKING_TREE_WEFT, 'source') : target,
);

describe('delivery load against each benchmarked server', () => {
  it.each(targets.map((target) => [target.name, target] as const))('%s delivers every marker', async (_, target) => {
    const directory = await createTempDir('weft-bench-');
    const result = await measureTargetOnce(target, { repoRoot, tempRoot: directory.path }, shape, loop).finally(
      directory.remove,
    );
    // Every update reaches the other three clients of the document, the other writer included.
    expect(result.lostDeliveries).toBe(0);
    expect(result.deliveriesPerSecond).toBeGreaterThanOrEqual(loop.ratePerSecond * (shape.clientsPerDoc - 1) * 0.9);
    expect(result.p50).toBeGreaterThan(0);
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
    expect(Number.isFinite(result.serverCpuUsPerDelivery)).toBe(true);
    expect(result.serverRssBytes).toBeGreaterThan(0);
    expect(result.hostSteal).toBeGreaterThanOrEqual(0);
    expect(result.hostSteal).toBeLessThanOrEqual(1);
  });
});

describe('the durable relay', () => {
  it("forwards each message and appends it, length-prefixed, to its path's file", async () => {
    const directory = await createTempDir('weft-bench-');
    const server = await durableRelayTarget.start({ repoRoot, directory: directory.path });
    const open = (path: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(`${server.url}/${path}`);
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      });
    const logs = async () => {
      const files = await readdir(directory.path);
      return (await Promise.all(files.map((file) => readFile(join(directory.path, file))))).sort(Buffer.compare);
    };
    const record = (message: Buffer) => [Buffer.from([message.length, 0, 0, 0]), message];
    try {
      const [writer, reader, elsewhere] = await Promise.all([open('a'), open('a'), open('b')]);
      const messages = ['one', 'two!', ''].map((text) => Buffer.from(text));
      const received: Buffer[] = [];
      const all = new Promise<void>((done) =>
        reader.on('message', (data: Buffer) => {
          received.push(data);
          if (received.length === messages.length) done();
        }),
      );
      for (const message of messages) writer.send(message);
      elsewhere.send(Buffer.from('other'));
      await all;
      expect(received).toEqual(messages);
      // It forwards before it writes, so the files may trail the reader by a moment.
      const expected = [Buffer.concat(messages.flatMap(record)), Buffer.concat(record(Buffer.from('other')))];
      await expect.poll(logs, { timeout: 5000 }).toEqual(expected.sort(Buffer.compare));
      for (const socket of [writer, reader, elsewhere]) socket.close();
    } finally {
      await server.stop();
      await directory.remove();
    }
  });
});

describe('delivery load against a server that forwards nothing', () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const listening = new Promise((resolve) => wss.once('listening', resolve));
  afterAll(() => new Promise<void>((done) => wss.close(() => done())));

  it('counts every delivery as lost', async () => {
    await listening;
    const { port } = wss.address() as AddressInfo;
    const target = targets[0] as ServerTarget; // the relay's protocol: no handshake to wait for
    const server = { url: `ws://127.0.0.1:${port}`, pid: process.pid, stop: async () => undefined };
    const fleet = await connectFleet(target, server, shape);
    try {
      const result = await fleet.measure({ ...loop, drainTimeoutMs: 200 });
      expect(result.deliveriesPerSecond).toBe(0);
      expect(result.lostDeliveries).toBeGreaterThanOrEqual(loop.ratePerSecond * (shape.clientsPerDoc - 1) * 0.9);
    } finally {
      await fleet.close();
    }
  });
});
