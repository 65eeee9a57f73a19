import { afterEach, describe, expect, test, vi } from 'vitest';
import * as Y from 'yjs';
import { bindTextarea, diffText, transformIndex } from './notes-binding.ts';

describe('diffText', () => {
  test.each([
    ['hello', 'hello world', { index: 5, remove: 0, insert: ' world' }],
    ['hello world', 'hello', { index: 5, remove: 6, insert: '' }],
    ['abc', 'aXc', { index: 1, remove: 1, insert: 'X' }],
    ['aaa', 'aaaa', { index: 3, remove: 0, insert: 'a' }],
    ['same', 'same', { index: 4, remove: 0, insert: '' }],
  ])('%j → %j', (before, after, expected) => {
    expect(diffText(before, after)).toEqual(expected);
  });
});

describe('transformIndex', () => {
  // The caret is moved exactly as the characters around it are, for every position and edit.
  const remoteEdit = (edit: (text: Y.Text) => void) => {
    const doc = new Y.Doc();
    const text = doc.getText('t');
    text.insert(0, 'hello world');
    let delta: Parameters<typeof transformIndex>[1] = [];
    text.observe((event) => {
      delta = event.delta as typeof delta;
    });
    edit(text);
    return delta;
  };

  test('inserts before the caret push it, after it do not', () => {
    const delta = remoteEdit((text) => text.insert(0, 'Big '));
    expect(transformIndex(6, delta)).toBe(10);
    expect(transformIndex(0, delta)).toBe(4);
    const later = remoteEdit((text) => text.insert(8, 'XX'));
    expect(transformIndex(6, later)).toBe(6);
  });

  test('deletes before the caret pull it, and a deleted caret lands at the cut', () => {
    const delta = remoteEdit((text) => text.delete(0, 6)); // "world"
    expect(transformIndex(8, delta)).toBe(2);
    expect(transformIndex(3, delta)).toBe(0);
    expect(transformIndex(11, delta)).toBe(5);
  });

  test('mixed edits keep the caret next to the same character', () => {
    const delta = remoteEdit((text) => {
      text.doc?.transact(() => {
        text.delete(1, 3); // "ho world"
        text.insert(3, '!!'); // "ho !!world"
      });
    });
    // Caret before "w" (index 6 in "hello world") stays before "w".
    expect(transformIndex(6, delta)).toBe('ho !!world'.indexOf('w'));
  });
});

describe('bindTextarea while an input method composes', () => {
  /** The parts of a textarea the binding uses; events are dispatched by the test, as a browser would. */
  class FakeTextarea extends EventTarget {
    value = '';
    selectionStart = 0;
    selectionEnd = 0;
    selectionDirection: 'forward' | 'backward' | 'none' = 'none';
    scrollTop = 0;
    setSelectionRange(start: number, end: number) {
      this.selectionStart = start;
      this.selectionEnd = end;
    }
    /** The user's input method changes the value (as each composition update does). */
    type(value: string) {
      this.value = value;
      this.dispatchEvent(new Event('input'));
    }
  }

  const setUp = (initial: string) => {
    vi.stubGlobal('document', { activeElement: null });
    const local = new Y.Doc();
    const remote = new Y.Doc();
    // The other person's edits reach this document as they would over the network.
    remote.on('update', (update: Uint8Array) => Y.applyUpdate(local, update));
    remote.getText('t').insert(0, initial);
    const textarea = new FakeTextarea();
    const unbind = bindTextarea(local.getText('t'), textarea as unknown as HTMLTextAreaElement);
    return { text: local.getText('t'), other: remote.getText('t'), textarea, unbind };
  };
  afterEach(() => vi.unstubAllGlobals());

  test("leaves the textarea alone until the composition ends, then places it after the other person's edit", () => {
    const { text, other, textarea } = setUp('hello world');
    textarea.dispatchEvent(new Event('compositionstart'));
    textarea.type('hello にworld');
    other.insert(0, 'Big ');
    textarea.type('hello 日本world');
    // Rewriting the value now would cancel the composition; the text waits for it.
    expect(textarea.value).toBe('hello 日本world');
    expect(text.toString()).toBe('Big hello world');
    textarea.dispatchEvent(new Event('compositionend'));
    expect(text.toString()).toBe('Big hello 日本world');
    expect(textarea.value).toBe('Big hello 日本world');
    expect(textarea.selectionStart).toBe('Big hello 日本'.length);
  });

  test('keeps text the other person inserted right after the characters the composition replaced', () => {
    const { text, other, textarea } = setUp('abc');
    textarea.dispatchEvent(new Event('compositionstart'));
    textarea.type('abç');
    other.insert(3, 'X');
    textarea.dispatchEvent(new Event('compositionend'));
    expect(text.toString()).toBe('abçX');
    expect(textarea.value).toBe('abçX');
  });

  test('without remote edits the composed text goes in as typed, and input after it still syncs', () => {
    const { text, textarea, unbind } = setUp('こ');
    textarea.dispatchEvent(new Event('compositionstart'));
    textarea.type('こんにちは');
    textarea.dispatchEvent(new Event('compositionend'));
    expect(text.toString()).toBe('こんにちは');
    textarea.type('こんにちは!');
    expect(text.toString()).toBe('こんにちは!');
    unbind();
    textarea.type('ignored');
    expect(text.toString()).toBe('こんにちは!');
  });
});
