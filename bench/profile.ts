// BENCH_CPU_PROF=<dir>: runs Weft and the raw relay once under `node --cpu-prof` through the
// fan-out (50 clients) and ramp (20 clients, high rate) shapes, and lists their top self-time functions.
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BenchConfig } from './cases.ts';
import { connectFleet } from './delivery-load.ts';
import type { ScenarioReport } from './report.ts';
import { allTargets, type ServerTarget } from './targets.ts';

export const profileDefaults = {
  top: 15,
  fanOut: { shape: { docs: 1, clientsPerDoc: 50, writersPerDoc: 5 }, ratePerSecond: 100 },
  ramp: { shape: { docs: 1, clientsPerDoc: 20, writersPerDoc: 5 }, ratePerSecond: 1500 },
  timing: { warmupMs: 1000, measureMs: 5000, drainTimeoutMs: 3000 },
} as const;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  location: string;
  selfMs: number;
  share: number;
}

/** Self time per function (summed over every node with the same name and location), largest first. */
export function topSelfTimes(profile: CpuProfile, repoRoot: string, top: number): SelfTime[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, SelfTime>();
  let all = 0;
  profile.samples.forEach((nodeId, i) => {
    const node = byNode.get(nodeId);
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node || node.callFrame.functionName === '(idle)') return;
    all += delta;
    const url = node.callFrame.url.replace(/^file:\/\//, '').replace(resolve(repoRoot), '.');
    const location = url
      ? `${url.replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')}:${node.callFrame.lineNumber + 1}`
      : '';
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name} ${location}`;
    const entry = totals.get(key) ?? { name, location, selfMs: 0, share: 0 };
    entry.selfMs += delta;
    totals.set(key, entry);
  });
  return [...totals.values()]
    .map((entry) => ({ ...entry, share: entry.selfMs / all }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
}

async function profileTarget(target: ServerTarget, config: BenchConfig, outDir: string): Promise<SelfTime[]> {
  const profileDir = join(outDir, target.id);
  await mkdir(profileDir, { recursive: true });
  const directory = await mkdtemp(join(config.tempRoot, `profile-${target.id}-`));
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const server = await target.start({ repoRoot: config.repoRoot, directory, nodeArgs });
  try {
    for (const { shape, ratePerSecond } of [profileDefaults.fanOut, profileDefaults.ramp]) {
      const fleet = await connectFleet(target, server, shape);
      const result = await fleet.measure({ ratePerSecond, ...profileDefaults.timing });
      console.log(
        `  profile ${target.id}: ${Math.round(result.deliveriesPerSecond)} deliveries/s, p99 ${result.p99.toFixed(1)} ms`,
      );
      await fleet.close();
    }
  } finally {
    // The profile is written when the process exits.
    await server.stop();
    await rm(directory, { recursive: true, force: true });
  }
  // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>): tsx's loader runs in a worker
  // thread, so take the newest profile of the main thread (thread 0).
  const files = (await readdir(profileDir)).filter((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name)).sort();
  const newest = files.at(-1);
  if (!newest) throw new Error(`${target.id}: no main-thread .cpuprofile in ${profileDir}`);
  const profile = JSON.parse(await readFile(join(profileDir, newest), 'utf8')) as CpuProfile;
  console.log(`  ${target.id} profile: ${join(profileDir, newest)}`);
  return topSelfTimes(profile, config.repoRoot, profileDefaults.top);
}

export async function runProfiles(config: BenchConfig, outDir: string): Promise<ScenarioReport> {
  const targets = allTargets(config.weftScript).filter((target) => target.id === 'relay' || target.id === 'weft');
  const results: Record<string, SelfTime[]> = {};
  for (const target of targets) results[target.id] = await profileTarget(target, config, resolve(outDir));
  return {
    id: 'cpu-profile',
    title: 'Where the server CPU goes: top self-time functions, Weft and the raw relay',
    explanation:
      `Each server ran once under \`node --cpu-prof\` through the fan-out shape (${profileDefaults.fanOut.shape.clientsPerDoc} ` +
      `clients, ${profileDefaults.fanOut.ratePerSecond} updates/s) and then the ramp shape (${profileDefaults.ramp.shape.clientsPerDoc} ` +
      `clients, ${profileDefaults.ramp.ratePerSecond} updates/s), ${profileDefaults.timing.measureMs / 1000} s each after warm-up. ` +
      'Self time excludes idle; shares are of the non-idle samples. Profiles are in BENCH_CPU_PROF.',
    table: {
      columns: ['server', 'function', 'where', 'self ms', 'share'],
      rows: targets.flatMap((target) =>
        (results[target.id] ?? []).map((entry) => [
          target.name,
          entry.name,
          entry.location,
          entry.selfMs.toFixed(0),
          `${(entry.share * 100).toFixed(1)}%`,
        ]),
      ),
    },
    notes: [],
    raw: results,
  };
}
