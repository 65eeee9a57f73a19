/**
 * @weft/server — a y-websocket compatible relay that persists every document durably.
 *
 * @example
 * import { createServer } from '@weft/server'
 * const server = await createServer({ port: 1234, dataDir: './data' })
 */
export {
  type AuthDecision,
  type AuthGrant,
  type AuthOptions,
  type AuthRefusal,
  type AuthRequest,
  type CapabilityClaims,
  createTokenVerifier,
  type MintTokenOptions,
  mintToken,
  type TokenVerifier,
} from './auth.ts';
export { type AwarenessLimits, awarenessLimitDefaults } from './awareness-guard.ts';
export { type CompactionOptions, compactionDefaults } from './doc-persistence.ts';
export {
  type HelperThreadResult,
  helperThreadNiceDefault,
  libuvThreadPoolSize,
  lowerHelperThreadPriority,
} from './helper-thread-priority.ts';
export { type Logger, silentLogger } from './logger.ts';
export { type RateLimitOptions, rateLimitDefaults } from './rate-limit.ts';
export { createServer, type ServerOptions, serverDefaults, type WeftServer } from './server.ts';
export type { ServerStats } from './status-page.ts';
export type { DocStorage, StoredDoc } from './storage/doc-storage.ts';
export { createFileStorage, type FileStorageOptions, fileStorageDefaults } from './storage/file-storage.ts';
export { createMemoryStorage } from './storage/memory-storage.ts';
