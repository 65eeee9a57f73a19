import { WeftError } from '@weft/protocol';
import * as Y from 'yjs';
import type { DecodedUpdate } from './peer-input.ts';

/**
 * Which live connection edits under which Yjs client ID. Two clients sharing an ID diverge silently
 * and forever (each takes the other's items for its own), so an edit that creates content under an
 * ID another live connection edits under is refused.
 *
 * Only the shape of a local edit counts: an incremental Update whose structs all belong to one
 * client ID. Honest peers relay other clients' content too — a SyncStep2 carries whatever the
 * server lacks, including what Yjs holds back, and providers forward updates from IndexedDB or
 * other tabs — so SyncStep2s and multi-client updates neither claim nor get refused. Content the
 * document already has is never "created", and a closing connection owns nothing, so a client
 * that reconnects can always sync; one whose old TCP connection died silently waits (transient
 * close) until the heartbeat drops it.
 */
export interface ClientIdOwners<Peer> {
  /**
   * The client ID `peer` edits under if `decoded` is a local edit (else undefined); throws
   * `WeftError('client-id-in-use')` when another live peer edits under it.
   */
  check(peer: Peer, decoded: DecodedUpdate): number | undefined;
  /** Records `peer` as the editor of `client` (after its edit was applied). */
  claim(peer: Peer, client: number): void;
  /** Frees every ID `peer` owned (it left). */
  release(peer: Peer): void;
}

/**
 * The one client ID all structs of an update belong to, and whether any of them is new to the
 * document; undefined when the update has no structs or several client IDs.
 */
function editingClient(doc: Y.Doc, decoded: DecodedUpdate): { client: number; creates: boolean } | undefined {
  let editing: number | undefined;
  let creates = false;
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Skip) continue;
    const { client, clock } = struct.id;
    if (editing !== undefined && editing !== client) return undefined;
    editing = client;
    if (clock + struct.length > Y.getState(doc.store, client)) creates = true;
  }
  return editing === undefined ? undefined : { client: editing, creates };
}

export function createClientIdOwners<Peer>(doc: Y.Doc, isLive: (peer: Peer) => boolean): ClientIdOwners<Peer> {
  const owners = new Map<number, Peer>();
  const owned = new Map<Peer, Set<number>>();
  return {
    check(peer, decoded) {
      const editing = editingClient(doc, decoded);
      if (editing === undefined) return undefined;
      const owner = owners.get(editing.client);
      // Also when the clocks are ones the document has: a twin editing concurrently reuses them
      // with different content, which Yjs would drop silently.
      if (owner !== undefined && owner !== peer && isLive(owner)) {
        throw new WeftError('client-id-in-use', `client ID ${editing.client} is in use by another connection`);
      }
      return editing.creates ? editing.client : undefined;
    },
    claim(peer, client) {
      let set = owned.get(peer);
      if (set === undefined) {
        set = new Set();
        owned.set(peer, set);
      }
      owners.set(client, peer);
      set.add(client);
    },
    release(peer) {
      for (const client of owned.get(peer) ?? []) if (owners.get(client) === peer) owners.delete(client);
      owned.delete(peer);
    },
  };
}
