// The load generator against the four real servers it benchmarks: it must speak each wire protocol
// (a handshake that never completes would hang, a misread frame would count as lost), and it must
// count what a server does not deliver.
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createTempDir } from '../tests/helpers/temp-dir.ts';
import { connectFleet, measureTargetOnce } from './delivery-load.ts';
import { allTargets, type ServerTarget, weftTarget } from './targets.ts';
import { WORKING_TREE_WEFT } from './weft-snapshot.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const shape = { docs: 1, clientsPerDoc: 4, writersPerDoc: 2 };
const loop = { ratePerSecond: 40, warmupMs: 300, measureMs: 1000, drainTimeoutMs: 3000 };
// Weft from its sources here: the bench builds dist/ first, a test must not write into the tree.
const targets = allTargets(WORKING_TREE_WEFT).map((target) =>
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
