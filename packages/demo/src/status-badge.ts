import type { Provider, ProviderStatus } from '@weft/client';
import { h } from './dom.ts';

const STATUS_LABELS: Record<ProviderStatus, string> = {
  offline: 'Offline',
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  synced: 'Synced',
};

/** "3 unsaved changes" or "All changes saved", from the server's durable acks only. */
export function savedLabel(unsaved: number): string {
  if (unsaved === 0) return 'All changes saved';
  return `${unsaved} unsaved change${unsaved === 1 ? '' : 's'}`;
}

/** The connection badge and the saved state beside it. */
export function createStatusBadge(provider: Provider): { element: HTMLElement; destroy(): void } {
  const badge = h(
    'span',
    { class: 'status-badge', role: 'status' },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    '',
  );
  const saved = h('span', { class: 'saved-state', role: 'status' });
  const element = h('div', { class: 'status' }, badge, saved);

  const render = () => {
    const status = provider.status;
    // "syncing" is part of connecting for a person; the badge keeps the three states they care about.
    const shown = status === 'syncing' ? 'connecting' : status;
    badge.dataset.status = shown;
    badge.lastChild!.textContent = STATUS_LABELS[status];
    const unsaved = provider.unsavedChanges;
    saved.dataset.unsaved = String(unsaved);
    saved.textContent = savedLabel(unsaved);
    saved.title =
      unsaved === 0
        ? 'Every change is on the server’s disk'
        : 'Kept on this device; sent and saved when the server is reachable';
  };

  const unsubscribes = [provider.on('status', render), provider.on('unsaved', render)];
  render();
  return {
    element,
    destroy: () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    },
  };
}
