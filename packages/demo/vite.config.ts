import { defaultClientConditions, defineConfig } from 'vite';
import { precacheManifest } from './build/precache-manifest.ts';

// The demo builds from the workspace's TypeScript sources (the `@weft/source` export condition),
// never from a stale `dist/` of @weft/client.
export default defineConfig(({ command }) => ({
  // The service worker registers in builds only (in `vite dev` it would serve stale modules). Not
  // `import.meta.env.PROD`: that follows NODE_ENV, which test runners set to "test".
  define: { __WEFT_SERVICE_WORKER__: JSON.stringify(command === 'build') },
  resolve: { conditions: ['@weft/source', ...defaultClientConditions] },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: { index: 'index.html', 'service-worker': 'src/service-worker.ts' },
      output: {
        // The service worker keeps a fixed URL (browsers re-check it on every visit); the rest is hashed.
        entryFileNames: (chunk) => (chunk.name === 'service-worker' ? 'service-worker.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  plugins: [precacheManifest({ worker: 'service-worker.js' })],
  server: {
    // `pnpm --filter @weft/demo dev` next to `pnpm start`: documents go to the real server.
    proxy: { '/board/': { target: 'ws://localhost:1234', ws: true } },
  },
}));
