import type { DocStorage } from '@weft/server';

/**
 * Wraps a storage so a test can make appends fail (a full disk), hold appends until it releases
 * them (a slow fsync: `heldAppends` has one release function per held append, in order), and count
 * loads.
 */
export function createFaultyStorage(inner: DocStorage) {
  const control = {
    failAppends: false,
    holdAppends: false,
    heldAppends: [] as (() => void)[],
    loads: 0,
    loadDelayMs: 0,
  };
  const storage: DocStorage = {
    ...inner,
    async load(name) {
      control.loads += 1;
      if (control.loadDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, control.loadDelayMs));
      return inner.load(name);
    },
    async append(name, update) {
      if (control.failAppends) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      if (control.holdAppends) await new Promise<void>((release) => control.heldAppends.push(release));
      return inner.append(name, update);
    },
  };
  return { storage, control };
}
