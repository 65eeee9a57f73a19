import { describe, expect, test } from 'vitest';
import * as Y from 'yjs';
import { diffText, transformIndex } from './notes-binding.ts';

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
