/**
 * Why an update was applied to a room's document. Every apply carries one, so the room never echoes
 * an update to its sender and never writes back what it just read from storage.
 */
export type UpdateOrigin<Peer> =
  | { readonly kind: 'storage' }
  | { readonly kind: 'client'; readonly peer: Peer; readonly echo?: boolean }
  | { readonly kind: 'api' };

export const storageOrigin = { kind: 'storage' } as const;
