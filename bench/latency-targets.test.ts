// The durable-ack scenario's targets, each acknowledging every message the open loop sends: Weft's
// durable ack (both storages), the peers' in-memory answers, and the raw disk and network limits.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../tests/helpers/temp-dir.ts';
import { durableAckTargets } from './durable-ack-latency.ts';
import { runOpenLoop } from './open-loop.ts';
import { WORKING_TREE_WEFT } from './weft-snapshot.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const targets = durableAckTargets({ repoRoot, weftScript: WORKING_TREE_WEFT }, 'source');

describe('durable-ack latency targets', () => {
  it.each(targets.map((target) => [target.name, target] as const))(
    '%s acknowledges every message',
    async (_, target) => {
      const directory = await createTempDir('weft-bench-');
      const running = await target.start(2, directory.path);
      try {
        const result = await runOpenLoop(running.probes, {
          ratePerSecond: 100,
          warmupMs: 200,
          measureMs: 500,
          drainTimeoutMs: 5000,
        });
        expect(result.sent).toBe(50);
        expect(result.lost).toBe(0);
        expect(Math.min(...result.latenciesMs)).toBeGreaterThan(0);
      } finally {
        await running.stop();
        await directory.remove();
      }
    },
  );
});
