import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { startChildServer } from './child-server.ts';
import { closeMany, connectLoadClient, type LoadClient, readDurableAck } from './load-client.ts';
import { createMarkerWriter, scanMarkers } from './markers.ts';
import type { Probe } from './open-loop.ts';
import { openRawWebSocket } from './raw-websocket.ts';
import { hocuspocusTarget, type WeftBuild, yWebsocketTarget } from './targets.ts';

/** Something the latency bench sends to: a server, or a raw limit to compare it with. */
export interface LatencyTarget {
  name: string;
  /** What the acknowledgement promises. */
  ackMeans: string;
  /** Starts the target with `writers` concurrent senders; `directory` is a fresh temp dir on the real disk. */
  start(writers: number, directory: string): Promise<RunningTarget>;
}

export interface RunningTarget {
  probes: Probe[];
  stop(): Promise<void>;
}

const DOC_NAME = 'bench/durable-ack';

/** Weft in a child process; `script` and `args` choose the storage, `runs` its dist/ or its sources. */
export function weftTarget(
  name: string,
  ackMeans: string,
  repoRoot: string,
  script: string,
  args: string[],
  runs: WeftBuild = 'dist',
): LatencyTarget {
  return {
    name,
    ackMeans,
    async start(writers, directory) {
      const server = await startChildServer(
        repoRoot,
        script,
        args.map((arg) => arg.replace('<dir>', directory)),
        [],
        runs === 'source', // Weft's built JavaScript unless asked otherwise, as in targets.ts
      );
      // Each message waits under its number on its socket; an ack covers every number up to its own.
      return markerProbes(
        server,
        writers,
        (waiting) =>
          connectLoadClient({
            protocol: 'y-protocols',
            baseUrl: server.url,
            docName: DOC_NAME,
            query: '?weft=ack',
            onMessage(kind, frame) {
              const acked = kind === 'ack' ? (readDurableAck(frame) ?? 0) : 0;
              for (const [seq, resolve] of waiting) {
                if (seq > acked) break;
                waiting.delete(seq);
                resolve();
              }
            },
          }),
        (client) => client.updatesSent,
      );
    },
  };
}

/**
 * `writers` load clients on `server`, each a probe that sends one marker update and waits in its
 * socket's `waiting` (in send order) under `keyOf` of what it sent, until `connect`'s message
 * handler resolves it.
 */
async function markerProbes(
  server: { stop(): Promise<void> },
  writers: number,
  connect: (waiting: Map<number, () => void>) => Promise<LoadClient>,
  keyOf: (client: LoadClient, markerId: number) => number,
): Promise<RunningTarget> {
  const probes: Probe[] = [];
  const clients: LoadClient[] = [];
  let nextId = 1;
  for (let i = 0; i < writers; i++) {
    const waiting = new Map<number, () => void>();
    const client = await connect(waiting);
    await client.synced;
    clients.push(client);
    const write = createMarkerWriter();
    probes.push(
      () =>
        new Promise<void>((resolve) => {
          const id = nextId++;
          client.sendUpdate(write(id));
          waiting.set(keyOf(client, id), resolve);
        }),
    );
  }
  return {
    probes,
    async stop() {
      await closeMany(clients);
      await server.stop();
    },
  };
}

/**
 * Raw disk limit: a loop that appends each message to a plain file and fdatasyncs it, one at a
 * time and in order (no batching), so a slow fsync delays the ones behind it as it would in a log.
 */
export const fdatasyncTarget: LatencyTarget = {
  name: 'raw: append + fdatasync loop (node fs)',
  ackMeans: 'fsynced, one fsync per update',
  async start(_writers, directory) {
    const handle = await open(join(directory, 'raw.log'), 'a');
    // About the size of a small Y.Text update record.
    const record = Buffer.alloc(40, 0x61);
    let previous: Promise<void> = Promise.resolve();
    const probe: Probe = () => {
      const synced = previous.then(async () => {
        await handle.write(record);
        await handle.datasync();
      });
      previous = synced.catch(() => undefined);
      return synced;
    };
    return { probes: [probe], stop: () => handle.close() };
  },
};

/** Raw network limit: a ws round trip through a process that only echoes. */
export function wsEchoTarget(repoRoot: string): LatencyTarget {
  return {
    name: 'raw: ws echo round trip',
    ackMeans: 'echoed (nothing stored)',
    async start(writers) {
      const server = await startChildServer(repoRoot, 'bench/servers/echo-server.ts', []);
      const echoes = await Promise.all(Array.from({ length: writers }, () => connectEcho(server.url)));
      return {
        probes: echoes.map((echo) => echo.probe),
        async stop() {
          await Promise.all(echoes.map((echo) => echo.close()));
          await server.stop();
        },
      };
    },
  };
}

/** One echo socket as a probe: each message carries a sequence number the echo brings back. */
async function connectEcho(url: string): Promise<{ probe: Probe; close(): Promise<void> }> {
  const waiting = new Map<number, () => void>();
  let next = 0;
  const socket = await openRawWebSocket(url, {
    onMessage(data) {
      const seq = data.readUInt32LE(0);
      waiting.get(seq)?.();
      waiting.delete(seq);
    },
    onClose: () => undefined,
  });
  const probe: Probe = () =>
    new Promise((resolve) => {
      // A frame about the size of a Weft update message: a sequence number and padding.
      const frame = Buffer.alloc(24, 0x61);
      next += 1;
      frame.writeUInt32LE(next, 0);
      waiting.set(next, resolve);
      socket.send(frame);
    });
  return { probe, close: socket.close };
}

/**
 * A peer server's own acknowledgement, which only means "applied in memory": Hocuspocus's
 * SyncStatus reply, or @y/websocket-server's echo of the writer's update (it has no other).
 */
export function peerAckTarget(
  name: string,
  ackMeans: string,
  repoRoot: string,
  peer: 'hocuspocus' | 'y-websocket',
): LatencyTarget {
  const target = peer === 'hocuspocus' ? hocuspocusTarget : yWebsocketTarget;
  return {
    name,
    ackMeans,
    async start(writers, directory) {
      const server = await target.start({ repoRoot, directory });
      // Acks of one socket arrive in send order; an echo names its marker.
      return markerProbes(
        server,
        writers,
        (waiting) =>
          connectLoadClient({
            protocol: target.protocol,
            baseUrl: server.url,
            docName: DOC_NAME,
            onMessage(kind, frame) {
              if (kind === 'ack') {
                const [first] = waiting;
                if (first) {
                  waiting.delete(first[0]);
                  first[1]();
                }
              } else if (kind === 'update') {
                scanMarkers(frame, (id) => {
                  waiting.get(id)?.();
                  waiting.delete(id);
                });
              }
            },
          }),
        (_, markerId) => markerId,
      );
    },
  };
}
