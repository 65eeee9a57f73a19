import * as Y from 'yjs';

/** A read-only view of a Yjs type as plain data, for UI frameworks. */
export interface SnapshotStore<Snapshot> {
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /**
   * Immutable plain data (frozen objects, arrays, strings). The same reference until something
   * changes, and after a change every unchanged subtree keeps its reference.
   */
  getSnapshot(): Snapshot;
  /** Stops observing the type. */
  destroy(): void;
}

type Snapshot = unknown;
// Yjs types are generic over their event type; the store handles every one of them alike.
// biome-ignore lint/suspicious/noExplicitAny: Y.AbstractType's parameter differs per type
type YType = Y.AbstractType<any>;

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
};

/**
 * A snapshot store over any Yjs type: Y.Map becomes an object, Y.Array an array, Y.Text and XML
 * types strings, nested types recursively. Usable as-is with React's `useSyncExternalStore`.
 *
 * @example
 * const tasks = createStore<Task[]>(provider.doc.getArray('tasks'))
 * const list = useSyncExternalStore(tasks.subscribe, tasks.getSnapshot)
 */
export function createStore<T = Snapshot>(type: YType): SnapshotStore<T> {
  // Snapshots of types that did not change since they were taken; a change drops the changed
  // type and its ancestors, so siblings keep their identity.
  const typeSnapshots = new WeakMap<YType, Snapshot>();
  // Plain JSON values stored in Yjs never change in place, so one frozen copy per value suffices.
  const valueSnapshots = new WeakMap<object, Snapshot>();
  const listeners = new Set<() => void>();

  const snapshotValue = (value: unknown): Snapshot => {
    if (value instanceof Y.AbstractType) return snapshotType(value);
    if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return value;
    let copy = valueSnapshots.get(value);
    if (copy === undefined) {
      copy = deepFreeze(structuredClone(value));
      valueSnapshots.set(value, copy);
    }
    return copy;
  };

  const snapshotType = (target: YType): Snapshot => {
    if (typeSnapshots.has(target)) return typeSnapshots.get(target);
    let snapshot: Snapshot;
    if (target instanceof Y.Map) {
      const object: Record<string, Snapshot> = {};
      for (const [key, value] of target.entries()) object[key] = snapshotValue(value);
      snapshot = Object.freeze(object);
    } else if (target instanceof Y.Array) {
      snapshot = Object.freeze(target.toArray().map(snapshotValue));
    } else {
      snapshot = target.toString();
    }
    typeSnapshots.set(target, snapshot);
    return snapshot;
  };

  const observer = (events: Array<Y.YEvent<YType>>) => {
    for (const event of events) {
      let changed: YType | null = event.target;
      while (changed !== null) {
        typeSnapshots.delete(changed);
        if (changed === type) break;
        changed = changed._item?.parent instanceof Y.AbstractType ? changed._item.parent : null;
      }
    }
    for (const listener of [...listeners]) listener();
  };
  type.observeDeep(observer);

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => snapshotType(type) as T,
    destroy() {
      type.unobserveDeep(observer);
      listeners.clear();
    },
  };
}
