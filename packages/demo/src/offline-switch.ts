import type { Provider } from '@weft/client';
import { h } from './dom.ts';

const STORAGE_KEY = 'weft-demo:work-offline';

/** Whether this tab chose to work offline (kept across reloads of the tab). */
export function prefersOffline(storage: Storage): boolean {
  return storage.getItem(STORAGE_KEY) === '1';
}

/**
 * The "Work offline" switch: disconnects the provider and keeps it offline until switched back.
 * Edits keep going to IndexedDB meanwhile and are sent when back online.
 */
export function createOfflineSwitch(provider: Provider, storage: Storage): { element: HTMLElement; destroy(): void } {
  const input = h('input', { type: 'checkbox', role: 'switch', class: 'switch-input', id: 'work-offline' });
  const element = h(
    'label',
    { class: 'switch', for: 'work-offline', title: 'Stop syncing; your edits stay on this device' },
    input,
    h('span', { class: 'switch-track', 'aria-hidden': 'true' }),
    'Work offline',
  );
  input.checked = prefersOffline(storage);
  const onChange = () => {
    try {
      if (input.checked) storage.setItem(STORAGE_KEY, '1');
      else storage.removeItem(STORAGE_KEY);
    } catch {
      // Not remembered across reloads; the switch itself still works.
    }
    if (input.checked) provider.disconnect();
    else provider.connect();
  };
  input.addEventListener('change', onChange);
  return { element, destroy: () => input.removeEventListener('change', onChange) };
}
