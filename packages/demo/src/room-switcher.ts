import { h } from './dom.ts';
import { normalizeRoom } from './room.ts';

/** Shows the room, opens another one (`#name` in the URL) and copies a link to share. */
export function createRoomSwitcher(room: string, location: Location): { element: HTMLElement; destroy(): void } {
  const input = h('input', {
    type: 'text',
    class: 'room-input',
    value: room,
    'aria-label': 'Room',
    spellcheck: false,
    autocomplete: 'off',
    maxlength: 64,
  });
  const copy = h('button', { type: 'button', class: 'button ghost', title: 'Copy a link to this room' }, 'Copy link');
  const form = h(
    'form',
    { class: 'room-switcher', role: 'search' },
    h('span', { class: 'room-hash', 'aria-hidden': 'true' }, '#'),
    input,
    copy,
  );

  const onSubmit = (event: Event) => {
    event.preventDefault();
    const next = normalizeRoom(input.value);
    if (!next) {
      input.value = room;
      return;
    }
    location.hash = next;
  };
  const onCopy = () => {
    const link = `${location.origin}${location.pathname}#${room}`;
    navigator.clipboard?.writeText(link).then(
      () => {
        copy.textContent = 'Copied!';
        setTimeout(() => {
          copy.textContent = 'Copy link';
        }, 1500);
      },
      () => {
        input.select();
      },
    );
  };
  form.addEventListener('submit', onSubmit);
  copy.addEventListener('click', onCopy);
  return {
    element: form,
    destroy: () => {
      form.removeEventListener('submit', onSubmit);
      copy.removeEventListener('click', onCopy);
    },
  };
}
