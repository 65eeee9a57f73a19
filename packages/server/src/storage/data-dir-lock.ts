import { open, readFile, unlink } from 'node:fs/promises';
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

/**
 * Takes `<directory>/LOCK`, holding this process's PID, so two servers never share one data
 * directory. A lock left by a process that no longer runs (after `kill -9`) is taken over.
 */
export async function acquireDataDirLock(directory: string): Promise<DataDirLock> {
  const path = join(directory, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.sync();
      await handle.close();
      return { path, release: () => unlink(path).catch(() => undefined) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && processIsAlive(holder)) {
      throw new WeftError(
        'data-dir-locked',
        `data directory ${directory} is in use by process ${holder} (remove ${path} if that is wrong)`,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new WeftError('data-dir-locked', `could not take the lock ${path}`);
}
