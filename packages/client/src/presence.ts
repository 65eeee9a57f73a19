import type { Awareness } from 'y-protocols/awareness';

/** What a person shows others: set with `provider.setUser`. */
export interface UserInfo {
  name: string;
  /** A CSS colour, e.g. `#e91e63`. */
  color: string;
}

/** One client present in the document (this one included, with `self: true`). */
export interface Peer {
  clientId: number;
  self: boolean;
  user?: UserInfo;
  /** The whole awareness state, for apps that publish more (cursors, selections). */
  state: Readonly<Record<string, unknown>>;
}

const isUserInfo = (value: unknown): value is UserInfo =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as UserInfo).name === 'string' &&
  typeof (value as UserInfo).color === 'string';

/** Every client with an awareness state, this one first, then by client ID. */
export function listPeers(awareness: Awareness): Peer[] {
  const peers: Peer[] = [];
  for (const [clientId, state] of awareness.getStates()) {
    const user = isUserInfo(state.user) ? { name: state.user.name, color: state.user.color } : undefined;
    peers.push({ clientId, self: clientId === awareness.clientID, ...(user && { user }), state });
  }
  return peers.sort((a, b) => Number(b.self) - Number(a.self) || a.clientId - b.clientId);
}

/** Sets the `user` field of the local awareness state, keeping the rest of it. */
export function setLocalUser(awareness: Awareness, user: UserInfo): void {
  awareness.setLocalStateField('user', { name: user.name, color: user.color });
}
