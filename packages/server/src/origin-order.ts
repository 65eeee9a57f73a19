import { WeftError } from '@weft/protocol';
import * as Y from 'yjs';

/**
 * How many items the check may walk per update. Between an honest item's origin and right origin lie
 * only items inserted concurrently into that gap, so an honest walk is short.
 */
export const MAX_ORIGIN_WALK = 100_000;

/**
 * Refuses new items whose origins no Yjs client could have written.
 *
 * Yjs places an item by scanning from its origin (its left neighbour when it was typed) towards its
 * right origin (its right neighbour then). Its creator saw the two side by side, so in the document
 * the right origin lies after the origin, in the same list, and everything between them is content
 * the creator did not know. A crafted item that breaks this is placed differently depending on which
 * concurrent items a replica integrated first: the server, a peer given a merged broadcast and a
 * client loading the document would stop converging.
 *
 * The creator provably knew the content before its origin and its right origin on their clients
 * (a Yjs client has each client's content up to a clock) and its own earlier content; any of that
 * between the two origins is refused. That is checked for references to items the document has.
 * Between items of one update (or held back) only three cases can be checked before Yjs places them:
 * the same character as both origins; both origins in one run of characters, where nothing can lie
 * between two neighbours; and a right origin the document has, before the character the origin's
 * chain of origins through the update ends on. Beyond that, an update does not say what its creator
 * had seen.
 */
export function assertOriginsInOrder(doc: Y.Doc, structs: ReadonlyArray<unknown>): void {
  const budget = { steps: MAX_ORIGIN_WALK };
  // Chains through the update can be long in an honest one (a history typed offline); past this
  // many steps they go unchecked rather than refuse it.
  const chainBudget = { steps: MAX_ORIGIN_WALK };
  let runs: Map<number, Y.Item[]> | undefined;
  const updateItems = () => {
    runs ??= itemsByClient(structs);
    return runs;
  };
  for (const struct of structs) {
    if (!(struct instanceof Y.Item) || has(doc, struct.id)) continue;
    const problem = originProblem(doc, struct, budget);
    if (problem !== null) throw problem;
    const { origin, rightOrigin } = struct;
    if (origin === null || rightOrigin === null) continue;
    if (!placedAfter(doc, updateItems, origin, rightOrigin, chainBudget)) throw misplaced(struct);
    if (origin.client !== rightOrigin.client) continue;
    // Nothing is its own left and right neighbour, wherever it is.
    if (origin.clock === rightOrigin.clock) throw misplaced(struct);
    // An origin the document has is in none of the update's runs (known structs were cut off).
    if (has(doc, origin)) continue;
    const run = itemHolding(updateItems().get(origin.client) ?? [], origin.clock);
    const sameRun =
      run !== undefined && rightOrigin.clock >= run.id.clock && rightOrigin.clock < run.id.clock + run.length;
    if (sameRun && rightOrigin.clock !== origin.clock + 1) throw misplaced(struct);
  }
}

/**
 * False when `rightOrigin`, a character the document has, lies before where an item with `origin`
 * (a new character of this update) must land: after the character the document has that `origin`'s
 * chain of origins through the update ends on. True when that cannot be told (also once `budget`
 * is spent).
 */
function placedAfter(
  doc: Y.Doc,
  updateItems: () => Map<number, Y.Item[]>,
  origin: Y.ID,
  rightOrigin: Y.ID,
  budget: { steps: number },
): boolean {
  const store = doc.store;
  if (has(doc, origin) || !has(doc, rightOrigin)) return true;
  let anchor: Y.ID | null = origin;
  while (!has(doc, anchor)) {
    if (--budget.steps < 0) return true;
    const item = itemHolding(updateItems().get(anchor.client) ?? [], anchor.clock);
    anchor = item?.origin ?? null;
    if (anchor === null) return true;
  }
  const left = Y.getItem(store, anchor);
  const right = Y.getItem(store, rightOrigin);
  if (!(left instanceof Y.Item) || !(right instanceof Y.Item)) return true;
  if (left === right) return rightOrigin.clock > anchor.clock;
  for (let between = left.right; between !== right; between = between.right) {
    if (between === null) return false;
    if (--budget.steps < 0) return true;
  }
  return true;
}

/** True when `doc` has the character `id`. */
const has = (doc: Y.Doc, id: Y.ID) => id.clock < Y.getState(doc.store, id.client);

/** The update's items per client, in clock order (as Yjs encodes them). */
function itemsByClient(structs: ReadonlyArray<unknown>): Map<number, Y.Item[]> {
  const byClient = new Map<number, Y.Item[]>();
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    const items = byClient.get(struct.id.client);
    if (items) items.push(struct);
    else byClient.set(struct.id.client, [struct]);
  }
  return byClient;
}

/** The item of `items` (sorted by clock) whose run of clocks holds `clock`. */
function itemHolding(items: readonly Y.Item[], clock: number): Y.Item | undefined {
  let low = 0;
  let high = items.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const item = items[middle] as Y.Item;
    if (clock < item.id.clock) high = middle - 1;
    else if (clock >= item.id.clock + item.length) low = middle + 1;
    else return item;
  }
  return undefined;
}

/**
 * Why no Yjs client could have written `item`'s origins, or null. Null too when an origin is not in
 * `doc` (yet) or is garbage collected. `budget.steps` is how many items the walk may still pass.
 */
export function originProblem(doc: Y.Doc, item: Y.Item, budget: { steps: number }): WeftError | null {
  const store = doc.store;
  const { origin, rightOrigin } = item;
  if (origin === null || rightOrigin === null || !has(doc, origin) || !has(doc, rightOrigin)) return null;
  const left = Y.getItem(store, origin);
  const right = Y.getItem(store, rightOrigin);
  // Yjs drops an item next to garbage-collected content without placing it.
  if (!(left instanceof Y.Item) || !(right instanceof Y.Item)) return null;
  /** True when the creator knew some of `client`'s content from `from` up to (excluding) `to`. */
  const knew = (client: number, from: number, to: number) =>
    from < to &&
    ((client === origin.client && from <= origin.clock) ||
      (client === rightOrigin.client && from < rightOrigin.clock) ||
      (client === item.id.client && from < item.id.clock));
  if (left === right) {
    const inOrder = rightOrigin.clock > origin.clock && !knew(left.id.client, origin.clock + 1, rightOrigin.clock);
    return inOrder ? null : misplaced(item);
  }
  if (knew(left.id.client, origin.clock + 1, left.id.clock + left.length)) return misplaced(item);
  for (let between = left.right; between !== right; between = between.right) {
    if (between === null) return misplaced(item);
    if (--budget.steps < 0) return misplaced(item, true);
    if (knew(between.id.client, between.id.clock, between.id.clock + between.length)) return misplaced(item);
  }
  return knew(right.id.client, right.id.clock, rightOrigin.clock) ? misplaced(item) : null;
}

function misplaced(item: Y.Item, tooFar = false): WeftError {
  const { id, origin, rightOrigin } = item;
  const at = (ref: Y.ID | null) => (ref ? `${ref.client}:${ref.clock}` : 'none');
  const where = `item ${id.client}:${id.clock} (origin ${at(origin)}, right origin ${at(rightOrigin)})`;
  return tooFar
    ? new WeftError('limit-exceeded', `${where}: more than ${MAX_ORIGIN_WALK} items lie between its origins`)
    : new WeftError('malformed-message', `malformed update: ${where} could not have been typed between them`);
}
