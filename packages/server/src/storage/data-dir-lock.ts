import { link, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { WeftError } from '@weft/protocol';

/** A held lock on a data directory; `release()` removes it. */
export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// When this process started, to the millisecond. A lock naming our own PID with another start
// time was left by an earlier incarnation (a restarted container is PID 1 every time).
const ownStartMs = () => Math.round(Date.now() - process.uptime() * 1000);

function isHeld(content: string): boolean {
  const [pidText, startText] = content.trim().split(' ');
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return Math.abs(Number(startText) - ownStartMs()) < 1000;
  return processIsAlive(pid);
}

/**
 * Takes `<directory>/LOCK` (holding this process's PID and start time), so two servers never share
 * one data directory. A lock left by a process that no longer runs (after `kill -9`) is taken over.
 */
export async function acquireDataDirLock(directory: string): Promise<DataDirLock> {
  const path = join(directory, 'LOCK');
  // The content is written first and the lock appears whole with link(), which fails if it exists:
  // nobody can ever read a LOCK without its PID and take it for stale.
  const draft = join(directory, `LOCK.${process.pid}.tmp`);
  const handle = await open(draft, 'w');
  try {
    await handle.writeFile(`${process.pid} ${ownStartMs()}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    return await takeLock(directory, path, draft);
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

async function takeLock(directory: string, path: string, draft: string): Promise<DataDirLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await link(draft, path);
      return { path, release: () => unlink(path).catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const content = await readFile(path, 'utf8').catch(() => '');
    if (isHeld(content)) {
      throw new WeftError(
        'data-dir-locked',
        `data directory ${directory} is in use by process ${content.trim().split(' ')[0]} (remove ${path} if that is wrong)`,
      );
    }
    // Re-read just before removing: another starting server may have replaced the stale lock already.
    if ((await readFile(path, 'utf8').catch(() => '')) === content) await unlink(path).catch(() => undefined);
  }
  throw new WeftError('data-dir-locked', `could not take the lock ${path}`);
}
