// BENCH_WEFT_REF=<git ref>: benchmark Weft as committed at that ref instead of the working tree,
// e.g. to measure a fix's before and after, or while someone is mid-edit in packages/server.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The Weft server script the targets start (bench/servers/weft-server.ts or a snapshot's copy). */
export const WORKING_TREE_WEFT = 'bench/servers/weft-server.ts';

/**
 * Extracts packages/server and packages/protocol at `ref` into `directory`, links the repo's
 * installed dependencies next to them (pnpm's relative links then resolve @weft/protocol to the
 * snapshot's copy), builds both with tsc and returns the path of a weft-server script that imports
 * the snapshot's build.
 */
export async function prepareWeftSnapshot(repoRoot: string, ref: string, directory: string): Promise<string> {
  await mkdir(directory, { recursive: true });
  const paths = ['packages/server', 'packages/protocol', 'tsconfig.json', 'tsconfig.build.base.json'];
  const archive = execFileSync('git', ['archive', '--format=tar', ref, ...paths], {
    cwd: repoRoot,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', directory], { input: archive });
  await symlink(join(repoRoot, 'node_modules'), join(directory, 'node_modules'));
  for (const name of ['server', 'protocol']) {
    const from = join(repoRoot, 'packages', name, 'node_modules');
    await cp(from, join(directory, 'packages', name, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
  buildWeft(repoRoot, directory);
  const script = await readFile(join(repoRoot, WORKING_TREE_WEFT), 'utf8');
  const target = join(directory, 'weft-server.ts');
  await writeFile(target, script.replace("from '@weft/server'", "from './packages/server/dist/index.js'"));
  return target;
}

/** Builds `packages/protocol` and `packages/server` under `root` into their `dist/` (tsc, as published). */
export function buildWeft(repoRoot: string, root: string): void {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const name of ['protocol', 'server']) {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'packages', name, 'tsconfig.build.json')], {
      cwd: root,
      stdio: 'inherit',
    });
  }
}
