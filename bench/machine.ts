import { readFile } from 'node:fs/promises';
import { availableParallelism, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

/** Where the numbers came from, for docs/benchmarks.md. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  yjs: string;
  ws: string;
  yProtocols: string;
  yWebsocketServer: string;
  hocuspocus: string;
  /** Filesystem and device the temp files (and fsyncs) went to. */
  benchDisk: string;
}

async function readOr(path: string, fallback: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => fallback);
}

async function packageVersion(repoRoot: string, name: string): Promise<string> {
  const json = await readOr(join(repoRoot, 'node_modules', name, 'package.json'), '{}');
  return (JSON.parse(json) as { version?: string }).version ?? 'unknown';
}

/** The mount holding `path` (longest mount point that prefixes it), as "ext4 on /dev/vda". */
async function filesystemOf(path: string): Promise<string> {
  const target = resolve(path);
  const mounts = (await readOr('/proc/mounts', ''))
    .split('\n')
    .map((line) => line.split(' '))
    .filter(
      ([, mountPoint]) =>
        mountPoint && (target === mountPoint || target.startsWith(`${mountPoint.replace(/\/$/, '')}/`)),
    )
    .sort((a, b) => (b[1]?.length ?? 0) - (a[1]?.length ?? 0));
  const [device, mountPoint, type] = mounts[0] ?? [];
  return device ? `${type} on ${device} (mounted at ${mountPoint})` : 'unknown';
}

export async function describeMachine(repoRoot: string, benchDir: string): Promise<MachineInfo> {
  const cpuinfo = await readOr('/proc/cpuinfo', '');
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.version,
    yjs: await packageVersion(repoRoot, 'yjs'),
    ws: await packageVersion(repoRoot, 'ws'),
    yProtocols: await packageVersion(repoRoot, 'y-protocols'),
    yWebsocketServer: await packageVersion(repoRoot, '@y/websocket-server'),
    hocuspocus: await packageVersion(repoRoot, '@hocuspocus/server'),
    benchDisk: await filesystemOf(benchDir),
  };
}
