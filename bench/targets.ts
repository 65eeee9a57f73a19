import { type ChildServer, startChildServer } from './child-server.ts';
import type { WireProtocol } from './load-client.ts';

/** A server the multi-server scenarios compare, each in its own child process. */
export interface ServerTarget {
  id: 'relay' | 'durable-relay' | 'weft' | 'y-websocket' | 'hocuspocus';
  name: string;
  protocol: WireProtocol;
  /** What the server does with an update before (or after) it forwards it. */
  storage: string;
  start(options: StartOptions): Promise<ChildServer>;
}

export interface StartOptions {
  repoRoot: string;
  /** A fresh temp dir on the real disk (Weft keeps its data directory there). */
  directory: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Relay only: a file whose bytes are sent to every new socket. */
  greetingFile?: string;
}

const RELAY_SCRIPT = 'bench/servers/relay-server.ts';

export const relayTarget: ServerTarget = {
  id: 'relay',
  name: 'raw ws relay',
  protocol: 'relay',
  storage: 'none: forwards bytes, no Yjs',
  start: ({ repoRoot, nodeArgs, greetingFile }) =>
    startChildServer(repoRoot, RELAY_SCRIPT, greetingFile ? ['--greeting', greetingFile] : [], nodeArgs),
};

/**
 * The raw relay plus the least that durability costs: every message appended to its document's file
 * and fdatasynced, one fdatasync in flight per file, no commit window (bench/servers/relay-server.ts).
 * Where updates arrive apart, no server that fsyncs each one, as Weft does, can go below it.
 */
export const durableRelayTarget: ServerTarget = {
  id: 'durable-relay',
  name: 'raw ws relay + fsync',
  protocol: 'relay',
  storage: 'appends every message to a file per document, fdatasynced; no Yjs',
  start: ({ repoRoot, directory, nodeArgs }) =>
    startChildServer(repoRoot, RELAY_SCRIPT, ['--log-dir', directory], nodeArgs),
};

/** Which Weft a target runs: its built `dist/` (the bench) or its TypeScript sources (the harness's tests). */
export type WeftBuild = 'dist' | 'source';

/**
 * Weft with its default durable FileStorage; `script` is bench/servers/weft-server.ts or a snapshot's
 * copy. It runs Weft's built JavaScript (`dist/`, as published and as the `weft-server` bin runs it),
 * like the peers run theirs: under tsx every closure Weft creates would also get a `name` property
 * (esbuild's keepNames), which costs ~1.5 KiB per idle connection that no deployment pays.
 * `runs: 'source'` runs the TypeScript sources instead, for the harness's own tests (no build needed).
 */
export function weftTarget(script: string, runs: WeftBuild = 'dist'): ServerTarget {
  return {
    id: 'weft',
    name: 'Weft',
    protocol: 'y-protocols',
    storage: 'FileStorage: durable, fsynced log',
    start: ({ repoRoot, directory, nodeArgs }) =>
      startChildServer(repoRoot, script, ['--data-dir', `${directory}/data`], nodeArgs, runs === 'source'),
  };
}

export const yWebsocketTarget: ServerTarget = {
  id: 'y-websocket',
  name: '@y/websocket-server 0.1.1',
  protocol: 'y-protocols',
  storage: 'in memory only',
  start: ({ repoRoot, nodeArgs }) => startChildServer(repoRoot, 'bench/servers/y-websocket-server.ts', [], nodeArgs),
};

export const hocuspocusTarget: ServerTarget = {
  id: 'hocuspocus',
  name: '@hocuspocus/server 4',
  protocol: 'hocuspocus',
  storage: 'in memory only',
  start: ({ repoRoot, nodeArgs }) => startChildServer(repoRoot, 'bench/servers/hocuspocus-server.ts', [], nodeArgs),
};

/** The raw relay first: every ratio is taken against it. */
export function allTargets(weftScript: string): ServerTarget[] {
  return [relayTarget, weftTarget(weftScript), yWebsocketTarget, hocuspocusTarget];
}

/** The scenarios that judge CPU per delivery also measure the durable relay, the floor under Weft's commit. */
export function deliveryTargets(weftScript: string): ServerTarget[] {
  return [relayTarget, durableRelayTarget, weftTarget(weftScript), yWebsocketTarget, hocuspocusTarget];
}
