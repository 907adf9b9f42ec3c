// LSP positions → offsets, and didChange events → ParsedSource changes (LSP applies each change to
// the text the previous one left).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineIndex } from '../../server/src/lsp/text';
import { toTextChanges } from '../../server/src/lsp/workspace';

const at = (line: number, character: number) => ({ line, character });

describe('LineIndex', () => {
  const cases: [string, string, [number, number], number][] = [
    ['LF', 'ab\ncd\n', [1, 1], 4],
    ['CRLF', 'ab\r\ncd\r\n', [1, 1], 5],
    ['CR', 'ab\rcd', [1, 2], 5],
    ['past the line end clamps to it', 'ab\ncd', [0, 99], 2],
    ['past the last line clamps to the end', 'ab\ncd', [7, 0], 5],
    ['UTF-16 units: an emoji is two', 'é😀x\ny', [0, 3], 3],
  ];
  for (const [what, text, [line, character], offset] of cases) {
    test(`offsetAt: ${what}`, () => {
      const index = new LineIndex(text);
      assert.equal(index.offsetAt(at(line, character)), offset);
    });
  }

  test('positionAt inverts offsetAt on every offset', () => {
    const index = new LineIndex('a\r\nbc\n\nd');
    for (let o = 0; o <= index.text.length; o++) {
      if (index.text[o - 1] === '\r' && index.text[o] === '\n') continue; // between \r and \n: not a position
      assert.equal(index.offsetAt(index.positionAt(o)), o, `offset ${o}`);
    }
  });

  test('line text, end and range without the break and the indentation', () => {
    const index = new LineIndex('x\r\n    y = 1  \r\n');
    assert.equal(index.lineCount, 3);
    assert.equal(index.lineText(1), '    y = 1  ');
    assert.deepEqual(index.lineRange(1), { start: at(1, 4), end: at(1, 9) });
    assert.equal(index.lineText(2), '');
  });
});

describe('toTextChanges', () => {
  const cases: [string, string, Parameters<typeof toTextChanges>[1], string][] = [
    ['one insertion', 'ab\ncd', [{ range: { start: at(1, 1), end: at(1, 1) }, text: 'X' }], 'ab\ncXd'],
    [
      'the second range is in the text left by the first',
      'hidden=256\n',
      [
        { range: { start: at(0, 0), end: at(0, 0) }, text: '# c\n' },
        { range: { start: at(1, 7), end: at(1, 10) }, text: '64' },
      ],
      '# c\nhidden=64\n',
    ],
    ['a deletion across lines', 'a\nb\nc', [{ range: { start: at(0, 1), end: at(2, 0) }, text: '' }], 'ac'],
    ['a full-text change', 'old', [{ text: 'new text' }], 'new text'],
    ['CRLF text', 'a\r\nb', [{ range: { start: at(1, 0), end: at(1, 1) }, text: 'c' }], 'a\r\nc'],
  ];
  for (const [what, text, events, expected] of cases) {
    test(what, () => {
      const { changes, text: result } = toTextChanges(text, events);
      assert.equal(result, expected);
      // Replaying the offsets gives the same text.
      const replayed = changes.reduce((t, c) => t.slice(0, c.start) + c.text + t.slice(c.end), text);
      assert.equal(replayed, expected);
    });
  }
});
