import { createHash } from 'node:crypto';
import type { Plugin } from 'vite';

/**
 * Writes the list of built files (the app shell) and a version derived from it into the service
 * worker, replacing the `__PRECACHE_MANIFEST__` and `__PRECACHE_VERSION__` placeholders.
 */
export function precacheManifest(options: { worker: string }): Plugin {
  return {
    name: 'weft-precache-manifest',
    apply: 'build',
    enforce: 'post',
    generateBundle(_output, bundle) {
      const files = Object.keys(bundle)
        .filter((file) => file !== options.worker && !file.endsWith('.map'))
        .sort();
      const shell = ['/', ...files.map((file) => `/${file}`)];
      const version = createHash('sha256').update(shell.join('\n')).digest('hex').slice(0, 12);
      const worker = bundle[options.worker];
      if (worker?.type !== 'chunk') this.error(`service worker chunk ${options.worker} not found`);
      if (!worker.code.includes('__PRECACHE_MANIFEST__')) this.error('service worker has no __PRECACHE_MANIFEST__');
      worker.code = worker.code
        .replaceAll('__PRECACHE_MANIFEST__', JSON.stringify(shell))
        .replaceAll('__PRECACHE_VERSION__', JSON.stringify(version));
    },
  };
}
