/** A listener map: event name to the listener's signature. */
export type EventMap = { [name: string]: (...args: never[]) => void };

/** A small typed event emitter whose `on` returns its own unsubscribe function. */
export interface Emitter<Events extends EventMap> {
  on<Name extends keyof Events>(name: Name, listener: Events[Name]): () => void;
  emit<Name extends keyof Events>(name: Name, ...args: Parameters<Events[Name]>): void;
  clear(): void;
}

export function createEmitter<Events extends EventMap>(): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<Events[keyof Events]>>();
  return {
    on(name, listener) {
      let set = listeners.get(name);
      if (set === undefined) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    emit(name, ...args) {
      for (const listener of [...(listeners.get(name) ?? [])]) {
        try {
          (listener as (...values: Parameters<Events[typeof name]>) => void)(...args);
        } catch (error) {
          // A throwing listener must not break the provider's state machine; report it like an
          // uncaught error instead of swallowing it.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
    clear() {
      listeners.clear();
    },
  };
}
