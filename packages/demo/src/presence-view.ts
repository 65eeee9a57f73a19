import type { Peer, Provider } from '@weft/client';
import { h } from './dom.ts';
import { initials } from './user.ts';

/** Avatars of everyone in the room (you first), with names on hover and a count. */
export function createPresenceView(provider: Provider): { element: HTMLElement; destroy(): void } {
  const avatars = h('ul', { class: 'avatars', 'aria-label': 'People here' });
  const label = h('span', { class: 'presence-label' });
  const element = h('div', { class: 'presence' }, avatars, label);

  const render = (peers: readonly Peer[]) => {
    const sorted = [...peers].sort((a, b) => Number(b.self) - Number(a.self) || a.clientId - b.clientId);
    avatars.replaceChildren(
      ...sorted.map((peer) => {
        const name = peer.user?.name ?? 'Anonymous';
        const title = peer.self ? `${name} (you)` : name;
        return h(
          'li',
          {
            class: peer.self ? 'avatar self' : 'avatar',
            style: `--user-color: ${peer.user?.color ?? '#64748b'}`,
            title,
            'aria-label': title,
            'data-client-id': peer.clientId,
          },
          initials(name),
        );
      }),
    );
    const others = sorted.length - 1;
    label.textContent = others <= 0 ? 'Only you' : `You and ${others} other${others === 1 ? '' : 's'}`;
  };

  const unsubscribe = provider.on('peers', render);
  render(provider.peers());
  return { element, destroy: unsubscribe };
}
