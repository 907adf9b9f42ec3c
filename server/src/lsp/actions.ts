// "Analyze this model…": a code action (on the note of a file whose model could not be chosen, or
// on any nn.Module class line) and, in a file whose model could not be chosen, a code lens
// "Analyze" on each module class. Both insert a filled-in `# memlens:` directive above the class, only when the user picks
// them; the inserted line is then what the analysis reads.

import { CodeAction, CodeActionKind, CodeLens, Diagnostic, TextDocumentEdit, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import type { SourceHost } from '../analysis';
import { isTooLarge } from '../python/parser';
export { FIT_BUDGET_COMMAND } from '../protocol';
import type { Analysis, AnalysisSettings, FixSuggestion } from '../report/types';
import { NO_MODEL_CODE } from './diagnostics';
import { ModuleClass, moduleClassesOfText, suggestDirective } from './modelClasses';
import type { OpenDocument } from './workspace';

/** The server command the "Analyze" lens runs: arguments [uri, class name]. */
export const ANALYZE_CLASS_COMMAND = 'memlens.analyzeClass';

const classCache = new WeakMap<OpenDocument, { version: number; classes: ModuleClass[] }>();

/** The module classes of a document's current text (read from the text, once per version; analysis runs in the worker). */
export function classesOf(doc: OpenDocument): ModuleClass[] {
  const hit = classCache.get(doc);
  if (hit && hit.version === doc.version) return hit.classes;
  const classes = isTooLarge(doc.text) ? [] : moduleClassesOfText(doc.text);
  classCache.set(doc, { version: doc.version, classes });
  return classes;
}

/** The edit that puts the directive for `cls` on the line above it (a directive elsewhere in the file is replaced). */
export function directiveEdit(doc: OpenDocument, cls: ModuleClass, settings: AnalysisSettings, host: SourceHost): WorkspaceEdit {
  const directive = suggestDirective(doc.file, doc.text, cls, settings, host);
  const edits: TextEdit[] = [];
  for (let line = 0; line < doc.lines.lineCount; line++) {
    if (/^\s*#\s*memlens:/.test(doc.lines.lineText(line))) edits.push(TextEdit.del({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }));
  }
  edits.push(TextEdit.insert({ line: cls.line, character: 0 }, `${directive}\n`));
  return { changes: { [doc.uri]: edits } };
}

/**
 * Code actions at `line`: on the no-model note, one per module class (the note's class first);
 * on a module class's line, that class.
 */
export function codeActions(doc: OpenDocument, line: number, context: readonly Diagnostic[]): CodeAction[] {
  const classes = classesOf(doc);
  if (!classes.length) return [];
  const note = context.find((d) => d.code === NO_MODEL_CODE);
  const here = classes.filter((c) => c.line === line);
  const picked = note ? [...classes.filter((c) => c.line === note.range.start.line), ...classes.filter((c) => c.line !== note.range.start.line)] : here;
  // The edit (an analysis of the class, to guess its input) is made when the user picks one: codeAction/resolve.
  return picked.slice(0, 6).map((cls, i) => ({
    title: picked.length > 1 || !note ? `Analyze this model… (${cls.name})` : 'Analyze this model…',
    kind: CodeActionKind.QuickFix,
    ...(note ? { diagnostics: [note] } : {}),
    isPreferred: i === 0 && !!note,
    data: { uri: doc.uri, className: cls.name, version: doc.version } satisfies ActionData,
  }));
}

export interface ActionData {
  uri: string;
  className: string;
  version: number;
}

/** codeAction/resolve: the directive edit of the action's class, for the document as it is now. */
export function resolveAction(action: CodeAction, doc: OpenDocument | undefined, settings: AnalysisSettings, host: SourceHost): CodeAction {
  const data = action.data as ActionData | undefined;
  const cls = doc && data ? classesOf(doc).find((c) => c.name === data.className) : undefined;
  if (!doc || !cls) return action;
  return { ...action, edit: directiveEdit(doc, cls, settings, host) };
}

/** "Analyze" on every module class of a file whose model could not be chosen (not of a file of parts). */
export function analyzeLenses(doc: OpenDocument, analysis: Analysis | null, parts: boolean): CodeLens[] {
  if (parts || analysis?.error?.code !== 'no-model' || analysis.stale) return [];
  return classesOf(doc).map((c) => ({
    range: doc.lines.lineRange(c.line),
    command: { title: 'Analyze', command: ANALYZE_CLASS_COMMAND, arguments: [doc.uri, c.name] },
  }));
}


/** A fix's edits as a versioned WorkspaceEdit: a client applies it only to the text it was computed for. */
export function fixEdit(doc: OpenDocument, fix: FixSuggestion): WorkspaceEdit {
  const edits = fix.edits.map((e) => TextEdit.replace({ start: { line: e.startLine, character: e.startCharacter }, end: { line: e.endLine, character: e.endCharacter } }, e.newText));
  return { documentChanges: [TextDocumentEdit.create({ uri: doc.uri, version: doc.version }, edits)] };
}

/**
 * Whether an analysis's fixes may be offered for the document as it is: made for this very
 * version, from its own text (not the last good result of a text that no longer builds).
 */
export function fixesApply(doc: OpenDocument, analysis: Analysis | null): analysis is Analysis & { fixes: FixSuggestion[] } {
  return !!analysis && !analysis.error && !analysis.stale && analysis.version === doc.version && !!analysis.fixes;
}

/**
 * The fixes on lines `first`..`last` (checkpoint a call, checkpoint_sequential, every call of a
 * class, autocast, the budget plan), largest saving first.
 */
export function fixActions(doc: OpenDocument, analysis: Analysis | null, first: number, last: number): CodeAction[] {
  if (!fixesApply(doc, analysis)) return [];
  return analysis.fixes
    .filter((f) => f.line >= first && f.line <= last)
    .sort((a, b) => (a.kind === 'plan' ? -1 : b.kind === 'plan' ? 1 : b.savedBytes - a.savedBytes))
    .map((f, i) => ({ title: f.title, kind: CodeActionKind.QuickFix, isPreferred: i === 0 && f.kind === 'plan', edit: fixEdit(doc, f) }));
}
