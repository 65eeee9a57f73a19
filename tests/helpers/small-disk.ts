import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from './temp-dir.ts';

/** A real, small filesystem (tmpfs) that fills up: `remove()` unmounts and deletes it. */
export type SmallDisk =
  | {
      path: string;
      /** Writes a filler file until the disk refuses more; `free()` deletes it. */
      fill(): Promise<{ free(): Promise<void> }>;
      remove(): Promise<void>;
    }
  | { skipReason: string };

/**
 * Mounts a tmpfs of `size` (e.g. '1m') on a fresh temp dir. Mounting needs root (CI runs as root);
 * elsewhere this prints and returns why the caller's test must skip.
 */
export async function mountSmallDisk(size: string): Promise<SmallDisk> {
  const dir = await createTempDir('weft-small-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir.path], { stdio: 'pipe' });
  } catch (error) {
    await dir.remove();
    const skipReason = `full-disk test skipped: cannot mount a small tmpfs (${String(error).split('\n')[0]}); run as root to include it`;
    console.warn(skipReason);
    return { skipReason };
  }
  const filler = join(dir.path, 'filler');
  return {
    path: dir.path,
    async fill() {
      const refused = await writeFile(filler, Buffer.alloc(64 * 1024 * 1024, 1)).then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error.code,
      );
      if (refused !== 'ENOSPC') throw new Error(`filling the disk: expected ENOSPC, got ${refused ?? 'success'}`);
      return { free: () => rm(filler) };
    },
    async remove() {
      execFileSync('umount', ['-l', dir.path]);
      await dir.remove();
    },
  };
}
