import type { Provider, SyncedStorage } from '@weft/client';
import { ACCENTS, readBoardSettings } from './board-settings.ts';
import { h } from './dom.ts';
import { type LocalUser, saveLocalUser, USER_COLORS } from './user.ts';

export interface SettingsPanelOptions {
  provider: Provider;
  settings: SyncedStorage;
  room: string;
  user: LocalUser;
  localStorage: Storage;
}

const swatch = (name: string, value: string, color: string, checked: boolean) =>
  h(
    'label',
    { class: 'swatch', style: `--swatch: ${color}`, title: value === color ? name : name },
    h('input', { type: 'radio', name, value, checked, 'aria-label': value }),
    h('span', { 'aria-hidden': 'true' }),
  );

/**
 * A dialog with the board's shared settings (title, accent, hide completed: synced storage, so
 * everyone in the room sees them change) and this device's name and colour (presence only).
 */
export function createSettingsPanel(options: SettingsPanelOptions): {
  open(): void;
  element: HTMLDialogElement;
  destroy(): void;
} {
  const { settings, provider } = options;
  const current = readBoardSettings(settings, options.room);
  // The stored title only: the default (the room name) is a placeholder, not a value to save.
  const storedTitle = () => {
    const value = settings.getItem('title');
    return typeof value === 'string' ? value : '';
  };
  const title = h('input', {
    type: 'text',
    name: 'title',
    maxlength: 80,
    value: storedTitle(),
    placeholder: `#${options.room}`,
    autocomplete: 'off',
  });
  const hideCompleted = h('input', { type: 'checkbox', name: 'hideCompleted', checked: current.hideCompleted });
  const accents = h(
    'div',
    { class: 'swatches', role: 'radiogroup', 'aria-label': 'Accent colour' },
    ...ACCENTS.map((accent) => swatch('accent', accent.value, accent.value, accent.value === current.accent)),
  );
  const userName = h('input', { type: 'text', name: 'userName', maxlength: 40, value: options.user.name });
  const userColors = h(
    'div',
    { class: 'swatches', role: 'radiogroup', 'aria-label': 'Your colour' },
    ...USER_COLORS.map((color) => swatch('userColor', color, color, color === options.user.color)),
  );
  const form = h(
    'form',
    { method: 'dialog', class: 'settings-form' },
    h(
      'header',
      { class: 'dialog-header' },
      h('h2', {}, 'Settings'),
      h('button', { class: 'icon-button', value: 'close', 'aria-label': 'Close' }, '×'),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'This board · shared with everyone here'),
      h('label', { class: 'field' }, h('span', {}, 'Board title'), title),
      h('div', { class: 'field' }, h('span', {}, 'Accent colour'), accents),
      h('label', { class: 'field checkbox' }, hideCompleted, h('span', {}, 'Hide completed tasks')),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'You · on this device'),
      h('label', { class: 'field' }, h('span', {}, 'Your name'), userName),
      h('div', { class: 'field' }, h('span', {}, 'Your colour'), userColors),
    ),
    h('footer', { class: 'dialog-footer' }, h('button', { class: 'button primary', value: 'close' }, 'Done')),
  );
  const element = h('dialog', { class: 'settings-dialog', 'aria-label': 'Settings' }, form);

  const onInput = (event: Event) => {
    const target = event.target as HTMLInputElement;
    if (target === title) settings.setItem('title', title.value);
    else if (target === hideCompleted) settings.setItem('hideCompleted', hideCompleted.checked);
    else if (target.name === 'accent') settings.setItem('accent', target.value);
    else if (target === userName || target.name === 'userColor') {
      const color =
        form.querySelector<HTMLInputElement>('input[name="userColor"]:checked')?.value ?? options.user.color;
      const user = { name: userName.value.trim() || options.user.name, color };
      saveLocalUser(options.localStorage, user);
      provider.setUser(user);
    }
  };
  form.addEventListener('input', onInput);

  // Someone else changed a shared setting while the dialog is open: show it (unless typing in it).
  const unsubscribe = settings.subscribe(() => {
    const next = readBoardSettings(settings, options.room);
    if (document.activeElement !== title) title.value = storedTitle();
    hideCompleted.checked = next.hideCompleted;
    accents.querySelectorAll('input').forEach((input) => {
      input.checked = input.value === next.accent;
    });
  });

  return {
    element,
    open: () => {
      element.showModal();
      title.focus();
      title.select();
    },
    destroy: () => {
      form.removeEventListener('input', onInput);
      unsubscribe();
      element.remove();
    },
  };
}
