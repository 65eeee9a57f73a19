import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // Tests run against the TypeScript sources, never against stale builds.
  resolve: {
    alias: {
      '@weft/protocol': source('./packages/protocol/src/index.ts'),
      '@weft/server': source('./packages/server/src/index.ts'),
      '@weft/client': source('./packages/client/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
