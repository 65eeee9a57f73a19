import type * as Y from 'yjs';
import { h } from './dom.ts';
import { bindTextarea } from './notes-binding.ts';

/** The shared notes panel: a textarea bound to the board's Y.Text. */
export function createNotesView(text: Y.Text): { element: HTMLElement; destroy(): void } {
  const textarea = h('textarea', {
    class: 'notes',
    'aria-label': 'Shared notes',
    placeholder: 'Shared notes. Everyone in this room sees what you type, as you type it.',
    spellcheck: true,
  });
  const count = h('span', { class: 'panel-meta' });
  const updateCount = () => {
    const words = text.toString().trim().split(/\s+/).filter(Boolean).length;
    count.textContent = words === 0 ? '' : `${words} word${words === 1 ? '' : 's'}`;
  };
  const element = h(
    'section',
    { class: 'panel notes-panel', 'aria-labelledby': 'notes-title' },
    h('header', { class: 'panel-header' }, h('h2', { id: 'notes-title' }, 'Notes'), count),
    textarea,
  );
  const unbind = bindTextarea(text, textarea);
  text.observe(updateCount);
  updateCount();
  return {
    element,
    destroy() {
      unbind();
      text.unobserve(updateCount);
    },
  };
}
