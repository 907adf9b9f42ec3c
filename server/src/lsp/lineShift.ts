// Carrying an analysis of an older version of a document over the edits made since, line by line:
// while the newest version is analyzed, hints and hovers answer at once from the previous result,
// on the lines its code moved to.

import type { Analysis } from '../report/types';
import { sameFile } from './costs';
import { LineIndex } from './text';

/** One didChange event in lines (0-based): old lines start..end replaced by text with `added` line breaks. */
export interface LineEdit {
  readonly start: number;
  readonly end: number;
  readonly added: number;
  /** Old line `start` keeps code before the edit (else it moves with the text after the edit, or goes). */
  readonly headKept: boolean;
  /** Old line `end` has code after the edit: it lands on new line start + added. */
  readonly tailKept: boolean;
  /** The event replaced the whole text: nothing can be carried over it. */
  readonly whole: boolean;
}

/** The LineEdit of a change of `start`..`end` (offsets) in `text`, inserting `inserted`. */
export function lineEdit(index: LineIndex, startOffset: number, endOffset: number, inserted: string): LineEdit {
  const start = index.positionAt(startOffset);
  const end = index.positionAt(endOffset);
  let added = 0;
  for (let i = inserted.indexOf('\n'); i !== -1; i = inserted.indexOf('\n', i + 1)) added++;
  const head = index.lineText(start.line).slice(0, start.character);
  const tail = index.lineText(end.line).slice(end.character);
  const whole = startOffset === 0 && endOffset >= index.text.length && index.text.length > 0;
  return { start: start.line, end: end.line, added, headKept: head.trim() !== '', tailKept: tail.trim() !== '', whole };
}

/** The new 0-based line of old line `line` after `edit`, or null when its code was replaced. */
export function shiftLine(edit: LineEdit, line: number): number | null {
  if (line < edit.start) return line;
  if (line > edit.end) return line + edit.added - (edit.end - edit.start);
  if (line === edit.start && edit.headKept) return line;
  if (line === edit.end && edit.tailKept) return edit.start + edit.added;
  return null;
}

/**
 * `analysis` (of an older version of `file`) with its lines in `file` moved over `edits` (in
 * order); what an edit replaced is dropped. Other files' lines are left as they are.
 */
export function carryOver(analysis: Analysis, file: string, edits: readonly LineEdit[]): Analysis {
  if (edits.length === 0) return analysis;
  const move = (line1: number): number | null => {
    let line: number | null = line1 - 1;
    for (const e of edits) if ((line = shiftLine(e, line)) === null) return null;
    return line + 1;
  };
  const lines = analysis.lines.flatMap((c) => {
    if (!sameFile(c.file, file)) return [c];
    const line = move(c.line);
    return line === null ? [] : [{ ...c, line }];
  });
  let model = analysis.model;
  if (model && sameFile(model.file, file)) {
    const line = move(model.line);
    model = line === null ? null : { ...model, line };
  }
  return { ...analysis, lines, model };
}
