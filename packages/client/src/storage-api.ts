import type * as Y from 'yjs';

/** A JSON value: what synced storage holds. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One key's change, local or from another device. `key` is the changed key. */
export interface StorageChange {
  key: string;
  oldValue: Json | null;
  newValue: Json | null;
  /** True when this client made the change. */
  local: boolean;
}

/**
 * The Web Storage API (`localStorage`-style) over a `Y.Map`, synced across devices. Values are
 * JSON: strings work as they do in `localStorage`; objects, numbers and booleans are kept as they are.
 */
export interface SyncedStorage {
  readonly length: number;
  /** The value of `key`, or null when there is none (as `localStorage.getItem`). */
  getItem(key: string): Json | null;
  /** Sets `key`; throws TypeError for values JSON cannot hold (undefined, functions, NaN, cycles). */
  setItem(key: string, value: Json): void;
  removeItem(key: string): void;
  /** Removes every key, in one transaction. */
  clear(): void;
  /** The name of the `index`th key in sorted order (the same on every device), or null. */
  key(index: number): string | null;
  /** Calls `listener` for every changed key; returns the unsubscribe function. */
  subscribe(listener: (change: StorageChange) => void): () => void;
}

/** Copies `value` as JSON would, refusing what JSON would silently change or drop. */
function toJson(value: unknown, path: string, seen: Set<object>): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}, which JSON cannot hold`);
    return value;
  }
  if (typeof value !== 'object') throw new TypeError(`${path} is a ${typeof value}, which JSON cannot hold`);
  if (seen.has(value)) throw new TypeError(`${path} refers to itself`);
  seen.add(value);
  let copy: Json;
  if (Array.isArray(value)) copy = value.map((item, index) => toJson(item, `${path}[${index}]`, seen));
  else {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new TypeError(`${path} is a ${prototype?.constructor?.name ?? 'class instance'}; use plain objects`);
    }
    copy = {};
    for (const [key, item] of Object.entries(value)) copy[key] = toJson(item, `${path}.${key}`, seen);
  }
  seen.delete(value);
  return copy;
}

/**
 * Synced key/value storage for state apps keep in `localStorage` or `sessionStorage` today.
 *
 * @example
 * const settings = createSyncedStorage(provider.doc.getMap('settings'))
 * settings.setItem('theme', 'dark')
 * settings.subscribe(({ key, newValue }) => applySetting(key, newValue))
 */
export function createSyncedStorage(map: Y.Map<unknown>): SyncedStorage {
  const read = (key: string): Json | null => (map.has(key) ? (map.get(key) as Json) : null);
  return {
    get length() {
      return map.size;
    },
    getItem: read,
    setItem(key, value) {
      if (typeof key !== 'string') throw new TypeError('storage keys are strings');
      map.set(key, toJson(value, key, new Set()));
    },
    removeItem(key) {
      map.delete(key);
    },
    clear() {
      const doc = map.doc;
      const clearAll = () => {
        for (const key of [...map.keys()]) map.delete(key);
      };
      if (doc) doc.transact(clearAll);
      else clearAll();
    },
    key(index) {
      return [...map.keys()].sort()[index] ?? null;
    },
    subscribe(listener) {
      const observer = (event: Y.YMapEvent<unknown>) => {
        for (const [key, change] of event.changes.keys) {
          listener({
            key,
            oldValue: change.action === 'add' ? null : ((change.oldValue as Json | undefined) ?? null),
            newValue: read(key),
            local: event.transaction.local,
          });
        }
      };
      map.observe(observer);
      return () => map.unobserve(observer);
    },
  };
}
