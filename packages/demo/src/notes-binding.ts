import type * as Y from 'yjs';

/** A Y.Text change as Yjs reports it in `event.delta`. */
type Delta = ReadonlyArray<{ insert?: unknown; delete?: number; retain?: number }>;
/** Which character an index keeps to when text is inserted exactly at it. */
type Stays = 'with-right' | 'with-left';

/**
 * Where each end of a selection goes when a remote change (a Yjs delta) is applied before it:
 * inserts before the caret push it right, deletes before it pull it left. `stays` says which
 * character an index keeps to when text is inserted exactly at it: a caret keeps to the one on its
 * right (the insert lands before it, as if the other person typed ahead of you); the end of a range
 * keeps to the last character of the range (the insert lands after it, outside the range).
 */
export function transformIndex(index: number, delta: Delta, stays: Stays = 'with-right'): number {
  let old = 0; // position in the text before the change
  let shift = 0;
  for (const op of delta) {
    if (old > index) break;
    if (op.retain !== undefined) {
      old += op.retain;
    } else if (op.insert !== undefined) {
      if (old < index || (old === index && stays === 'with-right')) {
        shift += typeof op.insert === 'string' ? op.insert.length : 1;
      }
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
 *
 * While an input method composes (IME: Japanese, Chinese, Korean, accents on some keyboards), the
 * textarea is left alone: rewriting its value would cancel the composition. Remote edits that arrive
 * meanwhile are kept as deltas; when the composition ends, the composed change is moved through them
 * into the Y.Text, and the textarea shows the result.
 */
export function bindTextarea(text: Y.Text, textarea: HTMLTextAreaElement): () => void {
  const origin = { binding: 'notes-textarea' };
  textarea.value = text.toString();
  /** While composing: the textarea's value when composition began, and the remote deltas since. */
  let composition: { base: string; remote: Delta[] } | undefined;

  const onInput = () => {
    if (composition) return;
    const change = diffText(text.toString(), textarea.value);
    if (change.remove === 0 && change.insert === '') return;
    text.doc?.transact(() => {
      if (change.remove > 0) text.delete(change.index, change.remove);
      if (change.insert) text.insert(change.index, change.insert);
    }, origin);
  };

  const render = (delta: Delta) => {
    const focused = document.activeElement === textarea;
    const { selectionStart, selectionEnd, selectionDirection, scrollTop } = textarea;
    textarea.value = text.toString();
    if (focused) {
      textarea.setSelectionRange(
        transformIndex(selectionStart, delta),
        transformIndex(selectionEnd, delta),
        selectionDirection,
      );
    }
    textarea.scrollTop = scrollTop;
  };

  const onChange = (event: Y.YTextEvent, transaction: Y.Transaction) => {
    if (transaction.origin === origin) return;
    const delta = event.delta as Delta;
    if (composition) composition.remote.push(delta);
    else render(delta);
  };

  const onCompositionStart = () => {
    composition = { base: textarea.value, remote: [] };
  };

  const onCompositionEnd = () => {
    if (!composition) return;
    const { base, remote } = composition;
    composition = undefined;
    const change = diffText(base, textarea.value);
    // Where the composed text goes in the Y.Text, after the remote edits made meanwhile.
    const through = (index: number, stays: Stays) =>
      remote.reduce((moved, delta) => transformIndex(moved, delta, stays), index);
    const from = through(change.index, 'with-right');
    const to = Math.max(from, through(change.index + change.remove, 'with-left'));
    text.doc?.transact(() => {
      if (to > from) text.delete(from, to - from);
      if (change.insert) text.insert(from, change.insert);
    }, origin);
    if (remote.length === 0) return;
    textarea.value = text.toString();
    const caret = from + change.insert.length;
    textarea.setSelectionRange(caret, caret);
  };

  textarea.addEventListener('input', onInput);
  textarea.addEventListener('compositionstart', onCompositionStart);
  textarea.addEventListener('compositionend', onCompositionEnd);
  text.observe(onChange);
  return () => {
    textarea.removeEventListener('input', onInput);
    textarea.removeEventListener('compositionstart', onCompositionStart);
    textarea.removeEventListener('compositionend', onCompositionEnd);
    text.unobserve(onChange);
  };
}
