import type { DocStorage, StoredDoc } from './doc-storage.ts';

/**
 * Keeps documents in process memory: for tests, demos and ephemeral servers. "Durable" here means
 * "stored in this process", so acks from a server on MemoryStorage do not survive a crash.
 *
 * @example
 * const server = await createServer({ storage: createMemoryStorage() })
 */
export function createMemoryStorage(): DocStorage {
  const docs = new Map<string, StoredDoc>();
  const entry = (name: string): StoredDoc => {
    let doc = docs.get(name);
    if (doc === undefined) {
      doc = { snapshot: undefined, updates: [] };
      docs.set(name, doc);
    }
    return doc;
  };
  return {
    async load(name) {
      const doc = docs.get(name);
      return doc && { snapshot: doc.snapshot?.slice(), updates: doc.updates.map((update) => update.slice()) };
    },
    async append(name, update) {
      entry(name).updates.push(update.slice());
    },
    async compact(name, snapshot) {
      docs.set(name, { snapshot: snapshot.slice(), updates: [] });
    },
    async remove(name) {
      docs.delete(name);
    },
    async list() {
      return [...docs.keys()];
    },
    async release() {},
    async close() {},
  };
}
