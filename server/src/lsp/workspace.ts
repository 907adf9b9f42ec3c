// Open documents and the analysis of each. Analyses run in the analysis worker (analyzer.ts), one
// at a time, newest version first; requests never run one: they read the last result, carried
// over the edits made since (lineShift.ts), and wait only when there is none to carry.

import * as path from 'path';
import { fileURLToPath } from 'url';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { PythonEnvironment, isLibraryFile, resolveEnvironment } from '../engine/pythonEnv';
import type { TextChange } from '../python/parser';
import type { Analysis, AnalysisSettings } from '../report/types';
import { AnalysisOutcome, Analyzer } from './analyzer';
import { Suggestions, withSuggestions } from '../analysis';
import { carryOver, LineEdit, lineEdit } from './lineShift';
import { resolveSettings, ServerSettings } from './settings';
import { LineIndex } from './text';

export interface OpenDocument {
  readonly uri: string;
  /** The path the engine sees: the file system path for file: URIs, else the URI itself. */
  readonly file: string;
  version: number;
  text: string;
  lines: LineIndex;
  /** Bumped by every change that can change its analysis: its text, an import's, the settings, the disk. */
  revision: number;
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
 * LSP content changes → offsets (and line moves). Each change's range is relative to the text left
 * by the previous change (LSP 3.17, didChange), so offsets are taken step by step.
 */
export function toTextChanges(text: string, events: readonly TextDocumentContentChangeEvent[]): { changes: TextChange[]; edits: LineEdit[]; text: string } {
  const changes: TextChange[] = [];
  const edits: LineEdit[] = [];
  let current = text;
  for (const e of events) {
    const index = new LineIndex(current);
    let change: TextChange;
    if ('range' in e && e.range) {
      const start = index.offsetAt(e.range.start);
      change = { start, end: Math.max(start, index.offsetAt(e.range.end)), text: e.text };
    } else {
      change = { start: 0, end: current.length, text: e.text };
    }
    changes.push(change);
    edits.push(lineEdit(index, change.start, change.end, change.text));
    current = current.slice(0, change.start) + change.text + current.slice(change.end);
  }
  return { changes, edits, text: current };
}

/** Edits remembered for carrying a result over; past this, a result is no longer carried (it is replaced soon). */
const MAX_EDITS_KEPT = 1000;

/** A finished analysis of one document. */
interface Result {
  /** Document version and revision it was made for. */
  version: number;
  revision: number;
  /** Settings generation it was made under. */
  generation: number;
  analysis: Analysis;
  /** The analysis job that made it (its suggestions come later under this id). */
  job: number;
}

/** How long the what-if worker stays after the view's last what-if. */
const WHAT_IF_IDLE_MS = 60_000;

export class Workspace {
  private readonly documents = new Map<string, OpenDocument>();
  /** The newest result per document: of its current revision, or the one carried until that lands. */
  private readonly results = new Map<string, Result>();
  /** Line moves of each document's edits since its result's version, by the version they made. */
  private readonly edits = new Map<string, { version: number; edits: LineEdit[] }[]>();
  /** The last result carried to the current version, per document (requests come in threes). */
  private readonly carried = new Map<string, { version: number; result: Result; analysis: Analysis }>();
  /** The last analysis without a fatal error, per document, with the line count it was made for. */
  private readonly lastGood = new Map<string, { analysis: Analysis; lineCount: number }>();
  private settingsValue: ServerSettings = resolveSettings(undefined);
  /** Settings pulled for one document's scope (its folder's values), when the client can be asked. */
  private readonly documentSettings = new Map<string, ServerSettings>();
  /** Bumped when settings or the environment change: older results describe other settings. */
  private generation = 0;
  private clock = 0;
  /** Files each document's latest analysis read (its imports), by uri. */
  private readonly imports = new Map<string, Set<string>>();
  /** Documents to analyze, oldest request first. */
  private readonly dirty = new Set<string>();
  /** The document edited or opened last: analyzed first. */
  private latest: string | null = null;
  private running: { uri: string; revision: number } | null = null;
  private pumping = false;
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly analyzer: Analyzer;
  /** The timeline view's what-if analyses: their own worker, started on demand, ended when idle. */
  private whatIfAnalyzer: Analyzer | null = null;
  private whatIfIdle: NodeJS.Timeout | undefined;
  private whatIfLatest = 0;
  private whatIfChain: Promise<unknown> = Promise.resolve();
  /** Workspace folders (for a `.venv`), the client's interpreter and trust; the environment found from them. */
  private roots: string[] = [];
  private clientPython: string | null = null;
  private trusted = false;
  private env: PythonEnvironment | null = null;

  /**
   * Documents whose current result still waits for its budget plan (`planning`) or for all its
   * fixes (`completing`: those that analyze the model again come last), and who waits on them.
   */
  private readonly planning = new Map<string, (() => void)[]>();
  private readonly completing = new Map<string, (() => void)[]>();

  /**
   * `landed` hears of each result of a document's current revision (to publish it); `suggested`,
   * of the fixes and budget plan attached to it later (to refresh the lenses).
   */
  constructor(
    private readonly log: (message: string) => void,
    private readonly landed: (uri: string) => void = () => undefined,
    private readonly suggested: (uri: string) => void = () => undefined,
  ) {
    this.analyzer = new Analyzer(log, (id, s, stage) => this.attachSuggestions(id, s, stage));
  }

  /** The second phase of a job: attached to the document's result when that is still the job's. */
  private attachSuggestions(id: number, s: Suggestions | null, stage: 1 | 2 | 3): void {
    for (const [uri, r] of this.results) {
      if (r.job !== id) continue;
      if (s && !r.analysis.error && !r.analysis.stale) {
        r.analysis = withSuggestions({ ...r.analysis, report: { ...r.analysis.report } }, s);
        this.carried.delete(uri);
      }
      // A stopped phase (null) ends every wait; stage 1 brings the fixes, 2 the plan, 3 the rest.
      const ended = !s || stage === 3 ? [this.planning, this.completing] : stage === 2 ? [this.planning] : [];
      for (const waits of ended) {
        const waiting = waits.get(uri);
        waits.delete(uri);
        for (const w of waiting ?? []) w();
      }
      if (s) this.suggested(uri);
    }
  }

  /**
   * Resolves once `uri`'s current result has its suggestions (or will not get them), or after
   * `timeoutMs`: code actions and "Fit the budget" answer from them.
   */
  async suggestionsSettled(uri: string, timeoutMs: number): Promise<void> {
    await this.settled(uri, timeoutMs);
    await this.waitOn(this.planning, uri, timeoutMs);
  }

  /** Resolves once every fix of the current result is attached (or will not come), or after `timeoutMs`. */
  allFixesOfCurrent(uri: string, timeoutMs: number): Promise<void> {
    return this.waitOn(this.completing, uri, timeoutMs);
  }

  private async waitOn(waits: Map<string, (() => void)[]>, uri: string, timeoutMs: number): Promise<void> {
    if (!waits.has(uri) || !this.current(uri)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      waits.get(uri)?.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Where to look for the user's Python: workspace folders, the Python extension's choice, trust. */
  setEnvironmentSources(update: { roots?: readonly string[]; pythonPath?: string | null; trusted?: boolean }): void {
    if (update.roots !== undefined) this.roots = [...update.roots];
    if (update.pythonPath !== undefined) this.clientPython = update.pythonPath;
    if (update.trusted !== undefined) this.trusted = update.trusted;
    this.env = null;
    this.newGeneration();
  }

  /** The Python environment installed libraries are read from (memlens.pythonPath first, then the client's). */
  get environment(): PythonEnvironment {
    if (!this.env) {
      this.env = resolveEnvironment({ pythonPath: this.settingsValue.pythonPath ?? this.clientPython, workspaceRoots: this.roots, trusted: this.trusted });
      this.log(`Python environment: ${this.env.python ?? 'none'} (${this.env.source}, search path read from ${this.env.how}): ${this.env.searchPaths.join(', ') || 'no package folders'}${this.env.notes.length ? `; ${this.env.notes.join('; ')}` : ''}`);
    }
    return this.env;
  }

  /** The onnxruntime-node package the profiler loads (the client's CUDA-capable copy), or null: the bundled one. */
  onnxRuntime: string | null = null;

  /** Whether the client says the workspace is trusted (profiling runs only then). */
  get isTrusted(): boolean {
    return this.trusted;
  }

  /** Every open document's text by file (what an analysis outside the worker reads first). */
  documentTexts(): Map<string, string> {
    const texts = new Map<string, string>();
    for (const d of this.documents.values()) texts.set(path.resolve(d.file), d.text);
    return texts;
  }

  /** The environment's package folders. */
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

  /** New settings make every analysis again (and find the environment again, when the interpreter setting changed). */
  set settings(s: ServerSettings) {
    if (s.pythonPath !== this.settingsValue.pythonPath) this.env = null;
    this.settingsValue = s;
    this.newGeneration();
  }

  /** The settings `uri` is analyzed with: its folder's, else the workspace-wide ones. */
  settingsOf(uri: string): ServerSettings {
    return this.documentSettings.get(uri) ?? this.settingsValue;
  }

  /** Settings resolved for `uri`'s scope (workspace/configuration with its scopeUri): analyzed again when they differ. */
  setDocumentSettings(uri: string, s: ServerSettings): void {
    const before = this.documentSettings.get(uri);
    this.documentSettings.set(uri, s);
    if (before && JSON.stringify(before) === JSON.stringify(s)) return;
    // Its result was made under other settings: not carried, analyzed again.
    this.results.delete(uri);
    this.carried.delete(uri);
    this.lastGood.delete(uri);
    this.markDirty(uri);
    this.pump();
  }

  get(uri: string): OpenDocument | undefined {
    return this.documents.get(uri);
  }

  uris(): string[] {
    return [...this.documents.keys()];
  }

  open(uri: string, text: string, version: number): OpenDocument {
    const doc: OpenDocument = { uri, file: uriToFile(uri), version, text, lines: new LineIndex(text), revision: 0 };
    this.documents.set(uri, doc);
    this.results.delete(uri);
    this.edits.delete(uri);
    this.lastGood.delete(uri);
    this.touch(uri);
    return doc;
  }

  change(uri: string, version: number, events: readonly TextDocumentContentChangeEvent[]): OpenDocument | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const { edits, text } = toTextChanges(doc.text, events);
    doc.text = text;
    doc.version = version;
    doc.lines = new LineIndex(text);
    const log = this.edits.get(uri) ?? [];
    // Kept until a result of a later version lands; a result that never comes (a library file) caps it.
    if (log.length >= MAX_EDITS_KEPT) log.splice(0, log.length, { version, edits: [{ start: 0, end: 0, added: 0, headKept: false, tailKept: false, whole: true }] });
    else log.push({ version, edits });
    this.edits.set(uri, log);
    this.touch(uri);
    return doc;
  }

  close(uri: string): void {
    const importers = this.importers(uri);
    this.documents.delete(uri);
    for (const map of [this.results, this.edits, this.carried, this.lastGood, this.imports, this.documentSettings]) map.delete(uri);
    this.dirty.delete(uri);
    if (this.running?.uri === uri) this.analyzer.supersede();
    // Importers read the file from disk again once its editor closes.
    for (const other of importers) this.markDirty(other);
    this.wake(uri);
    this.pump();
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

  /** Files changed on disk (checkout, another editor): any analysis may have read one, or looked for it. */
  fileChangedOnDisk(): void {
    for (const uri of this.documents.keys()) this.markDirty(uri);
    this.pump();
  }

  /** The result of `uri`'s current text and settings, or null until it lands. */
  current(uri: string): Analysis | null {
    const doc = this.documents.get(uri);
    const r = this.results.get(uri);
    return doc && r && r.revision === doc.revision ? r.analysis : null;
  }

  /**
   * The analysis to answer requests with at once: the current one, else the last result moved
   * over the edits made since. Null when there is none to carry: the document was just opened or
   * replaced whole, or the result was made under other settings (unless `anySettings`).
   */
  latestFor(uri: string, anySettings = false): Analysis | null {
    const doc = this.documents.get(uri);
    const r = this.results.get(uri);
    if (!doc || !r || (r.generation !== this.generation && !anySettings)) return null;
    if (r.version === doc.version) return r.analysis;
    const hit = this.carried.get(uri);
    if (hit && hit.version === doc.version && hit.result === r) return hit.analysis;
    const since = (this.edits.get(uri) ?? []).filter((e) => e.version > r.version).flatMap((e) => e.edits);
    if (since.some((e) => e.whole)) return null;
    const analysis = carryOver(r.analysis, doc.file, since);
    this.carried.set(uri, { version: doc.version, result: r, analysis });
    return analysis;
  }

  /** Resolves once `uri`'s current revision is analyzed (or closed), or after `timeoutMs`. */
  settled(uri: string, timeoutMs: number): Promise<void> {
    if (!this.documents.has(uri) || this.current(uri) || this.isLibrary(uri)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const list = this.waiters.get(uri);
        if (list) list.splice(list.indexOf(done), 1);
        resolve();
      }, timeoutMs);
      this.waiters.set(uri, [...(this.waiters.get(uri) ?? []), done]);
      // What a request waits on runs next: another document's analysis steps aside (and runs again after).
      const other = this.running?.uri;
      if (other !== undefined && other !== uri) {
        this.dirty.add(other);
        this.analyzer.supersede();
      }
      this.pump();
    });
  }

  /** Stops the worker (the server is exiting). */
  dispose(): void {
    this.analyzer.dispose();
    this.endWhatIf();
  }

  /** `uri` changed (opened, edited): it and the documents importing it are analyzed again, it first. */
  private touch(uri: string): void {
    this.latest = uri;
    this.markDirty(uri);
    for (const other of this.importers(uri)) this.markDirty(other);
    this.pump();
  }

  private newGeneration(): void {
    this.generation++;
    this.lastGood.clear();
    for (const uri of this.documents.keys()) this.markDirty(uri);
    this.pump();
  }

  private markDirty(uri: string): void {
    const doc = this.documents.get(uri);
    if (!doc) return;
    doc.revision = ++this.clock;
    this.dirty.delete(uri);
    this.dirty.add(uri);
    if (this.running?.uri === uri) this.analyzer.supersede();
  }

  private wake(uri: string): void {
    const list = this.waiters.get(uri);
    if (!list) return;
    this.waiters.delete(uri);
    for (const w of list) w();
  }

  /** Starts the next analysis when the worker is free: a document someone waits on, the latest edited, then in order. */
  private pump(): void {
    if (this.pumping || this.running || this.dirty.size === 0) return;
    this.pumping = true;
    // After the queued notifications: a burst of didChange is analyzed once, at its last version.
    setImmediate(() => {
      this.pumping = false;
      try {
        this.startNext();
      } catch (e) {
        this.log(`starting an analysis failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    });
  }

  private startNext(): void {
    if (this.running) return;
    const queue = [...this.dirty];
    const uri = queue.find((u) => this.waiters.has(u)) ?? (this.latest && this.dirty.has(this.latest) ? this.latest : queue[0]);
    if (uri === undefined) return;
    this.dirty.delete(uri);
    const doc = this.documents.get(uri);
    if (!doc || this.isLibrary(uri)) {
      this.wake(uri);
      return this.pump();
    }
    const texts = new Map<string, string>();
    for (const d of this.documents.values()) texts.set(d.file, d.text);
    const job = { uri, version: doc.version, revision: doc.revision, generation: this.generation, lineCount: doc.lines.lineCount };
    this.running = { uri, revision: doc.revision };
    this.analyzer
      .run(doc.file, texts, this.settingsOf(uri).analysis, this.libraryPaths)
      .then((outcome) => this.land(job, outcome))
      .catch((e: unknown) => this.log(`analysis of ${uri} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
      .finally(() => {
        this.running = null;
        this.pump();
      });
  }

  private land(job: { uri: string; version: number; revision: number; generation: number; lineCount: number }, outcome: AnalysisOutcome | null): void {
    const doc = this.documents.get(job.uri);
    if (!outcome || !doc || job.generation !== this.generation) return;
    this.imports.set(job.uri, new Set(outcome.read));
    // Stamped with the version it analyzed: fixes' edits are made for that text only.
    let analysis: Analysis = { ...outcome.analysis, version: job.version };
    const good = this.lastGood.get(job.uri);
    if (!analysis.error) this.lastGood.set(job.uri, { analysis, lineCount: job.lineCount });
    else if (good && good.lineCount === job.lineCount) {
      // Mid-edit (`width=` half typed): keep showing the last good numbers, which still sit on the
      // same lines, alongside the problem that stops the new analysis.
      analysis = { ...good.analysis, error: analysis.error, stale: true };
    }
    // Finished although superseded: still the newest numbers to carry until the next one lands.
    this.results.set(job.uri, { version: job.version, revision: job.revision, generation: job.generation, analysis, job: outcome.id });
    // Its fixes and budget plan follow (the worker's second phase), when it has numbers of its own.
    for (const waits of [this.planning, this.completing]) {
      const waiting = waits.get(job.uri);
      if (!analysis.error) waits.set(job.uri, waiting ?? []);
      else if (waiting) {
        waits.delete(job.uri);
        for (const w of waiting) w();
      }
    }
    this.carried.delete(job.uri);
    const log = this.edits.get(job.uri);
    if (log) this.edits.set(job.uri, log.filter((e) => e.version > job.version));
    if (job.revision !== doc.revision) return;
    this.wake(job.uri);
    this.landed(job.uri);
  }

  /** Starts the what-if worker (the view opened: its first what-if should not wait for a cold start). */
  warmWhatIf(): void {
    if (this.whatIfAnalyzer) return;
    this.whatIfWorker().warm();
    this.idleWhatIf();
  }

  /**
   * The document's current text analyzed at `settings` (numbers only), in the what-if worker; a
   * newer what-if stops this one (null). The user's settings and the document's results stay as they are.
   */
  whatIf(uri: string, settings: AnalysisSettings): Promise<Analysis | null> {
    const ticket = ++this.whatIfLatest;
    const analyzer = this.whatIfWorker();
    if (analyzer.busy) analyzer.supersede();
    const run = this.whatIfChain.then(async (): Promise<Analysis | null> => {
      const doc = this.documents.get(uri);
      if (ticket !== this.whatIfLatest || !doc) return null;
      const texts = new Map<string, string>();
      for (const d of this.documents.values()) texts.set(d.file, d.text);
      const outcome = await analyzer.run(doc.file, texts, settings, this.libraryPaths);
      this.idleWhatIf();
      return outcome ? { ...outcome.analysis, version: doc.version } : null;
    });
    this.whatIfChain = run.catch(() => null);
    return run;
  }

  private whatIfWorker(): Analyzer {
    return (this.whatIfAnalyzer ??= new Analyzer((m) => this.log(`what-if: ${m}`), undefined, true));
  }

  /** The what-if worker's memory goes back a minute after its last use. */
  private idleWhatIf(): void {
    if (this.whatIfIdle) clearTimeout(this.whatIfIdle);
    this.whatIfIdle = setTimeout(() => {
      if (this.whatIfAnalyzer?.busy) return this.idleWhatIf();
      this.endWhatIf();
    }, WHAT_IF_IDLE_MS);
    this.whatIfIdle.unref?.();
  }

  private endWhatIf(): void {
    if (this.whatIfIdle) clearTimeout(this.whatIfIdle);
    this.whatIfIdle = undefined;
    this.whatIfAnalyzer?.dispose();
    this.whatIfAnalyzer = null;
  }
}
