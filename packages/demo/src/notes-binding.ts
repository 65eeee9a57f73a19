import type * as Y from 'yjs';

/**
 * Where each end of a selection goes when a remote change (a Yjs delta) is applied before it:
 * inserts before the caret push it right, deletes before it pull it left.
 */
export function transformIndex(
  index: number,
  delta: ReadonlyArray<{ insert?: unknown; delete?: number; retain?: number }>,
): number {
  let old = 0; // position in the text before the change
  let shift = 0;
  for (const op of delta) {
    if (old > index) break;
    if (op.retain !== undefined) {
      old += op.retain;
    } else if (op.insert !== undefined) {
      // An insert exactly at the caret goes before it, as if the other person typed ahead of you.
      if (old <= index) shift += typeof op.insert === 'string' ? op.insert.length : 1;
    } else if (op.delete !== undefined) {
      if (old < index) shift -= Math.min(op.delete, index - old);
      old += op.delete;
    }
  }
  return index + shift;
}

/** The smallest single replacement that turns `before` into `after`. */
export function diffText(before: string, after: string): { index: number; remove: number; insert: string } {
  let start = 0;
  const shortest = Math.min(before.length, after.length);
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start += 1;
  let end = 0;
  while (
    end < shortest - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  ) {
    end += 1;
  }
  return { index: start, remove: before.length - start - end, insert: after.slice(start, after.length - end) };
}

/**
 * Binds a Y.Text to a textarea both ways. Local typing becomes the minimal Y.Text edit; remote
 * edits rewrite the textarea and move the local selection by the change's delta, so the caret
 * stays by the same characters it was next to.
 */
export function bindTextarea(text: Y.Text, textarea: HTMLTextAreaElement): () => void {
  const origin = { binding: 'notes-textarea' };
  textarea.value = text.toString();

  const onInput = () => {
    const change = diffText(text.toString(), textarea.value);
    if (change.remove === 0 && change.insert === '') return;
    text.doc?.transact(() => {
      if (change.remove > 0) text.delete(change.index, change.remove);
      if (change.insert) text.insert(change.index, change.insert);
    }, origin);
  };

  const onChange = (event: Y.YTextEvent, transaction: Y.Transaction) => {
    if (transaction.origin === origin) return;
    const focused = document.activeElement === textarea;
    const { selectionStart, selectionEnd, selectionDirection, scrollTop } = textarea;
    textarea.value = text.toString();
    if (focused) {
      textarea.setSelectionRange(
        transformIndex(selectionStart, event.delta),
        transformIndex(selectionEnd, event.delta),
        selectionDirection,
      );
    }
    textarea.scrollTop = scrollTop;
  };

  textarea.addEventListener('input', onInput);
  text.observe(onChange);
  return () => {
    textarea.removeEventListener('input', onInput);
    text.unobserve(onChange);
  };
}
