// Open documents kept parsed across incremental edits, and the analysis of each, computed lazily
// on the first request after a change and cached per (uri, version) under the current settings.

import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { analyzeSource, SourceHost } from '../analysis';
import { PythonEnvironment, isLibraryFile, resolveEnvironment } from '../engine/pythonEnv';
import { ParsedSource, TextChange } from '../python/parser';
import { Analysis } from '../report/types';
import { resolveSettings, ServerSettings } from './settings';
import { LineIndex } from './text';

export interface OpenDocument {
  readonly uri: string;
  /** The path the engine sees: the file system path for file: URIs, else the URI itself. */
  readonly file: string;
  version: number;
  source: ParsedSource;
  lines: LineIndex;
}

export function uriToFile(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

/**
 * LSP content changes → offsets for ParsedSource.update. Each change's range is relative to the
 * text left by the previous change (LSP 3.17, didChange), so offsets are taken step by step.
 */
export function toTextChanges(text: string, events: readonly TextDocumentContentChangeEvent[]): { changes: TextChange[]; text: string } {
  const changes: TextChange[] = [];
  let current = text;
  for (const e of events) {
    let change: TextChange;
    if ('range' in e && e.range) {
      const index = new LineIndex(current);
      const start = index.offsetAt(e.range.start);
      change = { start, end: Math.max(start, index.offsetAt(e.range.end)), text: e.text };
    } else {
      change = { start: 0, end: current.length, text: e.text };
    }
    changes.push(change);
    current = current.slice(0, change.start) + change.text + current.slice(change.end);
  }
  return { changes, text: current };
}

export class Workspace implements SourceHost {
  private readonly documents = new Map<string, OpenDocument>();
  private readonly analyses = new Map<string, { version: number; analysis: Analysis }>();
  /** The last analysis without a fatal error, per document, with the line count it was made for. */
  private readonly lastGood = new Map<string, { analysis: Analysis; lineCount: number }>();
  private settingsValue: ServerSettings = resolveSettings(undefined);
  /** Settings pulled for one document's scope (its folder's values), when the client can be asked. */
  private readonly documentSettings = new Map<string, ServerSettings>();
  /** Files each document's latest analysis read through readFile (its imports), by uri. */
  private readonly imports = new Map<string, Set<string>>();
  /** Collects readFile paths while an analysis runs. */
  private reading: Set<string> | null = null;
  /** Workspace folders (for a `.venv`), the client's interpreter and trust; the environment found from them. */
  private roots: string[] = [];
  private clientPython: string | null = null;
  private trusted = false;
  private env: PythonEnvironment | null = null;

  constructor(private readonly log: (message: string) => void) {}

  /** Where to look for the user's Python: workspace folders, the Python extension's choice, trust. */
  setEnvironmentSources(update: { roots?: readonly string[]; pythonPath?: string | null; trusted?: boolean }): void {
    if (update.roots !== undefined) this.roots = [...update.roots];
    if (update.pythonPath !== undefined) this.clientPython = update.pythonPath;
    if (update.trusted !== undefined) this.trusted = update.trusted;
    this.env = null;
    this.analyses.clear();
    this.lastGood.clear();
  }

  /** The Python environment installed libraries are read from (memlens.pythonPath first, then the client's). */
  get environment(): PythonEnvironment {
    if (!this.env) {
      this.env = resolveEnvironment({ pythonPath: this.settingsValue.pythonPath ?? this.clientPython, workspaceRoots: this.roots, trusted: this.trusted });
      this.log(`Python environment: ${this.env.python ?? 'none'} (${this.env.source}, search path read from ${this.env.how}): ${this.env.searchPaths.join(', ') || 'no package folders'}${this.env.notes.length ? `; ${this.env.notes.join('; ')}` : ''}`);
    }
    return this.env;
  }

  /** SourceHost: the environment's package folders. */
  get libraryPaths(): readonly string[] {
    return this.environment.searchPaths;
  }

  /** True for a file of an installed library: it is read for its importers, never analyzed or flagged itself. */
  isLibrary(uri: string): boolean {
    const doc = this.documents.get(uri);
    return !!doc && doc.file.startsWith('/') && isLibraryFile(doc.file, this.libraryPaths);
  }

  get settings(): ServerSettings {
    return this.settingsValue;
  }

  /** New settings invalidate every analysis (and the environment, when the interpreter setting changed). */
  set settings(s: ServerSettings) {
    if (s.pythonPath !== this.settingsValue.pythonPath) this.env = null;
    this.settingsValue = s;
    this.analyses.clear();
    this.lastGood.clear();
  }

  /** The settings `uri` is analyzed with: its folder's, else the workspace-wide ones. */
  settingsOf(uri: string): ServerSettings {
    return this.documentSettings.get(uri) ?? this.settingsValue;
  }

  /** Settings resolved for `uri`'s scope (workspace/configuration with its scopeUri); drops its analysis. */
  setDocumentSettings(uri: string, s: ServerSettings): void {
    this.documentSettings.set(uri, s);
    this.analyses.delete(uri);
    this.lastGood.delete(uri);
  }

  get(uri: string): OpenDocument | undefined {
    return this.documents.get(uri);
  }

  uris(): string[] {
    return [...this.documents.keys()];
  }

  open(uri: string, text: string, version: number): OpenDocument {
    this.documents.get(uri)?.source.dispose();
    const doc: OpenDocument = { uri, file: uriToFile(uri), version, source: new ParsedSource(text), lines: new LineIndex(text) };
    this.documents.set(uri, doc);
    this.invalidate();
    return doc;
  }

  change(uri: string, version: number, events: readonly TextDocumentContentChangeEvent[]): OpenDocument | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const { changes, text } = toTextChanges(doc.source.text, events);
    try {
      doc.source.update(changes);
    } catch (e) {
      this.log(`incremental reparse of ${uri} failed (${(e as Error).message}); parsing it whole`);
      doc.source.dispose();
      doc.source = new ParsedSource(text);
    }
    doc.version = version;
    doc.lines = new LineIndex(doc.source.text);
    this.invalidate();
    return doc;
  }

  close(uri: string): void {
    this.documents.get(uri)?.source.dispose();
    this.documents.delete(uri);
    this.documentSettings.delete(uri);
    this.lastGood.delete(uri);
    this.imports.delete(uri);
    this.invalidate();
  }

  /** Any edit may change a file that other open documents import: drop every analysis. */
  private invalidate(): void {
    this.analyses.clear();
  }

  /** The analysis of an open document at its current version, computed on first use. */
  analysis(uri: string): Analysis | null {
    const doc = this.documents.get(uri);
    if (!doc || this.isLibrary(uri)) return null;
    const cached = this.analyses.get(uri);
    if (cached && cached.version === doc.version) return cached.analysis;
    const read = new Set<string>();
    this.reading = read;
    let analysis: Analysis;
    try {
      analysis = analyzeSource(doc.file, doc.source, this.settingsOf(uri).analysis, this);
    } finally {
      this.reading = null;
    }
    this.imports.set(uri, read);
    const good = this.lastGood.get(uri);
    if (!analysis.error) this.lastGood.set(uri, { analysis, lineCount: doc.lines.lineCount });
    else if (good && good.lineCount === doc.lines.lineCount) {
      // Mid-edit (`width=` half typed): keep showing the last good numbers, which still sit on the
      // same lines, alongside the problem that stops the new analysis.
      analysis = { ...good.analysis, error: analysis.error, stale: true };
    }
    this.analyses.set(uri, { version: doc.version, analysis });
    return analysis;
  }

  /**
   * Open documents whose latest analysis read `uri`'s file (imported it, directly or through
   * another file): an edit to `uri` changes their results too.
   */
  importers(uri: string): string[] {
    const doc = this.documents.get(uri);
    return doc ? this.importersOfFile(doc.file) : [];
  }

  /** Open documents (other than `file` itself) whose last analysis read `file`. */
  importersOfFile(file: string): string[] {
    const wanted = path.resolve(file);
    return [...this.imports].filter(([other, read]) => this.documents.has(other) && path.resolve(this.documents.get(other)!.file) !== wanted && read.has(wanted)).map(([other]) => other);
  }

  /** A file changed on disk (checkout, another editor): every analysis may have read it. */
  fileChangedOnDisk(): void {
    this.invalidate();
  }

  /** SourceHost: imported files come from open editors first, else from disk. */
  readFile(absPath: string): string | undefined {
    const wanted = path.resolve(absPath);
    this.reading?.add(wanted);
    for (const doc of this.documents.values()) if (path.resolve(doc.file) === wanted) return doc.source.text;
    try {
      return fs.readFileSync(wanted, 'utf8');
    } catch {
      return undefined;
    }
  }
}
