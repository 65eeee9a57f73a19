import { describe, expect, it } from 'vitest';
import { docNameFromPath, docNameProblem, MAX_DOC_NAME_LENGTH } from './doc-name.ts';

describe('document names', () => {
  it('accepts ordinary names, including segments', () => {
    for (const name of ['a', 'board-42', 'team/board_1', 'user@example.com:notes', 'v1.2~draft', 'x'.repeat(256)]) {
      expect(docNameProblem(name)).toBeUndefined();
    }
  });

  it('rejects traversal, empty segments, control and odd characters, and long names', () => {
    const bad = [
      '',
      '..',
      '.',
      'a/../b',
      '/a',
      'a/',
      'a//b',
      'a\0b',
      'a b',
      'a\\b',
      'ａｂ',
      'x'.repeat(MAX_DOC_NAME_LENGTH + 1),
    ];
    for (const name of bad) expect(docNameProblem(name), JSON.stringify(name)).toBeTypeOf('string');
  });

  it('decodes the name from a URL path, once', () => {
    expect(docNameFromPath('/board%2F1?weft=ack')).toBe('board/1');
    expect(docNameFromPath('/collab/notes', '/collab')).toBe('notes');
    expect(() => docNameFromPath('/%2e%2e')).toThrow(/not allowed/);
    expect(() => docNameFromPath('/%2e%2e%2fetc')).toThrow(/not allowed/);
    expect(() => docNameFromPath('/%E0%A4%A')).toThrow(/percent/);
    expect(() => docNameFromPath('/other/x', '/collab/')).toThrow(/start with/);
  });
});
