/**
 * @weft/server — a y-websocket compatible relay that persists every document durably.
 *
 * @example
 * import { createServer } from '@weft/server'
 * const server = await createServer({ port: 1234, dataDir: './data' })
 */
export { type CompactionOptions, compactionDefaults } from './doc-persistence.ts';
export { type Logger, silentLogger } from './logger.ts';
export { createServer, type ServerOptions, serverDefaults, type WeftServer } from './server.ts';
export type { ServerStats } from './status-page.ts';
export type { DocStorage, StoredDoc } from './storage/doc-storage.ts';
export { createFileStorage, type FileStorageOptions, fileStorageDefaults } from './storage/file-storage.ts';
export { createMemoryStorage } from './storage/memory-storage.ts';
