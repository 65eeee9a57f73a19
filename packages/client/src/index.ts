/**
 * @weft/client — the offline-first Yjs provider for Weft servers.
 *
 * @example
 * import { createProvider } from '@weft/client'
 * const provider = createProvider({ url: 'ws://localhost:1234', name: 'my-board' })
 * await provider.whenLoaded() // from IndexedDB, also offline
 */

export { isWeftError, WeftError } from '@weft/protocol';
export { type BackoffOptions, backoffDefaults, backoffDelay } from './backoff.ts';
export { ConnectionError } from './connection-error.ts';
export type { TokenSource } from './connection-target.ts';
export type { Peer, UserInfo } from './presence.ts';
export {
  createProvider,
  type Provider,
  type ProviderEvents,
  type ProviderOptions,
  type ProviderStatus,
  providerDefaults,
} from './provider.ts';
export { createSyncedStorage, type Json, type StorageChange, type SyncedStorage } from './storage-api.ts';
export { createStore, type SnapshotStore } from './store.ts';
export type { WebSocketConstructor, WebSocketLike } from './transport.ts';
