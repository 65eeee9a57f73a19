/**
 * Why an update was applied to a room's document (the Yjs transaction origin): read from storage,
 * sent by a client, or written through the API. Awareness changes carry the client's too, so the
 * room knows who owns which awareness state.
 */
export type UpdateOrigin<Peer> =
  | { readonly kind: 'storage' }
  | { readonly kind: 'client'; readonly peer: Peer }
  | { readonly kind: 'api' };

export const storageOrigin = { kind: 'storage' } as const;
