// The language server: binds LSP messages to the workspace and the pure feature modules. Every
// handler is guarded: bad input is logged to the client's console and answered empty, never a crash.

import {
  ClientCapabilities,
  CodeAction,
  CodeActionKind,
  Connection,
  DidChangeConfigurationNotification,
  InitializeResult,
  MessageType,
  ProposedFeatures,
  ShowMessageNotification,
  TextDocumentSyncKind,
  createConnection,
} from 'vscode-languageserver/node';
import * as fs from 'fs';
import * as path from 'path';
import { inspect } from 'util';
import type { SourceHost } from '../analysis';
import { ENVIRONMENT_NOTIFICATION, EnvironmentParams, PROFILE_REQUEST, ProfileParams, ProfileResult, REPORT_REQUEST, ReportParams, ReportResult, SUMMARY_NOTIFICATION, SummaryParams, TIMELINE_REQUEST, TimelineParams, TimelineResult } from '../protocol';
import { LoweringError, PythonProfile, profilePython } from '../profile/python';
import { endProfilers, findingOf } from '../profile/run';
import { OnnxInputError, profileOnnxFile, renderOnnxTable, reportOnnxFile } from '../profile/onnxFile';
import type { OnnxParams, OnnxResult, ServerRequests } from '../../../protocol/messages';
import { readRegularFile } from '../interpreter/files';
import { renderTable } from '../report/table';
import { controlsOf, planOffer, timelineData, whatIfSettings } from '../report/view';
import { loadPythonParser } from '../python/parser';
import type { Analysis } from '../report/types';
import { formatBytes } from '../report/units';
import { ANALYZE_CLASS_COMMAND, FIT_BUDGET_COMMAND, analyzeLenses, classesOf, codeActions, directiveEdit, fixActions, fixEdit, fixesApply, resolveAction } from './actions';
import { codeLenses } from './codeLens';
import { lineCostsIn } from './costs';
import { diagnostics } from './diagnostics';
import { hover } from './hover';
import { inlayHints } from './inlayHints';
import { importedBySibling } from './modelClasses';
import { ANALYSIS_PROGRESS_DELAY_MS, AnalysisProgress } from './progress';
import { resolveSettings, ServerSettings, SettingsWarnings } from './settings';
import { documentSummary } from './summary';
import { OpenDocument, Workspace, uriToFile } from './workspace';

interface ClientSupport {
  configuration: boolean;
  dynamicConfiguration: boolean;
  inlayHintRefresh: boolean;
  codeLensRefresh: boolean;
  workDoneProgress: boolean;
}

function clientSupport(c: ClientCapabilities): ClientSupport {
  return {
    configuration: !!c.workspace?.configuration,
    dynamicConfiguration: !!c.workspace?.didChangeConfiguration?.dynamicRegistration,
    inlayHintRefresh: !!c.workspace?.inlayHint?.refreshSupport,
    codeLensRefresh: !!c.workspace?.codeLens?.refreshSupport,
    workDoneProgress: !!c.window?.workDoneProgress,
  };
}

/** Runs the server on stdin/stdout until the client sends `exit`. */
export function startLanguageServer(): void {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  // stdout carries the protocol: anything printed with console.* goes to the client's log instead.
  const toLog = (...args: unknown[]): void => connection.console.log(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '));
  console.log = console.info = console.warn = console.error = console.debug = toLog;
  // Handlers are guarded; this is the net under anything asynchronous that still throws.
  process.on('uncaughtException', (e) => connection.console.error(`memlens: uncaught ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => connection.console.error(`memlens: unhandled rejection ${String(e)}`));
  bindServer(connection);
  connection.listen();
}

/**
 * How long hints, hovers and lenses of a document with no result to carry (just opened, replaced
 * whole, new settings) wait for its analysis before answering with what there is.
 */
const FIRST_RESULT_WAIT_MS = 3000;
/** How long memlens/timeline waits for the current text's numbers before answering with the last ones. */
const TIMELINE_WAIT_MS = 5000;
/** How long memlens/report waits for the analysis of the document's current version. */
const REPORT_WAIT_MS = 60_000;
/** How long a code action request waits for the fixes of the current text (they follow its numbers). */
const SUGGESTIONS_WAIT_MS = 3000;
/** How long a code lens request waits for the current text's numbers, then for its budget plan (each). */
const LENS_PLAN_WAIT_MS = 1500;

export function bindServer(connection: Connection): void {
  const log = (message: string): void => connection.console.error(`memlens: ${message}`);
  let support: ClientSupport = { configuration: false, dynamicConfiguration: false, inlayHintRefresh: false, codeLensRefresh: false, workDoneProgress: false };
  // A first analysis still running after the delay is announced (MEMLENS_PROGRESS_DELAY_MS: tests).
  const delay = Number(process.env.MEMLENS_PROGRESS_DELAY_MS ?? ANALYSIS_PROGRESS_DELAY_MS);
  const progress = new AnalysisProgress(connection, log, Number.isFinite(delay) && delay >= 0 ? delay : ANALYSIS_PROGRESS_DELAY_MS);
  const warnings = new SettingsWarnings();

  function guard<A extends unknown[], R>(name: string, fallback: R, handler: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      try {
        return handler(...args);
      } catch (e) {
        log(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return fallback;
      }
    };
  }

  function guardAsync<A extends unknown[], R>(name: string, fallback: R, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A): Promise<R> => {
      try {
        return await handler(...args);
      } catch (e) {
        log(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return fallback;
      }
    };
  }

  /** Editors ask again for hints and lenses when told to (the worker analyzes one document at a time: one refresh per result). */
  function refresh(): void {
    if (support.inlayHintRefresh) void connection.languages.inlayHint.refresh().catch((e: unknown) => log(`inlay hint refresh failed: ${String(e)}`));
    if (support.codeLensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch((e: unknown) => log(`code lens refresh failed: ${String(e)}`));
  }

  /**
   * A new result of a document's current text: its diagnostics and status bar figures, and the
   * editor asked to read hints and lenses again.
   */
  const publish = guard('publishing diagnostics', undefined, (uri: string) => {
    const doc = workspace.get(uri);
    const analysis = workspace.current(uri);
    if (!doc || !analysis) return;
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: diagnostics(analysis, doc.file, doc.lines, partsFile(uri) ? [] : classesOf(doc)) });
    void connection.sendNotification(SUMMARY_NOTIFICATION, { uri, version: doc.version, summary: documentSummary(analysis) } satisfies SummaryParams);
    refresh();
  });

  // Fixes and the budget plan arrive after a result's numbers: the lenses are read again.
  const workspace = new Workspace(log, publish, () => refresh());

  /** Files as the editor has them (open documents first), for analyses run on this thread (a directive's input guess). */
  const host: SourceHost = {
    readFile(p: string): string | undefined {
      const wanted = path.resolve(p);
      for (const uri of workspace.uris()) {
        const d = workspace.get(uri);
        if (d && path.resolve(d.file) === wanted) return d.text;
      }
      try {
        return fs.statSync(wanted).isFile() ? fs.readFileSync(wanted, 'utf8') : undefined;
      } catch {
        return undefined;
      }
    },
    get libraryPaths() {
      return workspace.libraryPaths;
    },
  };

  /** An installed library's file opened to read it: no analysis, no diagnostics and no figures of its own. */
  function clearIfLibrary(uri: string): void {
    const doc = workspace.get(uri);
    if (!doc || !workspace.isLibrary(uri)) return;
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: [] });
    void connection.sendNotification(SUMMARY_NOTIFICATION, { uri, version: doc.version, summary: null } satisfies SummaryParams);
  }

  /** A file of layer parts: its classes are imported by an open document or a file beside it. */
  function partsFile(uri: string): boolean {
    const doc = workspace.get(uri);
    return !!doc && (workspace.importers(uri).length > 0 || importedBySibling(doc.file));
  }

  /**
   * The analysis requests answer from, at once: the last result, carried over the edits since.
   * Only a document with none to carry waits for its analysis (bounded).
   */
  async function answerFrom(uri: string): Promise<{ doc: OpenDocument; analysis: Analysis } | null> {
    if (!workspace.get(uri) || workspace.isLibrary(uri)) return null;
    let analysis = workspace.latestFor(uri);
    if (!analysis) {
      await workspace.settled(uri, FIRST_RESULT_WAIT_MS);
      analysis = workspace.latestFor(uri, true);
    }
    const doc = workspace.get(uri);
    return doc && analysis ? { doc, analysis } : null;
  }

  function applySettings(settings: ServerSettings): void {
    for (const p of settings.problems) log(p);
    // Every document is analyzed again; each result is published as it lands.
    workspace.settings = settings;
    refresh();
  }

  /** Shows each settings problem the user has not been told of (setting, bad value, accepted forms). */
  function warn(problems: readonly string[]): void {
    // A notification, not showMessageRequest: there is nothing to answer, and a client that shows
    // no requests (or never answers) must not leave one pending.
    for (const message of problems) void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message });
  }

  /**
   * Pulls the workspace-wide settings and, per open document, its folder's (workspace/configuration
   * items with the document as scopeUri), so two folders can analyze with two batch sizes.
   */
  async function pullSettings(): Promise<void> {
    if (!support.configuration) return;
    const uris = workspace.uris();
    const sections: unknown[] = await connection.workspace.getConfiguration([{ section: 'memlens' }, ...uris.map((scopeUri) => ({ scopeUri, section: 'memlens' }))]);
    const [global, ...scoped] = sections.map(resolveSettings);
    uris.forEach((uri, i) => {
      if (workspace.get(uri)) workspace.setDocumentSettings(uri, scoped[i]);
    });
    for (const s of scoped) for (const p of s.problems) log(p);
    applySettings(global);
    warn(warnings.replace([global, ...scoped].flatMap((s) => s.problems)));
  }

  /** The settings of a newly opened document's folder. */
  async function pullDocumentSettings(uri: string): Promise<void> {
    if (!support.configuration) return;
    const section: unknown = await connection.workspace.getConfiguration({ scopeUri: uri, section: 'memlens' });
    if (!workspace.get(uri)) return;
    const settings = resolveSettings(section);
    for (const p of settings.problems) log(p);
    workspace.setDocumentSettings(uri, settings);
    warn(warnings.add(settings.problems));
  }

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    await loadPythonParser();
    support = clientSupport(params.capabilities);
    progress.supported = support.workDoneProgress;
    const options = params.initializationOptions as ({ memlens?: unknown } & EnvironmentParams) | undefined;
    workspace.settings = resolveSettings(options?.memlens);
    const roots = (params.workspaceFolders ?? []).map((f) => uriToFile(f.uri));
    if (!roots.length && params.rootUri) roots.push(uriToFile(params.rootUri));
    // A client that says nothing about trust (another editor) is one the user started on their own files.
    workspace.setEnvironmentSources({ roots, pythonPath: options?.pythonPath ?? null, trusted: options?.trusted ?? true });
    workspace.onnxRuntime = typeof options?.onnxRuntime === 'string' ? options.onnxRuntime : null;
    for (const p of workspace.settings.problems) log(p);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix], resolveProvider: true },
        executeCommandProvider: { commands: [ANALYZE_CLASS_COMMAND, FIT_BUDGET_COMMAND] },
        inlayHintProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'memlens' },
    };
  });

  connection.onInitialized(() => {
    if (support.dynamicConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'memlens' });
    // A client that cannot be asked told us its settings at initialize; one that can is asked now.
    if (!support.configuration) warn(warnings.replace(workspace.settings.problems));
    pullSettings().catch((e: unknown) => log(`reading settings failed: ${String(e)}`));
  });

  connection.onDidChangeConfiguration(
    guard('didChangeConfiguration', undefined, (params) => {
      // A client that answers workspace/configuration is asked per folder (what it pushes is the
      // workspace-wide section only); one that cannot be asked pushes what applies everywhere.
      const settings = (params.settings as { memlens?: unknown } | null | undefined)?.memlens;
      if (support.configuration || settings === undefined) {
        pullSettings().catch((e: unknown) => log(`reading settings failed: ${String(e)}`));
        return;
      }
      const resolved = resolveSettings(settings);
      applySettings(resolved);
      warn(warnings.replace(resolved.problems));
    }),
  );

  connection.onNotification(
    ENVIRONMENT_NOTIFICATION,
    guard('environment', undefined, (params: EnvironmentParams) => {
      workspace.setEnvironmentSources({ pythonPath: params.pythonPath, trusted: params.trusted });
      if (params.onnxRuntime !== undefined) workspace.onnxRuntime = typeof params.onnxRuntime === 'string' ? params.onnxRuntime : null;
      applySettings(workspace.settings);
    }),
  );

  connection.onDidOpenTextDocument(
    guard('didOpen', undefined, ({ textDocument: d }) => {
      workspace.open(d.uri, d.text, d.version);
      clearIfLibrary(d.uri);
      pullDocumentSettings(d.uri).catch((e: unknown) => log(`reading settings for ${d.uri} failed: ${String(e)}`));
      // The first analysis of a document that takes a while shows as work-done progress.
      if (!workspace.isLibrary(d.uri)) {
        progress.run(d.uri, `analyzing ${path.basename(uriToFile(d.uri))}`, () => workspace.settled(d.uri, REPORT_WAIT_MS)).catch((e: unknown) => log(`progress failed: ${String(e)}`));
      }
    }),
  );

  connection.onDidChangeTextDocument(
    guard('didChange', undefined, ({ textDocument: d, contentChanges }) => {
      if (workspace.change(d.uri, d.version ?? 0, contentChanges)) clearIfLibrary(d.uri);
    }),
  );

  connection.onDidCloseTextDocument(
    guard('didClose', undefined, ({ textDocument: d }) => {
      workspace.close(d.uri);
      progress.forget(d.uri);
      void connection.sendDiagnostics({ uri: d.uri, diagnostics: [] });
    }),
  );

  // Files changed outside the editor (the client watches **/*.py): re-analyze the open documents
  // that imported them. Open documents follow their editor, not the disk.
  connection.onDidChangeWatchedFiles(
    guard('didChangeWatchedFiles', undefined, ({ changes }) => {
      if (changes.some((c) => !workspace.get(c.uri))) workspace.fileChangedOnDisk();
    }),
  );

  /**
   * The analysis whose numbers a document's lines show: its own, else (a file of layer parts, or a
   * file whose own model is not chosen) the analysis of an open document that imports it and
   * built layers from it, with that model named for the hover.
   */
  async function linesAnalysis(uri: string): Promise<{ doc: OpenDocument; analysis: Analysis; usedBy?: string } | null> {
    const own = await answerFrom(uri);
    const doc = workspace.get(uri);
    if (!doc) return null;
    if (own && (!own.analysis.error || own.analysis.stale) && lineCostsIn(own.analysis, doc.file).length) return own;
    for (const importer of workspace.importers(uri)) {
      const other = workspace.latestFor(importer);
      const otherDoc = workspace.get(importer);
      if (!other || (other.error && !other.stale) || !otherDoc || !lineCostsIn(other, doc.file).length) continue;
      const model = other.model?.className ?? other.report.entry;
      return { doc, analysis: other, usedBy: `As used by \`${model}\` in ${path.basename(otherDoc.file)} (the open file that imports this one).` };
    }
    return own;
  }

  connection.languages.inlayHint.on(
    guardAsync('inlayHint', [], async ({ textDocument, range }) => {
      const at = await linesAnalysis(textDocument.uri);
      const settings = workspace.settingsOf(textDocument.uri);
      if (!at || !settings.inlayHintsEnabled) return [];
      return inlayHints(at.analysis, at.doc.file, at.doc.lines, range, settings.hints);
    }),
  );

  connection.onHover(
    guardAsync('hover', null, async ({ textDocument, position }) => {
      const at = await linesAnalysis(textDocument.uri);
      return at ? hover(withProfile(textDocument.uri, at.analysis), at.doc.file, at.doc.lines, position.line, at.usedBy) : null;
    }),
  );

  /** The last profiling pass of each document, for the version it measured. */
  const profiles = new Map<string, { version: number; profile: PythonProfile }>();
  /** The analysis with its layers' measurements, when a profile of its version exists. */
  function withProfile(uri: string, analysis: Analysis): Analysis {
    const p = profiles.get(uri);
    if (!p || p.version !== analysis.version || analysis.error) return analysis;
    const layers = analysis.report.layers.map((l) => {
      const m = p.profile.layers.get(l.path);
      return m ? { ...l, measured: { outputBytes: m.outputBytes, peakBytes: m.peakBytes, ms: Math.round(m.ms * 1000) / 1000 } } : l;
    });
    return { ...analysis, report: { ...analysis.report, layers } };
  }

  connection.onCodeLens(
    guardAsync('codeLens', [], async ({ textDocument }) => {
      // The lens names the largest batch with checkpointing and offers "Fit the budget": both come
      // with the budget plan, which follows the current text's numbers; wait a little for them.
      await workspace.suggestionsSettled(textDocument.uri, LENS_PLAN_WAIT_MS);
      const at = await answerFrom(textDocument.uri);
      return at ? [...codeLenses(at.analysis, at.doc.file, at.doc.lines, at.doc.uri, fixesApply(at.doc, at.analysis)), ...analyzeLenses(at.doc, at.analysis, partsFile(at.doc.uri))] : [];
    }),
  );

  connection.onCodeAction(
    guardAsync('codeAction', [], async ({ textDocument, range, context }) => {
      let doc = workspace.get(textDocument.uri);
      if (!doc || workspace.isLibrary(textDocument.uri)) return [];
      // The current text's fixes may still be simulating (the worker's second phase): wait a little.
      await workspace.allFixesOfCurrent(textDocument.uri, SUGGESTIONS_WAIT_MS);
      doc = workspace.get(textDocument.uri);
      if (!doc) return [];
      // Fixes come from the analysis of this very version (their edits are made for its text).
      return [...codeActions(doc, range.start.line, context.diagnostics), ...fixActions(doc, workspace.current(textDocument.uri), range.start.line, range.end.line)];
    }),
  );

  connection.onCodeActionResolve(guard('codeActionResolve', null as unknown as CodeAction, (action: CodeAction) => {
    const uri = (action.data as { uri?: string } | undefined)?.uri;
    return resolveAction(action, uri ? workspace.get(uri) : undefined, (uri ? workspace.settingsOf(uri) : workspace.settings).analysis, host);
  }));

  // The "Analyze" lens: the directive goes in only through the client applying this edit.
  connection.onExecuteCommand(
    guard('executeCommand', undefined, ({ command, arguments: args }) => {
      if (command === FIT_BUDGET_COMMAND) {
        void fitBudgetCommand(String((args ?? [])[0] ?? ''));
        return;
      }
      if (command !== ANALYZE_CLASS_COMMAND) return;
      const [uri, className] = (args ?? []) as [string, string];
      const doc = workspace.get(uri);
      const cls = doc ? classesOf(doc).find((c) => c.name === className) : undefined;
      if (!doc || !cls) return;
      void connection.workspace.applyEdit({ label: `Memlens: analyze ${className}`, edit: directiveEdit(doc, cls, workspace.settingsOf(uri).analysis, host) });
    }),
  );

  /**
   * "Fit the budget": applies the plan of the current analysis (the least recompute whose simulated
   * peak fits memlens.budget), or says why there is none. Waits for the analysis of the text as it is.
   */
  async function fitBudgetCommand(uri: string): Promise<void> {
    const say = (type: MessageType, message: string) => void connection.sendNotification(ShowMessageNotification.type, { type, message });
    await workspace.suggestionsSettled(uri, REPORT_WAIT_MS);
    const doc = workspace.get(uri);
    const analysis = workspace.current(uri);
    if (!doc) return;
    if (!fixesApply(doc, analysis)) return say(MessageType.Warning, 'Memlens: the file has no analysis of its current text to plan from (it does not build, or it is still being analyzed).');
    const plan = analysis.plan;
    if (!plan) return say(MessageType.Info, 'Memlens: set memlens.budget (the device memory to fit) to plan for it.');
    if (!plan.fix) return say(MessageType.Info, `Memlens: ${plan.fits ? 'the training step already fits' : 'no plan reaches'} the budget of ${formatBytes(plan.budgetBytes)}${plan.tried.length ? ` (${plan.tried.join('; ')})` : ''}.`);
    if (!plan.fits) say(MessageType.Warning, `Memlens: ${plan.fix.title}`);
    await connection.workspace.applyEdit({ label: 'Memlens: fit the budget', edit: fixEdit(doc, plan.fix) });
  }

  // A profiling pass (trusted workspaces only): the forward lowered to ONNX and run in ONNX Runtime
  // in a child process with limits; progress with a cancel button where the client supports it.
  connection.onRequest(
    PROFILE_REQUEST,
    guardAsync('profile', { ok: false, kind: 'error', message: 'Memlens: profiling failed (see the Memlens output).' }, async (params: ProfileParams, token): Promise<ProfileResult> => {
      if (!workspace.isTrusted) return { ok: false, kind: 'untrusted', message: 'Memlens profiles only in trusted workspaces: ONNX Runtime is native code run on your machine.' };
      const doc = workspace.get(params.uri);
      await workspace.settled(params.uri, REPORT_WAIT_MS);
      const analysis = workspace.current(params.uri);
      if (!doc || !analysis || analysis.error) return { ok: false, kind: 'no-analysis', message: 'Memlens: the file has no analysis of its current text to profile (it does not build, or it is still being analyzed).' };
      const ep = params.ep ?? 'auto';
      const abort = new AbortController();
      token?.onCancellationRequested(() => abort.abort());
      const progress = support.workDoneProgress ? await connection.window.createWorkDoneProgress().catch(() => null) : null;
      progress?.begin('Memlens: profiling with ONNX Runtime', undefined, `${path.basename(doc.file)} on ${ep}`, true);
      progress?.token.onCancellationRequested(() => abort.abort());
      try {
        const texts = workspace.documentTexts();
        const host: SourceHost = { readFile: (p) => texts.get(path.resolve(p)) ?? readRegularFile(p), libraryPaths: workspace.libraryPaths };
        const settings = workspace.settingsOf(params.uri).analysis;
        let profile: PythonProfile;
        try {
          profile = await profilePython(doc.file, doc.text, settings, host, analysis, ep, undefined, abort.signal, false, workspace.onnxRuntime);
        } catch (e) {
          if (e instanceof LoweringError) return { ok: false, kind: 'lowering', message: `Memlens cannot profile this model yet: ${e.message}.` };
          throw e;
        }
        const o = profile.outcome;
        if (!o.ok) {
          return { ok: false, kind: o.kind, message: `Memlens: profiling ${path.basename(doc.file)}: ${findingOf(o, analysis.report.settings.batch, ep)} (${o.message}).` };
        }
        profiles.set(params.uri, { version: analysis.version ?? doc.version, profile });
        const compared = analysis.report.layers.filter((l) => l.leaf && profile.layers.has(l.path)).length;
        const where = o.providers.map((p) => p.replace('ExecutionProvider', '')).join(', ') || o.ep;
        const fellBack = o.ep === 'cpu' && ep !== 'cpu' && o.notes.length ? ` (CPU: ${o.notes.join('; ')})` : '';
        const verdict = profile.mismatches.length ? `measured output bytes differ from the estimate on ${profile.mismatches.length} layer(s): ${profile.mismatches.slice(0, 2).join('; ')}` : `measured output bytes equal the estimate on all ${compared} layers`;
        return { ok: true, message: `Memlens: profiled ${path.basename(doc.file)} with ONNX Runtime ${o.version} on ${where}${fellBack}: ${verdict}; forward ${o.runMs.toFixed(1)} ms; ${profile.comparison.split(':')[0]}.`, providers: o.providers, compared, mismatches: profile.mismatches };
      } finally {
        progress?.done();
      }
    }),
  );

  // An .onnx file opened in the editor: its report (and, trusted, one profiled run).
  connection.onRequest(
    'memlens/onnx' satisfies keyof ServerRequests,
    guardAsync('onnx', { ok: false, text: 'Memlens could not read the file (see the Memlens output).' }, async (params: OnnxParams, token): Promise<OnnxResult> => {
      if (typeof params?.file !== 'string') return { ok: false, text: 'no file given' };
      try {
        if (params.profile) {
          if (!workspace.isTrusted) return { ok: false, text: 'Memlens profiles only in trusted workspaces: ONNX Runtime is native code run on your machine.' };
          const abort = new AbortController();
          token?.onCancellationRequested(() => abort.abort());
          const { report, outcome } = await profileOnnxFile(params.file, params.ep ?? 'auto', 1, undefined, abort.signal, workspace.onnxRuntime);
          if (!outcome.ok) return { ok: false, text: `${findingOf(outcome, 1, params.ep ?? 'auto')}: ${outcome.message}` };
          return { ok: true, text: renderOnnxTable(report), peakBytes: report.peakBytes, nodes: report.nodes.length };
        }
        const report = reportOnnxFile(params.file);
        return { ok: true, text: renderOnnxTable(report), peakBytes: report.peakBytes, nodes: report.nodes.length };
      } catch (e) {
        if (e instanceof OnnxInputError) return { ok: false, text: e.message };
        throw e;
      }
    }),
  );

  // Scripts and tests ask for the numbers of the text they sent: this one waits for them.
  connection.onRequest(
    REPORT_REQUEST,
    guardAsync('report', null, async (params: ReportParams): Promise<ReportResult> => {
      // The report of the current text with everything the CLI's has: the budget plan follows the numbers.
      await workspace.suggestionsSettled(params.uri, REPORT_WAIT_MS);
      const analysis = workspace.current(params.uri);
      if (!analysis || analysis.error) return null;
      return params.text ? { ...analysis.report, text: renderTable(analysis.report) } : analysis.report;
    }),
  );

  // The timeline view: the document's numbers (the current text's, else the last ones carried
  // over the edits since), or with a what-if the same text analyzed at the controls' settings.
  connection.onRequest(
    TIMELINE_REQUEST,
    guardAsync('timeline', null, async (params: TimelineParams): Promise<TimelineResult> => {
      const doc = workspace.get(params.uri);
      if (!doc || workspace.isLibrary(params.uri)) return null;
      // The view is open: its what-if worker starts loading (once; it ends a minute after its last use).
      workspace.warmWhatIf();
      await workspace.settled(params.uri, TIMELINE_WAIT_MS);
      const base = workspace.current(params.uri) ?? workspace.latestFor(params.uri, true);
      if (!base) return null;
      const offer = planOffer(base);
      const whatIf = params.whatIf && Object.keys(params.whatIf).length ? params.whatIf : null;
      if (!whatIf || base.error) {
        const data = timelineData(withProfile(params.uri, base), { uri: params.uri, version: base.version ?? doc.version }, null, base.error ? null : controlsOf(base, offer));
        const p = profiles.get(params.uri);
        if (p && p.version === base.version && !base.error) data.measured = p.profile.series;
        return data;
      }
      const settings = whatIfSettings(workspace.settingsOf(params.uri).analysis, whatIf, offer);
      const analysis = await workspace.whatIf(params.uri, settings);
      if (!analysis) return null;
      // The controls as this analysis ran (the switch and microbatches of the what-if), the plan the base offers.
      return timelineData(analysis, { uri: params.uri, version: analysis.version ?? doc.version }, whatIf, analysis.error ? controlsOf(base, offer) : controlsOf(analysis, offer));
    }),
  );

  connection.onExit(() => {
    endProfilers();
    workspace.dispose();
  });
}
