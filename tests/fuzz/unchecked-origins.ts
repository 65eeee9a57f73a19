import * as Y from 'yjs';
import { originProblem } from '../../packages/server/src/origin-order.ts';

interface IdRange {
  client: number;
  from: number;
  to: number;
}

/**
 * Remembers the items whose origins the server could not check before Yjs placed them (an origin in
 * the same update or held back: docs/security.md, "Hostile input"), and finds, once Yjs has placed
 * everything, those whose origins no Yjs client could have written.
 */
export function createUncheckedOrigins() {
  const ranges: IdRange[] = [];
  return {
    /** Runs `apply`, which applies `update` to `doc`, and notes the items whose origins `doc` lacked. */
    apply<T>(doc: Y.Doc, update: Uint8Array, apply: () => T): T {
      const has = (id: Y.ID | null) => id === null || id.clock < Y.getState(doc.store, id.client);
      let unchecked: IdRange[] = [];
      try {
        unchecked = Y.decodeUpdate(update)
          .structs.filter((struct) => struct instanceof Y.Item && !(has(struct.origin) && has(struct.rightOrigin)))
          .map((struct) => ({ client: struct.id.client, from: struct.id.clock, to: struct.id.clock + struct.length }));
      } catch {
        // Malformed: the server refuses it, nothing is placed.
      }
      const result = apply();
      ranges.push(...unchecked);
      return result;
    },
    /** What is wrong with the noted items' origins in `doc`, now that Yjs has placed them. */
    problems(doc: Y.Doc): string[] {
      const found: string[] = [];
      for (const [client, structs] of doc.store.clients) {
        for (const struct of structs) {
          const noted = ranges.some(
            (range) =>
              range.client === client && range.from < struct.id.clock + struct.length && struct.id.clock < range.to,
          );
          if (!noted || !(struct instanceof Y.Item)) continue;
          const problem = originProblem(doc, struct, { steps: Number.POSITIVE_INFINITY });
          if (problem !== null) found.push(problem.message);
        }
      }
      return found;
    },
  };
}
