// The language server: binds LSP messages to the workspace and the pure feature modules. Every
// handler is guarded: bad input is logged to the client's console and answered empty, never a crash.

import {
  ClientCapabilities,
  Connection,
  DidChangeConfigurationNotification,
  InitializeResult,
  ProposedFeatures,
  TextDocumentSyncKind,
  createConnection,
} from 'vscode-languageserver/node';
import { inspect } from 'util';
import { ENVIRONMENT_NOTIFICATION, EnvironmentParams, REPORT_REQUEST, ReportParams, ReportResult } from '../protocol';
import { loadPythonParser } from '../python/parser';
import { codeLenses } from './codeLens';
import { diagnostics } from './diagnostics';
import { hover } from './hover';
import { inlayHints } from './inlayHints';
import { resolveSettings, ServerSettings } from './settings';
import { OpenDocument, Workspace, uriToFile } from './workspace';
import type { Analysis } from '../report/types';

interface ClientSupport {
  configuration: boolean;
  dynamicConfiguration: boolean;
  inlayHintRefresh: boolean;
  codeLensRefresh: boolean;
}

function clientSupport(c: ClientCapabilities): ClientSupport {
  return {
    configuration: !!c.workspace?.configuration,
    dynamicConfiguration: !!c.workspace?.didChangeConfiguration?.dynamicRegistration,
    inlayHintRefresh: !!c.workspace?.inlayHint?.refreshSupport,
    codeLensRefresh: !!c.workspace?.codeLens?.refreshSupport,
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
/** How long memlens/report waits for the analysis of the document's current version. */
const REPORT_WAIT_MS = 60_000;

export function bindServer(connection: Connection): void {
  const log = (message: string): void => connection.console.error(`memlens: ${message}`);
  let support: ClientSupport = { configuration: false, dynamicConfiguration: false, inlayHintRefresh: false, codeLensRefresh: false };

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

  /** A new result of a document's current text: its diagnostics, and the editor asked to read hints and lenses again. */
  const publish = guard('publishing diagnostics', undefined, (uri: string) => {
    const doc = workspace.get(uri);
    const analysis = workspace.current(uri);
    if (!doc || !analysis) return;
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: diagnostics(analysis, doc.file, doc.lines) });
    refresh();
  });

  const workspace = new Workspace(log, publish);

  /** An installed library's file opened to read it: no analysis and no diagnostics of its own. */
  function clearIfLibrary(uri: string): void {
    const doc = workspace.get(uri);
    if (doc && workspace.isLibrary(uri)) void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: [] });
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

  async function pullSettings(): Promise<void> {
    if (!support.configuration) return;
    const section: unknown = await connection.workspace.getConfiguration('memlens');
    applySettings(resolveSettings(section));
  }

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    await loadPythonParser();
    support = clientSupport(params.capabilities);
    const options = params.initializationOptions as ({ memlens?: unknown } & EnvironmentParams) | undefined;
    workspace.settings = resolveSettings(options?.memlens);
    const roots = (params.workspaceFolders ?? []).map((f) => uriToFile(f.uri));
    if (!roots.length && params.rootUri) roots.push(uriToFile(params.rootUri));
    // A client that says nothing about trust (another editor) is one the user started on their own files.
    workspace.setEnvironmentSources({ roots, pythonPath: options?.pythonPath ?? null, trusted: options?.trusted ?? true });
    for (const p of workspace.settings.problems) log(p);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        inlayHintProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'memlens' },
    };
  });

  connection.onInitialized(() => {
    if (support.dynamicConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'memlens' });
    pullSettings().catch((e: unknown) => log(`reading settings failed: ${String(e)}`));
  });

  connection.onDidChangeConfiguration(
    guard('didChangeConfiguration', undefined, (params) => {
      const settings = (params.settings as { memlens?: unknown } | null | undefined)?.memlens;
      if (settings !== undefined) applySettings(resolveSettings(settings));
      else pullSettings().catch((e: unknown) => log(`reading settings failed: ${String(e)}`));
    }),
  );

  connection.onNotification(
    ENVIRONMENT_NOTIFICATION,
    guard('environment', undefined, (params: EnvironmentParams) => {
      workspace.setEnvironmentSources({ pythonPath: params.pythonPath, trusted: params.trusted });
      applySettings(workspace.settings);
    }),
  );

  connection.onDidOpenTextDocument(
    guard('didOpen', undefined, ({ textDocument: d }) => {
      workspace.open(d.uri, d.text, d.version);
      clearIfLibrary(d.uri);
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

  connection.languages.inlayHint.on(
    guardAsync('inlayHint', [], async ({ textDocument, range }) => {
      const at = await answerFrom(textDocument.uri);
      if (!at || !workspace.settings.inlayHintsEnabled) return [];
      return inlayHints(at.analysis, at.doc.file, at.doc.lines, range);
    }),
  );

  connection.onHover(
    guardAsync('hover', null, async ({ textDocument, position }) => {
      const at = await answerFrom(textDocument.uri);
      return at ? hover(at.analysis, at.doc.file, at.doc.lines, position.line) : null;
    }),
  );

  connection.onCodeLens(
    guardAsync('codeLens', [], async ({ textDocument }) => {
      const at = await answerFrom(textDocument.uri);
      return at ? codeLenses(at.analysis, at.doc.file, at.doc.lines, at.doc.uri) : [];
    }),
  );

  // Scripts and tests ask for the numbers of the text they sent: this one waits for them.
  connection.onRequest(
    REPORT_REQUEST,
    guardAsync('report', null, async (params: ReportParams): Promise<ReportResult> => {
      await workspace.settled(params.uri, REPORT_WAIT_MS);
      const analysis = workspace.current(params.uri);
      return analysis && !analysis.error ? analysis.report : null;
    }),
  );

  connection.onExit(() => workspace.dispose());
}
