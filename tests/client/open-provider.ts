import { createProvider, type Provider, type ProviderOptions } from '@weft/client';
import { IDBFactory } from 'fake-indexeddb';

/** Opens providers for a test (Node: fake-indexeddb, no BroadcastChannel) and destroys them all after it. */
export function createProviderPool() {
  const open = new Set<Provider>();
  return {
    /** A new device: its own empty IndexedDB. */
    newDevice: () => new IDBFactory(),
    open(options: Omit<ProviderOptions, 'persistence'> & { indexedDB?: IDBFactory | false }): Provider {
      const { indexedDB, ...rest } = options;
      const provider = createProvider({
        crossTab: false,
        backoff: { initialDelayMs: 20, maxDelayMs: 200 },
        ...rest,
        persistence: indexedDB === false ? false : { indexedDB: indexedDB ?? new IDBFactory() },
      });
      open.add(provider);
      return provider;
    },
    async close(provider: Provider) {
      open.delete(provider);
      await provider.destroy();
    },
    async closeAll() {
      await Promise.all([...open].map((provider) => provider.destroy()));
      open.clear();
    },
  };
}
